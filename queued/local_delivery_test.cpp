// Tests for the local delivery agent over a real LMDB spool, directory and store: results
// per recipient (local, alias, unknown, foreign), the Return-Path header, idempotent
// retries, accounts missing from the store, store failures per transaction group, and the
// directory router.
#include "queued/local_delivery.h"

#include <gtest/gtest.h>

#include "queue/test_util.h"

namespace mail::queued {
namespace {

using queue::testing::make_message;
using queue::testing::open_spool_in;
using queue::testing::TempDir;
using Kind = AttemptResult::Kind;

class FixedClock final : public Clock {
 public:
  int64_t now() override { return 1700000500; }
};

class LocalDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spool = open_spool_in(queue_dir);
    directory = auth::open_lmdb_directory(directory_dir.path()).value();
    ASSERT_TRUE(directory->add_domain("example.test").ok());
    for (const char* a : {"alice@example.test", "bob@example.test", "carol@example.test"})
      ASSERT_TRUE(directory->add_account(a, "pw-123456").ok());
    ASSERT_TRUE(directory->add_alias("team@example.test", "alice@example.test").ok());
    ASSERT_TRUE(directory->add_alias("team@example.test", "bob@example.test").ok());
    open_store(size_t{1} << 30);
  }
  void open_store(size_t map_size) {
    store.reset();
    store = store::open_lmdb_store(store_dir.path(), store::StoreOptions{map_size}).value();
    for (const char* a : {"alice@example.test", "bob@example.test"})
      (void)store->create_account(a);  // carol is left for the agent to create
  }

  // Enqueues and claims messages; returns the claims (kept alive for the jobs).
  std::vector<queue::Claim> claim(std::vector<queue::NewMessage> batch) {
    auto ids = spool->enqueue(batch).value();
    return spool->claim(1700000500, 60, 100).value();
  }
  static std::vector<DeliveryJob> jobs_for(const std::vector<queue::Claim>& claims) {
    std::vector<DeliveryJob> jobs;
    for (const auto& c : claims) jobs.push_back(DeliveryJob{&c, c.recipients, ""});
    return jobs;
  }
  uint32_t inbox_count(const std::string& account) {
    return store->mailbox(account, "INBOX").value().messages;
  }
  std::string last_message(const std::string& account) {
    auto box = store->mailbox(account, "INBOX").value();
    auto msgs = store->messages(box.id).value();
    return store->message_bytes(box.id, msgs.back().uid).value();
  }

  TempDir queue_dir, directory_dir, store_dir;
  std::unique_ptr<queue::Spool> spool;
  std::unique_ptr<auth::Directory> directory;
  std::unique_ptr<store::MailStore> store;
  net::asio::thread_pool workers{1};
  FixedClock clock;
};

TEST_F(LocalDeliveryTest, ResultsPerRecipientAndTheStoredCopies) {
  std::vector<queue::NewMessage> batch;
  batch.push_back(make_message(
      "s@outside.test",
      {"alice@example.test", "team@example.test", "nobody@example.test", "far@elsewhere.test"}, 0,
      "Subject: one\r\n\r\nbody one\r\n"));
  batch.push_back(make_message("", {"ALICE@example.test"}, 0, "Subject: two\r\n\r\nbody two\r\n"));
  auto claims = claim(std::move(batch));
  ASSERT_EQ(claims.size(), 2u);
  LocalDelivery agent(workers, *spool, *directory, *store, clock);
  auto results = agent.deliver_now(jobs_for(claims));
  ASSERT_EQ(results.size(), 2u);
  std::map<uint32_t, AttemptResult> first;
  for (const auto& r : results[0]) first[r.recipient] = r;
  ASSERT_EQ(first.size(), 4u);
  EXPECT_EQ(first[0].kind, Kind::Delivered);
  EXPECT_NE(first[0].reply.find("delivered to alice@example.test uid 1"), std::string::npos)
      << first[0].reply;
  EXPECT_EQ(first[1].kind, Kind::Delivered);  // the alias: alice and bob
  EXPECT_EQ(first[2].kind, Kind::Permanent);
  EXPECT_EQ(first[2].reply, "550 5.1.1 no such user");
  EXPECT_EQ(first[2].bounce_class, queue::BounceClass::Hard);
  EXPECT_EQ(first[3].kind, Kind::Temporary);
  ASSERT_EQ(results[1].size(), 1u);
  EXPECT_EQ(results[1][0].kind, Kind::Delivered);

  // alice got each message once (direct + alias share one copy), bob once.
  EXPECT_EQ(inbox_count("alice@example.test"), 2u);
  EXPECT_EQ(inbox_count("bob@example.test"), 1u);
  EXPECT_EQ(last_message("bob@example.test"),
            "Return-Path: <s@outside.test>\r\nSubject: one\r\n\r\nbody one\r\n");
  EXPECT_EQ(last_message("alice@example.test"),
            "Return-Path: <>\r\nSubject: two\r\n\r\nbody two\r\n");
}

TEST_F(LocalDeliveryTest, ARetryAfterACrashStoresNothingTwice) {
  std::vector<queue::NewMessage> batch;
  batch.push_back(make_message("s@outside.test", {"alice@example.test", "bob@example.test"}));
  auto claims = claim(std::move(batch));
  LocalDelivery agent(workers, *spool, *directory, *store, clock);
  auto jobs = jobs_for(claims);
  ASSERT_EQ(agent.deliver_now(jobs)[0][0].kind, Kind::Delivered);
  // queued died before completing the claim: the same job runs again.
  auto again = agent.deliver_now(jobs);
  ASSERT_EQ(again[0].size(), 2u);
  for (const auto& r : again[0]) {
    EXPECT_EQ(r.kind, Kind::Delivered);
    EXPECT_NE(r.reply.find("before (retry skipped)"), std::string::npos) << r.reply;
  }
  EXPECT_EQ(inbox_count("alice@example.test"), 1u);
  EXPECT_EQ(inbox_count("bob@example.test"), 1u);
}

TEST_F(LocalDeliveryTest, CreatesAccountsTheStoreDoesNotHaveYet) {
  std::vector<queue::NewMessage> batch;
  batch.push_back(make_message("s@outside.test", {"carol@example.test"}));
  batch.push_back(make_message("s@outside.test", {"alice@example.test"}));
  auto claims = claim(std::move(batch));
  LocalDelivery agent(workers, *spool, *directory, *store, clock);
  auto results = agent.deliver_now(jobs_for(claims));
  EXPECT_EQ(results[0][0].kind, Kind::Delivered) << results[0][0].reply;
  EXPECT_EQ(results[1][0].kind, Kind::Delivered) << results[1][0].reply;
  EXPECT_EQ(inbox_count("carol@example.test"), 1u);
}

TEST_F(LocalDeliveryTest, AStoreFailureDefersOnlyItsTransactionGroup) {
  open_store(size_t{1} << 20);  // 1 MiB: a 2 MiB message cannot fit
  std::vector<queue::NewMessage> batch;
  batch.push_back(
      make_message("s@outside.test", {"alice@example.test"}, 0, "Subject: a\r\n\r\nx\r\n"));
  batch.push_back(make_message("s@outside.test", {"bob@example.test"}, 0,
                               "Subject: big\r\n\r\n" + std::string(2 << 20, 'x') + "\r\n"));
  batch.push_back(
      make_message("s@outside.test", {"alice@example.test"}, 0, "Subject: c\r\n\r\nx\r\n"));
  auto claims = claim(std::move(batch));

  // One transaction for all three: the big one fails them all, temporarily.
  LocalDelivery together(workers, *spool, *directory, *store, clock);
  auto results = together.deliver_now(jobs_for(claims));
  for (const auto& r : results) {
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].kind, Kind::Temporary);
    EXPECT_NE(r[0].reply.find("451 4.3.0 store: "), std::string::npos) << r[0].reply;
  }
  EXPECT_EQ(inbox_count("alice@example.test"), 0u);

  // Groups of at most 1 KiB: the small ones get through, the big one waits.
  LocalDeliveryLimits small_groups;
  small_groups.max_batch_bytes = 1024;
  LocalDelivery grouped(workers, *spool, *directory, *store, clock, small_groups);
  results = grouped.deliver_now(jobs_for(claims));
  EXPECT_EQ(results[0][0].kind, Kind::Delivered);
  EXPECT_EQ(results[1][0].kind, Kind::Temporary);
  EXPECT_EQ(results[2][0].kind, Kind::Delivered);
  EXPECT_EQ(inbox_count("alice@example.test"), 2u);
}

TEST_F(LocalDeliveryTest, AVanishedMessageIsTemporary) {
  std::vector<queue::NewMessage> batch;
  batch.push_back(make_message("s@outside.test", {"alice@example.test"}));
  auto claims = claim(std::move(batch));
  ASSERT_TRUE(spool->remove(claims[0].envelope.id).ok());
  LocalDelivery agent(workers, *spool, *directory, *store, clock);
  auto results = agent.deliver_now(jobs_for(claims));
  EXPECT_EQ(results[0][0].kind, Kind::Temporary);
  EXPECT_EQ(inbox_count("alice@example.test"), 0u);
}

TEST_F(LocalDeliveryTest, DirectoryRouterSendsForeignDomainsToTheRelay) {
  DirectoryRouter router(*directory);
  queue::Envelope e;
  queue::Recipient r;
  r.address = "alice@example.test";
  EXPECT_EQ(router.route(e, r).agent, "local");
  r.address = "nobody@example.test";
  EXPECT_EQ(router.route(e, r).agent, "local");  // the local agent fails it with 5.1.1
  r.address = "someone@elsewhere.test";
  EXPECT_EQ(router.route(e, r).agent, "relay");
}

}  // namespace
}  // namespace mail::queued
