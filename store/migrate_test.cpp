// The schema-1 to schema-2 migration, on a store written by the schema-1 code
// (testdata/schema1.dump, from testdata/make_schema1.cpp): everything survives, summaries
// are computed through the injected analyzer, the new indexes work, a migration killed
// part-way resumes, and versions the code does not know are refused.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "common/codec.h"
#include "common/lmdb.h"
#include "store/mail_store.h"

namespace mail::store {
namespace {

std::string unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

// Loads mdb_dump's text format (VERSION=3, format=bytevalue; one section per database).
void load_dump(const std::filesystem::path& dump, const std::filesystem::path& dir) {
  std::ifstream in(dump);
  ASSERT_TRUE(in) << dump;
  auto env = lmdb::Env::open(
      dir, lmdb::EnvOptions{.map_size = size_t{64} << 20, .max_dbs = 32, .max_readers = 126});
  ASSERT_TRUE(env.ok()) << env.error().message;
  auto txn = lmdb::Txn::begin(**env, true);
  ASSERT_TRUE(txn.ok());
  MDB_dbi dbi = 0;
  bool data = false;
  std::string line, key;
  bool have_key = false;
  while (std::getline(in, line)) {
    if (line.starts_with("database=")) {
      auto opened = txn->open_db(line.substr(9).c_str(), true);
      ASSERT_TRUE(opened.ok());
      dbi = *opened;
    } else if (line == "HEADER=END") {
      data = true;
    } else if (line == "DATA=END") {
      data = false;
    } else if (data && line.starts_with(" ")) {
      if (!have_key) {
        key = unhex(line.substr(1));
        have_key = true;
      } else {
        ASSERT_TRUE(txn->put(dbi, key, unhex(line.substr(1))).ok());
        have_key = false;
      }
    }
  }
  ASSERT_TRUE(txn->commit().ok());
}

// What testdata/make_schema1.cpp printed when it wrote the fixture.
constexpr uint32_t kValidityA = 1796495623;  // a@x.org INBOX; Sent..Archive follow, +1 each
constexpr uint32_t kValidityB = 1796495629;  // b@x.org INBOX
constexpr uint32_t kValidityProjects = 1796495635;

class MigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/migrate_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    load_dump(std::filesystem::path(STORE_TESTDATA_DIR) / "schema1.dump", dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  StoreOptions options(int* calls) {
    StoreOptions o;
    o.map_size = size_t{64} << 20;
    o.migration_batch = 1;
    o.analyze = [calls](std::string_view m) {
      ++*calls;
      return "S:" + std::to_string(m.size());
    };
    return o;
  }

  std::filesystem::path dir_;
};

TEST_F(MigrateTest, EverythingSurvivesAndTheNewIndexesWork) {
  int calls = 0;
  auto opened = open_lmdb_store(dir_, options(&calls));
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  MailStore& s = **opened;
  EXPECT_EQ(calls, 5);  // bodies 1, 2, 3, 5, 6 (4 went with its expunged message)
  auto problems = s.check();
  ASSERT_TRUE(problems.ok());
  EXPECT_TRUE(problems->empty()) << problems->front();

  // Mailboxes: ids, UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, counters, subscriptions.
  auto list = s.list_mailboxes("a@x.org");
  ASSERT_TRUE(list.ok());
  std::map<std::string, MailboxInfo> a;
  for (auto& m : *list) a[m.name] = m;
  ASSERT_EQ(a.size(), 7u);
  const MailboxInfo& inbox = a["INBOX"];
  EXPECT_EQ(inbox.id, 1u);
  EXPECT_EQ(inbox.uid_validity, kValidityA);
  EXPECT_EQ(inbox.uid_next, 6u);
  EXPECT_EQ(inbox.highest_modseq, 9u);
  EXPECT_EQ(inbox.messages, 4u);
  EXPECT_EQ(inbox.unseen, 3u);
  EXPECT_EQ(inbox.deleted, 1u);
  EXPECT_EQ(inbox.size, 155u);
  EXPECT_TRUE(inbox.subscribed);
  EXPECT_EQ(inbox.keywords, std::vector<std::string>{"$Forwarded"});
  EXPECT_EQ(a["Sent"].uid_validity, kValidityA + 1);
  EXPECT_EQ(a["Archive"].uid_validity, kValidityA + 5);
  EXPECT_EQ(a["Sent"].special_use, SpecialUse::Sent);
  EXPECT_TRUE(a["Archive"].subscribed);
  const MailboxInfo& projects = a["Projects/2024"];
  EXPECT_EQ(projects.id, 13u);
  EXPECT_EQ(projects.uid_validity, kValidityProjects);
  EXPECT_FALSE(projects.subscribed);
  EXPECT_EQ(projects.keywords, std::vector<std::string>{"$Work"});
  auto b_inbox = s.mailbox("b@x.org", "INBOX");
  ASSERT_TRUE(b_inbox.ok());
  EXPECT_EQ(b_inbox->uid_validity, kValidityB);
  EXPECT_EQ(b_inbox->unseen, 0u);

  // Messages: UIDs, flags, keywords, dates, sizes, MODSEQs, shared bodies, summaries.
  auto msgs = s.messages(inbox.id);
  ASSERT_TRUE(msgs.ok());
  ASSERT_EQ(msgs->size(), 4u);
  EXPECT_EQ((*msgs)[0].uid, 1u);
  EXPECT_EQ((*msgs)[1].flags, (Flags{kSeen | kFlagged, {"$Forwarded"}}));
  EXPECT_EQ((*msgs)[1].modseq, 7u);
  EXPECT_EQ((*msgs)[2].flags, (Flags{kDeleted, {}}));
  EXPECT_EQ((*msgs)[3].uid, 5u);
  EXPECT_EQ((*msgs)[3].internal_date, 1700000005);
  EXPECT_EQ((*msgs)[3].header_size, 17u);
  auto b_msgs = s.messages(b_inbox->id);
  ASSERT_TRUE(b_msgs.ok());
  EXPECT_EQ(b_msgs->front().body_id, (*msgs)[0].body_id);  // still one body for both
  EXPECT_EQ(*s.message_bytes(b_inbox->id, 1),
            "From: one@example.org\r\nSubject: one\r\n\r\nBody one\r\n");
  std::vector<std::string> summaries;
  ASSERT_TRUE(s.read(inbox.id, [&](MailboxView& v) -> Result<void> {
                 EXPECT_EQ(*v.position_of(5), 4u);
                 EXPECT_EQ(*v.uid_at(3), 3u);
                 EXPECT_EQ(*v.first_unseen(), 1u);
                 UidRange all;
                 EXPECT_EQ(*v.deleted_uids(std::span(&all, 1)), std::vector<uint32_t>{3});
                 return v.for_each(std::span(&all, 1), kPartSummary, [&](const MessageView& m) {
                   summaries.emplace_back(m.summary);
                   return true;
                 });
               }).ok());
  EXPECT_EQ(summaries, (std::vector<std::string>{"S:49", "S:57", "S:21", "S:28"}));

  // The expunge log and MODSEQs: changes since 7 are the \Deleted flag and the expunge.
  auto changes = s.changes_since(inbox.id, 7);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->changed.size(), 1u);
  EXPECT_EQ(changes->changed[0].uid, 3u);
  ASSERT_EQ(changes->expunged.size(), 1u);
  EXPECT_EQ(changes->expunged[0].uid, 4u);
  EXPECT_EQ(changes->expunged[0].modseq, 9u);

  // Quota usage was summed; the hole above Projects/2024 is listed.
  auto qa = s.quota("a@x.org");
  ASSERT_TRUE(qa.ok());
  EXPECT_EQ(qa->messages_used, 5u);
  EXPECT_EQ(qa->storage_used, 212u);
  EXPECT_FALSE(qa->limits.storage.has_value());
  auto entries = s.list("a@x.org");
  ASSERT_TRUE(entries.ok());
  auto hole = std::find_if(entries->begin(), entries->end(),
                           [](const ListEntry& e) { return e.info.name == "Projects"; });
  ASSERT_NE(hole, entries->end());
  EXPECT_FALSE(hole->exists);
  EXPECT_TRUE(hole->has_children);

  // Delivery keys survived: the retry of Q1 is a duplicate; new mail continues the UIDs
  // and MODSEQs; new mailboxes get new ids and higher UIDVALIDITY.
  std::vector<Delivery> retry{{"a@x.org", "INBOX", {}, "Q1/a@x.org"}};
  auto dup = s.deliver(retry, "x\r\n", 1);
  ASSERT_TRUE(dup.ok());
  EXPECT_TRUE(dup->front().duplicate);
  std::vector<Delivery> fresh{{"a@x.org", "INBOX", {}, {}}};
  auto d = s.deliver(fresh, "Subject: six\r\n\r\n6\r\n", 1700000007);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->front().uid, 6u);
  EXPECT_EQ(s.mailbox("a@x.org", "INBOX")->highest_modseq, 10u);
  auto later = s.create_mailbox("a@x.org", "Later");
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->id, 14u);
  EXPECT_GT(later->uid_validity, kValidityProjects);
  problems = s.check();
  ASSERT_TRUE(problems.ok());
  EXPECT_TRUE(problems->empty()) << problems->front();
}

TEST_F(MigrateTest, WithoutAnAnalyzerBodiesHaveNoSummary) {
  StoreOptions o;
  o.map_size = size_t{64} << 20;
  auto opened = open_lmdb_store(dir_, o);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto problems = (*opened)->check();
  ASSERT_TRUE(problems.ok());
  EXPECT_TRUE(problems->empty()) << problems->front();
  std::string summary = "unset";
  ASSERT_TRUE((*opened)
                  ->read(1,
                         [&](MailboxView& v) -> Result<void> {
                           UidRange first{1, 1};
                           return v.for_each(std::span(&first, 1), kPartSummary,
                                             [&](const MessageView& m) {
                                               summary = std::string(m.summary);
                                               return true;
                                             });
                         })
                  .ok());
  EXPECT_EQ(summary, "");
}

TEST_F(MigrateTest, AMigrationKilledPartWayResumes) {
  // A child migrates with one body per transaction and dies inside the third analysis.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    StoreOptions o;
    o.map_size = size_t{64} << 20;
    o.migration_batch = 1;
    int n = 0;
    o.analyze = [&n](std::string_view) -> std::string {
      if (++n == 3) _exit(0);
      return "early";
    };
    (void)open_lmdb_store(dir_, o);
    _exit(1);  // not reached: the analyzer exits first
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  {
    // Half-migrated: schema 2 (an older binary refuses it) with a stage to resume from.
    auto env = lmdb::Env::open(
        dir_, lmdb::EnvOptions{.map_size = size_t{64} << 20, .max_dbs = 32, .max_readers = 126});
    ASSERT_TRUE(env.ok());
    auto txn = lmdb::Txn::begin(**env, false);
    auto meta = txn->open_db("meta", false);
    ASSERT_TRUE(meta.ok());
    auto version = txn->get(*meta, "schema_version");
    ASSERT_TRUE(version.ok() && version->has_value());
    EXPECT_EQ(Decoder(**version).u32(), 2u);
    auto stage = txn->get(*meta, "migration_stage");
    ASSERT_TRUE(stage.ok() && stage->has_value());
  }
  int calls = 0;
  auto opened = open_lmdb_store(dir_, options(&calls));
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(calls, 3);  // bodies 3, 5 and 6; 1 and 2 were done before the crash
  auto problems = (*opened)->check();
  ASSERT_TRUE(problems.ok());
  EXPECT_TRUE(problems->empty()) << problems->front();
  std::vector<std::string> summaries;
  ASSERT_TRUE((*opened)
                  ->read(1,
                         [&](MailboxView& v) -> Result<void> {
                           UidRange all;
                           return v.for_each(std::span(&all, 1), kPartSummary,
                                             [&](const MessageView& m) {
                                               summaries.emplace_back(m.summary);
                                               return true;
                                             });
                         })
                  .ok());
  EXPECT_EQ(summaries, (std::vector<std::string>{"early", "early", "S:21", "S:28"}));
  EXPECT_EQ((*opened)->mailbox("a@x.org", "INBOX")->messages, 4u);
}

TEST_F(MigrateTest, UnknownVersionsAreRefused) {
  for (uint32_t version : {0u, 3u, 0xffffffffu}) {
    {
      auto env = lmdb::Env::open(
          dir_, lmdb::EnvOptions{.map_size = size_t{64} << 20, .max_dbs = 32, .max_readers = 126});
      ASSERT_TRUE(env.ok());
      auto txn = lmdb::Txn::begin(**env, true);
      auto meta = txn->open_db("meta", false);
      ASSERT_TRUE(meta.ok());
      ASSERT_TRUE(txn->put(*meta, "schema_version", Encoder().u32(version).bytes()).ok());
      ASSERT_TRUE(txn->commit().ok());
    }
    auto s = open_lmdb_store(dir_);
    ASSERT_FALSE(s.ok()) << version;
    EXPECT_EQ(s.error().kind, ErrorKind::Corrupt);
  }
}

}  // namespace
}  // namespace mail::store
