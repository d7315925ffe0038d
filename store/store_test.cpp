// Unit tests of the LMDB mailbox store and header_size. Each test gets a fresh store in
// a temporary directory.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>

#include "common/codec.h"
#include "common/lmdb.h"
#include "mime/header.h"
#include "store/mail_store.h"
#include "store/test_store.h"

namespace mail::store {
namespace {

using testing::at;
using testing::kMsg;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/store_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void reopen() {
    store_.reset();
    auto s = open_lmdb_store(dir_, StoreOptions{size_t{64} << 20});
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
  }
  MailboxInfo box(std::string_view account, std::string_view name) {
    auto m = store_->mailbox(account, name);
    EXPECT_TRUE(m.ok()) << m.error().message;
    return m.ok() ? *m : MailboxInfo{};
  }
  std::vector<Delivered> deliver(std::vector<Delivery> to, const std::string& msg = kMsg) {
    auto d = store_->deliver(to, msg, 1700000000);
    EXPECT_TRUE(d.ok()) << d.error().message;
    return d.ok() ? *d : std::vector<Delivered>{};
  }
  void expect_clean() {
    auto problems = store_->check();
    ASSERT_TRUE(problems.ok()) << problems.error().message;
    EXPECT_TRUE(problems->empty()) << (problems->empty() ? "" : problems->front());
  }

  std::filesystem::path dir_;
  std::unique_ptr<MailStore> store_;
};

TEST_F(StoreTest, CreateAccountMakesSpecialUseMailboxes) {
  ASSERT_TRUE(store_->create_account("alice@example.org").ok());
  auto again = store_->create_account("alice@example.org");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::Exists);

  auto list = store_->list_mailboxes("alice@example.org");
  ASSERT_TRUE(list.ok());
  std::map<std::string, MailboxInfo> by_name;
  for (const auto& m : *list) by_name[m.name] = m;
  ASSERT_EQ(by_name.size(), 6u);
  EXPECT_EQ(by_name["INBOX"].special_use, SpecialUse::None);
  EXPECT_EQ(by_name["Sent"].special_use, SpecialUse::Sent);
  EXPECT_EQ(by_name["Drafts"].special_use, SpecialUse::Drafts);
  EXPECT_EQ(by_name["Trash"].special_use, SpecialUse::Trash);
  EXPECT_EQ(by_name["Junk"].special_use, SpecialUse::Junk);
  EXPECT_EQ(by_name["Archive"].special_use, SpecialUse::Archive);
  std::set<uint32_t> validities;
  for (const auto& [name, m] : by_name) {
    EXPECT_TRUE(m.subscribed) << name;
    EXPECT_EQ(m.uid_next, 1u);
    EXPECT_EQ(m.highest_modseq, 1u);
    EXPECT_EQ(m.messages, 0u);
    EXPECT_NE(m.uid_validity, 0u);
    validities.insert(m.uid_validity);
  }
  EXPECT_EQ(validities.size(), 6u);  // unique per mailbox

  EXPECT_EQ(box("alice@example.org", "inbox").id, by_name["INBOX"].id);
  EXPECT_EQ(store_->mailbox("alice@example.org", "sent").error().kind, ErrorKind::NotFound);
  EXPECT_EQ(store_->mailbox("bob@example.org", "INBOX").error().kind, ErrorKind::NotFound);

  auto made = store_->create_mailbox("alice@example.org", "Projects/2024");
  ASSERT_TRUE(made.ok());
  EXPECT_FALSE(made->subscribed);
  EXPECT_EQ(store_->create_mailbox("alice@example.org", "Projects/2024").error().kind,
            ErrorKind::Exists);
  EXPECT_EQ(store_->create_mailbox("alice@example.org", "inbox").error().kind, ErrorKind::Exists);
  EXPECT_EQ(store_->create_mailbox("nobody@example.org", "X").error().kind, ErrorKind::NotFound);

  auto accounts = store_->list_accounts();
  ASSERT_TRUE(accounts.ok());
  EXPECT_EQ(*accounts, std::vector<std::string>{"alice@example.org"});
  expect_clean();
}

TEST_F(StoreTest, DeliverToTwoAccountsStoresBodyOnce) {
  ASSERT_TRUE(store_->create_account("a@x.org").ok());
  ASSERT_TRUE(store_->create_account("b@x.org").ok());
  auto d = deliver({{"a@x.org", "INBOX", {}, {}}, {"b@x.org", "inbox", {kSeen, {}}, {}}});
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].account, "a@x.org");
  EXPECT_EQ(d[1].mailbox, "INBOX");
  EXPECT_EQ(d[0].uid, 1u);
  EXPECT_EQ(d[1].uid, 1u);
  EXPECT_EQ(d[0].uid_validity, box("a@x.org", "INBOX").uid_validity);

  auto ma = store_->messages(d[0].mailbox_id);
  auto mb = store_->messages(d[1].mailbox_id);
  ASSERT_TRUE(ma.ok() && mb.ok());
  ASSERT_EQ(ma->size(), 1u);
  ASSERT_EQ(mb->size(), 1u);
  EXPECT_EQ((*ma)[0].body_id, (*mb)[0].body_id);
  EXPECT_EQ((*ma)[0].size, kMsg.size());
  EXPECT_EQ((*ma)[0].internal_date, 1700000000);
  EXPECT_EQ((*ma)[0].modseq, 2u);
  EXPECT_EQ((*ma)[0].header_size, mime::header_section_end(kMsg));

  MailboxInfo a = box("a@x.org", "INBOX");
  EXPECT_EQ(a.messages, 1u);
  EXPECT_EQ(a.unseen, 1u);
  EXPECT_EQ(a.size, kMsg.size());
  EXPECT_EQ(a.uid_next, 2u);
  EXPECT_EQ(a.highest_modseq, 2u);
  EXPECT_EQ(box("b@x.org", "INBOX").unseen, 0u);
  expect_clean();

  // Expunging one copy keeps the body for the other.
  ASSERT_TRUE(store_->expunge(d[0].mailbox_id, std::vector<uint32_t>{1}).ok());
  auto bytes = store_->message_bytes(d[1].mailbox_id, 1);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, kMsg);
  expect_clean();
}

TEST_F(StoreTest, UidsAscendAndAreNeverReused) {
  ASSERT_TRUE(store_->create_account("a@x.org").ok());
  uint64_t id = box("a@x.org", "INBOX").id;
  for (uint32_t i = 1; i <= 3; ++i) EXPECT_EQ(deliver({at("a@x.org")})[0].uid, i);
  auto removed = store_->expunge(id, std::vector<uint32_t>{3, 2, 2, 99});
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(deliver({at("a@x.org")})[0].uid, 4u);
  reopen();
  EXPECT_EQ(deliver({at("a@x.org")})[0].uid, 5u);
  auto msgs = store_->messages(id);
  ASSERT_TRUE(msgs.ok());
  std::vector<uint32_t> uids;
  for (const auto& m : *msgs) uids.push_back(m.uid);
  EXPECT_EQ(uids, (std::vector<uint32_t>{1, 4, 5}));
  expect_clean();
}

TEST_F(StoreTest, FlagsAddRemoveReplace) {
  ASSERT_TRUE(store_->create_account("a@x.org").ok());
  deliver({at("a@x.org")});
  deliver({at("a@x.org")});
  MailboxInfo b = box("a@x.org", "INBOX");
  ASSERT_EQ(b.highest_modseq, 3u);
  ASSERT_EQ(b.unseen, 2u);
  std::vector<uint32_t> both{1, 2, 7};

  auto r = store_->store_flags(b.id, both, FlagOp::Add, Flags{kSeen, {"$Junk", "Work", "$junk"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);  // uid 7 does not exist
  EXPECT_EQ((*r)[0].flags.system, kSeen);
  EXPECT_EQ((*r)[0].flags.keywords, (std::vector<std::string>{"$Junk", "Work"}));
  EXPECT_EQ((*r)[0].modseq, 4u);
  EXPECT_EQ((*r)[1].modseq, 5u);
  b = box("a@x.org", "INBOX");
  EXPECT_EQ(b.unseen, 0u);
  EXPECT_EQ(b.highest_modseq, 5u);

  // Adding what is already there changes nothing and takes no MODSEQ.
  r = store_->store_flags(b.id, both, FlagOp::Add, Flags{kSeen, {"work"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].modseq, 4u);
  EXPECT_EQ(box("a@x.org", "INBOX").highest_modseq, 5u);

  r = store_->store_flags(b.id, std::vector<uint32_t>{1}, FlagOp::Remove, Flags{kSeen, {"work"}});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].flags.system, 0u);
  EXPECT_EQ((*r)[0].flags.keywords, (std::vector<std::string>{"$Junk"}));
  EXPECT_EQ((*r)[0].modseq, 6u);
  EXPECT_EQ(box("a@x.org", "INBOX").unseen, 1u);

  r = store_->store_flags(b.id, both, FlagOp::Replace, Flags{kFlagged | kDeleted, {}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[1].flags, (Flags{kFlagged | kDeleted, {}}));
  EXPECT_EQ((*r)[1].modseq, 8u);
  b = box("a@x.org", "INBOX");
  EXPECT_EQ(b.unseen, 2u);
  EXPECT_EQ(b.highest_modseq, 8u);

  auto missing = store_->store_flags(9999, both, FlagOp::Add, Flags{kSeen, {}});
  EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);
  expect_clean();
}

TEST_F(StoreTest, ExpungeRemovesAndCounts) {
  ASSERT_TRUE(store_->create_account("a@x.org").ok());
  deliver({{"a@x.org", "INBOX", {kSeen, {}}, {}}}, "Subject: one\r\n\r\n1\r\n");
  deliver({at("a@x.org")}, "Subject: two\r\n\r\n22\r\n");
  MailboxInfo b = box("a@x.org", "INBOX");
  EXPECT_EQ(b.messages, 2u);
  EXPECT_EQ(b.unseen, 1u);
  auto removed = store_->expunge(b.id, std::vector<uint32_t>{2});
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, std::vector<uint32_t>{2});
  MailboxInfo after = box("a@x.org", "INBOX");
  EXPECT_EQ(after.messages, 1u);
  EXPECT_EQ(after.unseen, 0u);
  EXPECT_EQ(after.size, std::string("Subject: one\r\n\r\n1\r\n").size());
  EXPECT_EQ(after.highest_modseq, b.highest_modseq + 1);
  EXPECT_EQ(store_->message_bytes(b.id, 2).error().kind, ErrorKind::NotFound);
  auto none = store_->expunge(b.id, std::vector<uint32_t>{2});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  expect_clean();
}

TEST_F(StoreTest, MessageBytesAreExact) {
  ASSERT_TRUE(store_->create_account("a@x.org").ok());
  std::string msg = "X: y\r\n\r\n";
  msg += std::string("\0\x01\xff binary\r\n", 13);
  msg += std::string(200000, 'z');
  auto d = deliver({at("a@x.org")}, msg);
  auto bytes = store_->message_bytes(d[0].mailbox_id, d[0].uid);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, msg);
}

TEST_F(StoreTest, ReopenPersistsEverything) {
  ASSERT_TRUE(store_->create_account("a@x.org").ok());
  ASSERT_TRUE(store_->create_mailbox("a@x.org", "Lists", SpecialUse::None).ok());
  auto d = deliver({{"a@x.org", "Lists", {kAnswered, {"$Forwarded"}}, {}}});
  MailboxInfo before = box("a@x.org", "Lists");
  auto msgs_before = store_->messages(before.id);
  reopen();
  MailboxInfo after = box("a@x.org", "Lists");
  EXPECT_EQ(after.id, before.id);
  EXPECT_EQ(after.uid_validity, before.uid_validity);
  EXPECT_EQ(after.uid_next, before.uid_next);
  EXPECT_EQ(after.highest_modseq, before.highest_modseq);
  EXPECT_EQ(after.messages, 1u);
  auto msgs = store_->messages(after.id);
  ASSERT_TRUE(msgs.ok());
  ASSERT_EQ(msgs->size(), 1u);
  EXPECT_EQ((*msgs)[0].flags, (Flags{kAnswered, {"$Forwarded"}}));
  EXPECT_EQ((*msgs)[0].body_id, (*msgs_before)[0].body_id);
  EXPECT_EQ(*store_->message_bytes(after.id, d[0].uid), kMsg);
  // A new mailbox after reopen gets a fresh id and a higher UIDVALIDITY.
  auto fresh = store_->create_mailbox("a@x.org", "Later");
  ASSERT_TRUE(fresh.ok());
  EXPECT_GT(fresh->id, after.id);
  EXPECT_GT(fresh->uid_validity, after.uid_validity);
  expect_clean();
}

TEST_F(StoreTest, WrongSchemaVersionIsRefused) {
  store_.reset();
  {
    auto env = lmdb::Env::open(
        dir_, lmdb::EnvOptions{.map_size = size_t{64} << 20, .max_dbs = 16, .max_readers = 126});
    ASSERT_TRUE(env.ok());
    auto txn = lmdb::Txn::begin(**env, true);
    ASSERT_TRUE(txn.ok());
    auto meta = txn->open_db("meta", false);
    ASSERT_TRUE(meta.ok());
    ASSERT_TRUE(txn->put(*meta, "schema_version", Encoder().u32(3).bytes()).ok());
    ASSERT_TRUE(txn->commit().ok());
  }
  auto s = open_lmdb_store(dir_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::Corrupt);
}

TEST_F(StoreTest, DeleteAccountRemovesEverything) {
  ASSERT_TRUE(store_->create_account("a@x.org").ok());
  ASSERT_TRUE(store_->create_account("b@x.org").ok());
  auto shared = deliver({at("a@x.org"), at("b@x.org")});
  auto only_a = deliver({at("a@x.org", "Sent")});
  uint64_t a_inbox = shared[0].mailbox_id;
  ASSERT_TRUE(
      store_->expunge(a_inbox, std::vector<uint32_t>{1}).ok());  // leaves an expunged record
  ASSERT_TRUE(store_->delete_account("a@x.org").ok());
  EXPECT_EQ(store_->delete_account("a@x.org").error().kind, ErrorKind::NotFound);
  EXPECT_EQ(store_->list_mailboxes("a@x.org").error().kind, ErrorKind::NotFound);
  EXPECT_EQ(store_->messages(a_inbox).error().kind, ErrorKind::NotFound);
  EXPECT_EQ(store_->message_bytes(only_a[0].mailbox_id, only_a[0].uid).error().kind,
            ErrorKind::NotFound);
  EXPECT_EQ(*store_->list_accounts(), std::vector<std::string>{"b@x.org"});
  EXPECT_EQ(*store_->message_bytes(shared[1].mailbox_id, shared[1].uid), kMsg);
  expect_clean();
  // The name can be used again, from scratch.
  ASSERT_TRUE(store_->create_account("a@x.org").ok());
  EXPECT_EQ(box("a@x.org", "INBOX").messages, 0u);
  expect_clean();
}

TEST_F(StoreTest, DeliverToMissingDestinationWritesNothing) {
  ASSERT_TRUE(store_->create_account("a@x.org").ok());
  MailboxInfo before = box("a@x.org", "INBOX");
  std::vector<Delivery> to{at("a@x.org"), at("ghost@x.org")};
  auto d = store_->deliver(to, kMsg, 0);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().kind, ErrorKind::NotFound);
  std::vector<Delivery> to_box{at("a@x.org"), at("a@x.org", "NoSuchBox")};
  EXPECT_EQ(store_->deliver(to_box, kMsg, 0).error().kind, ErrorKind::NotFound);
  MailboxInfo after = box("a@x.org", "INBOX");
  EXPECT_EQ(after.uid_next, before.uid_next);
  EXPECT_EQ(after.messages, 0u);
  EXPECT_EQ(after.highest_modseq, before.highest_modseq);
  EXPECT_TRUE(store_->messages(after.id)->empty());
  expect_clean();
  // The body id counter was not advanced either: the next body is body 1.
  deliver({at("a@x.org")});
  EXPECT_EQ((*store_->messages(after.id))[0].body_id, 1u);
}

TEST_F(StoreTest, DeliveryKeyMakesARetryHarmless) {
  ASSERT_TRUE(store_->create_account("a@x.org").ok());
  ASSERT_TRUE(store_->create_account("b@x.org").ok());
  Delivery to_a = at("a@x.org");
  to_a.key = "Q1/a@x.org";
  auto first = deliver({to_a});
  ASSERT_EQ(first.size(), 1u);
  EXPECT_FALSE(first[0].duplicate);
  // The same key again (queued retrying after a crash), plus a new recipient: only the new
  // one is stored, and the body is stored once for it.
  Delivery to_b = at("b@x.org");
  to_b.key = "Q1/b@x.org";
  auto again = deliver({to_a, to_b});
  ASSERT_EQ(again.size(), 2u);
  EXPECT_TRUE(again[0].duplicate);
  EXPECT_EQ(again[0].uid, 0u);
  EXPECT_FALSE(again[1].duplicate);
  EXPECT_EQ(box("a@x.org", "INBOX").messages, 1u);
  EXPECT_EQ(box("b@x.org", "INBOX").messages, 1u);
  expect_clean();
  // Everything a duplicate: nothing stored, no body written.
  auto none = deliver({to_a, to_b});
  EXPECT_TRUE(none[0].duplicate && none[1].duplicate);
  EXPECT_EQ(box("a@x.org", "INBOX").messages, 1u);
  expect_clean();
  // Pruned keys are forgotten: the next delivery is stored again.
  EXPECT_EQ(*store_->prune_delivery_keys(1700000000), 0u);  // recorded at 1700000000
  EXPECT_EQ(*store_->prune_delivery_keys(1700000001), 2u);
  EXPECT_FALSE(deliver({to_a})[0].duplicate);
  EXPECT_EQ(box("a@x.org", "INBOX").messages, 2u);
}

TEST_F(StoreTest, BatchDeliveryFailsOnlyTheMessageWithAMissingDestination) {
  ASSERT_TRUE(store_->create_account("a@x.org").ok());
  std::vector<IncomingMessage> batch{
      {kMsg, 1, {at("a@x.org")}},
      {kMsg, 2, {at("ghost@x.org")}},
      {"Subject: three\r\n\r\n3\r\n", 3, {at("a@x.org"), at("a@x.org", "Sent")}},
  };
  auto results = store_->deliver_batch(batch);
  ASSERT_TRUE(results.ok()) << results.error().message;
  ASSERT_EQ(results->size(), 3u);
  ASSERT_TRUE((*results)[0].ok());
  EXPECT_EQ((*results)[0]->at(0).uid, 1u);
  ASSERT_FALSE((*results)[1].ok());
  EXPECT_EQ((*results)[1].error().kind, ErrorKind::NotFound);
  ASSERT_TRUE((*results)[2].ok());
  EXPECT_EQ((*results)[2]->at(0).uid, 2u);
  EXPECT_EQ((*results)[2]->at(1).mailbox, "Sent");
  auto inbox = box("a@x.org", "INBOX");
  EXPECT_EQ(inbox.messages, 2u);
  EXPECT_EQ(*store_->message_bytes(inbox.id, 2), "Subject: three\r\n\r\n3\r\n");
  EXPECT_EQ((*store_->messages(inbox.id))[1].internal_date, 3);
  expect_clean();
}

TEST_F(StoreTest, SameMailboxTwiceGetsTwoUids) {
  ASSERT_TRUE(store_->create_account("a@x.org").ok());
  auto d = deliver({at("a@x.org"), at("a@x.org")});
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].uid, 1u);
  EXPECT_EQ(d[1].uid, 2u);
  EXPECT_EQ(box("a@x.org", "INBOX").messages, 2u);
  expect_clean();
}

TEST_F(StoreTest, ConcurrentDeliveriesAndReads) {
  ASSERT_TRUE(store_->create_account("a@x.org").ok());
  uint64_t id = box("a@x.org", "INBOX").id;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        std::vector<Delivery> to{at("a@x.org")};
        EXPECT_TRUE(store_->deliver(to, kMsg, 0).ok());
        EXPECT_TRUE(store_->messages(id).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  auto msgs = store_->messages(id);
  ASSERT_TRUE(msgs.ok());
  ASSERT_EQ(msgs->size(), 40u);
  for (size_t i = 0; i < msgs->size(); ++i) EXPECT_EQ((*msgs)[i].uid, i + 1);
  expect_clean();
}

TEST_F(StoreTest, CheckReportsDamage) {
  ASSERT_TRUE(store_->create_account("a@x.org").ok());
  auto d = deliver({at("a@x.org")});
  expect_clean();
  store_.reset();
  {
    // Damage the store behind its back: a wrong reference count and a missing body.
    auto env = lmdb::Env::open(
        dir_, lmdb::EnvOptions{.map_size = size_t{64} << 20, .max_dbs = 16, .max_readers = 126});
    ASSERT_TRUE(env.ok());
    auto txn = lmdb::Txn::begin(**env, true);
    ASSERT_TRUE(txn.ok());
    auto refs = txn->open_db("body_refs", false);
    auto bodies = txn->open_db("bodies", false);
    ASSERT_TRUE(refs.ok() && bodies.ok());
    ASSERT_TRUE(txn->put(*refs, Encoder().u64(1).bytes(), Encoder().u64(3).bytes()).ok());
    ASSERT_TRUE(txn->del(*bodies, Encoder().u64(1).bytes()).ok());
    ASSERT_TRUE(txn->commit().ok());
  }
  reopen();
  auto problems = store_->check();
  ASSERT_TRUE(problems.ok());
  EXPECT_EQ(problems->size(), 2u);
  EXPECT_EQ(store_->message_bytes(d[0].mailbox_id, d[0].uid).error().kind, ErrorKind::Corrupt);
}

// The header size the store records is mime::header_section_end's (the blank line
// included); these are the cases FETCH BODY[HEADER] and BODY[TEXT] depend on.
TEST(HeaderSize, Cases) {
  auto header_size = [](std::string_view m) { return mime::header_section_end(m); };
  EXPECT_EQ(header_size("A: b\r\n\r\nbody\r\n"), 8u);
  EXPECT_EQ(header_size("A: b\r\nC: d\r\n\r\n"), 14u);  // empty body
  EXPECT_EQ(header_size("A: b\r\nC: d\r\n"), 12u);      // no blank line: all header
  EXPECT_EQ(header_size("A: b\r\nC: d"), 10u);          // no final line end
  EXPECT_EQ(header_size("\r\nbody only\r\n"), 2u);      // no header fields
  EXPECT_EQ(header_size(""), 0u);
  EXPECT_EQ(header_size("A: b\n\nbody\n"), 6u);             // bare LF tolerated
  EXPECT_EQ(header_size("A: b\r\n folded\r\n\r\nx"), 17u);  // continuation line
  EXPECT_EQ(header_size("A: b\r\n\r\nX: not a header\r\n\r\n"), 8u);
}

}  // namespace
}  // namespace mail::store
