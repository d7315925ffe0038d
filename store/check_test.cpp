// `mailctl store check` (MailStore::check) finds damage to what schema 2 added: each index,
// each counter and the quota usage, changed behind the store's back one at a time.
#include "common/codec.h"
#include "common/lmdb.h"
#include "store/test_store.h"

namespace mail::store {
namespace {

using testing::at;

class CheckTest : public testing::TempStoreTest {
 protected:
  void SetUp() override {
    TempStoreTest::SetUp();
    ASSERT_TRUE(store_->create_account("a@x.org").ok());
    deliver_n("a@x.org", "INBOX", 3);
    inbox_ = box("a@x.org", "INBOX").id;
    std::vector<uint32_t> two{2};
    ASSERT_TRUE(store_->store_flags(inbox_, two, FlagOp::Add, Flags{kSeen | kDeleted, {}}).ok());
    expect_clean();
    store_.reset();
  }
  // Runs `damage` on the raw environment, reopens, and returns what check() reports.
  template <typename F>
  std::vector<std::string> damaged(const char* table, F&& damage) {
    {
      auto env = lmdb::Env::open(
          dir_ / "store",
          lmdb::EnvOptions{.map_size = size_t{256} << 20, .max_dbs = 32, .max_readers = 126});
      EXPECT_TRUE(env.ok());
      auto txn = lmdb::Txn::begin(**env, true);
      auto dbi = txn->open_db(table, false);
      EXPECT_TRUE(dbi.ok()) << table;
      damage(*txn, *dbi);
      EXPECT_TRUE(txn->commit().ok());
    }
    reopen();
    auto problems = store_->check();
    EXPECT_TRUE(problems.ok());
    return problems.ok() ? *problems : std::vector<std::string>{};
  }
  std::string key(uint32_t uid) { return Encoder().u64(inbox_).u32(uid).bytes(); }
  uint64_t inbox_ = 0;
};

bool mentions(const std::vector<std::string>& problems, std::string_view what) {
  for (const auto& p : problems)
    if (p.find(what) != std::string::npos) return true;
  return false;
}

TEST_F(CheckTest, UnseenIndex) {
  auto p = damaged("unseen", [&](lmdb::Txn& t, MDB_dbi d) { ASSERT_TRUE(*t.del(d, key(1))); });
  EXPECT_TRUE(mentions(p, "unseen index")) << (p.empty() ? "" : p[0]);
}

TEST_F(CheckTest, DeletedIndex) {
  auto p =
      damaged("deleted", [&](lmdb::Txn& t, MDB_dbi d) { ASSERT_TRUE(t.put(d, key(3), "").ok()); });
  EXPECT_TRUE(mentions(p, "deleted index"));
}

TEST_F(CheckTest, ModseqIndex) {
  auto p = damaged("modseqs", [&](lmdb::Txn& t, MDB_dbi d) {
    ASSERT_TRUE(t.put(d, Encoder().u64(inbox_).u64(3).bytes(), Encoder().u32(1).bytes()).ok());
  });
  EXPECT_TRUE(mentions(p, "modseqs"));
}

TEST_F(CheckTest, SeqChunkCount) {
  auto p = damaged("seq", [&](lmdb::Txn& t, MDB_dbi d) {
    ASSERT_TRUE(t.put(d, key(1), Encoder().u32(2).bytes()).ok());
  });
  EXPECT_TRUE(mentions(p, "seq chunk"));
}

TEST_F(CheckTest, QuotaUsage) {
  auto p = damaged("accounts", [&](lmdb::Txn& t, MDB_dbi d) {
    // v2 record: created, storage limit, message limit, storage used, messages used.
    ASSERT_TRUE(t.put(d, "a@x.org",
                      Encoder().u8(2).i64(0).u64(UINT64_MAX).u64(UINT64_MAX).u64(1).u64(9).bytes())
                    .ok());
  });
  EXPECT_TRUE(mentions(p, "usage"));
}

TEST_F(CheckTest, SummaryWithoutBodyAndOrphanedIndexes) {
  auto p = damaged("summaries", [&](lmdb::Txn& t, MDB_dbi d) {
    ASSERT_TRUE(t.put(d, Encoder().u64(777).bytes(), "s").ok());
  });
  EXPECT_TRUE(mentions(p, "summaries"));
  p = damaged("unseen", [&](lmdb::Txn& t, MDB_dbi d) {
    ASSERT_TRUE(t.put(d, Encoder().u64(555).u32(1).bytes(), "").ok());
  });
  EXPECT_TRUE(mentions(p, "mailbox 555: missing"));
}

TEST_F(CheckTest, MailboxCountersAndKeywords) {
  reopen();
  MailboxInfo before = box("a@x.org", "INBOX");
  store_.reset();
  auto p = damaged("messages", [&](lmdb::Txn& t, MDB_dbi d) {
    // Message 3 gains a keyword the mailbox's list does not have, and \Deleted, without the
    // indexes or counters knowing.
    MessageInfo m;
    m.uid = 3;
    m.flags = Flags{kDeleted, {"$Sneaky"}};
    m.size = testing::kMsg.size();
    m.modseq = 4;
    m.body_id = 3;
    Encoder e;
    e.u8(1).u32(m.flags.system).u32(1).str("$Sneaky");
    e.i64(0).u64(m.size).u64(m.modseq).u64(m.body_id).u32(0);
    ASSERT_TRUE(t.put(d, key(3), e.bytes()).ok());
  });
  EXPECT_TRUE(mentions(p, "not in the mailbox's keyword list"));
  EXPECT_TRUE(mentions(p, "deleted 1, counted 2"));
  EXPECT_EQ(before.deleted, 1u);
}

}  // namespace
}  // namespace mail::store
