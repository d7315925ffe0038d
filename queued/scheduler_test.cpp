// Tests for the scheduler with a fake clock, a fake router and fake agents over a real
// LMDB spool: delivery and removal, per-recipient backoff, the queue lifetime, the
// agents' concurrency bound and batch size, routing of one message to several agents,
// immediate wake-ups, periodic scans, failing agents, lost claims, lease renewal and stop.
#include "queued/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <set>

#include "queue/test_util.h"

namespace mail::queued {
namespace {

namespace asio = net::asio;
using queue::BounceClass;
using queue::Recipient;
using queue::testing::make_message;
using queue::testing::open_spool_in;
using queue::testing::TempDir;
using Kind = AttemptResult::Kind;

constexpr int64_t kStart = 1700000000;  // make_message's arrival

class FakeClock final : public Clock {
 public:
  int64_t now() override { return t.load(); }
  std::atomic<int64_t> t{kStart};
};

// local.test -> "local", remote.test -> "relay" (route key: the domain), anything else ->
// an agent nobody added.
class FakeRouter final : public Router {
 public:
  Route route(const queue::Envelope&, const queue::Recipient& r) override {
    std::string domain = r.address.substr(r.address.find('@') + 1);
    if (domain == "local.test") return {"local", ""};
    if (domain == "remote.test" || domain == "other.test") return {"relay", domain};
    return {"pigeon", ""};
  }
};

// Delivers everything unless told otherwise per address; can hold calls until released.
class FakeAgent final : public DeliveryAgent {
 public:
  explicit FakeAgent(asio::io_context& io) : io_(io) {}

  net::awaitable<std::vector<std::vector<AttemptResult>>> deliver(
      std::span<const DeliveryJob> jobs) override {
    ++running;
    max_running = std::max(max_running, running);
    ++calls;
    max_jobs = std::max(max_jobs, jobs.size());
    for (const auto& job : jobs) {
      routes.insert(job.route);
      for (uint32_t i : job.recipients) seen.push_back(job.claim->envelope.recipients[i].address);
    }
    while (hold) {
      asio::steady_timer t(io_, std::chrono::milliseconds(2));
      co_await t.async_wait(net::use_awaitable);
    }
    if (throw_next) {
      throw_next = false;
      --running;
      throw std::runtime_error("agent bug");
    }
    std::vector<std::vector<AttemptResult>> out;
    for (const auto& job : jobs) {
      auto& results = out.emplace_back();
      for (uint32_t i : job.recipients) {
        const std::string& address = job.claim->envelope.recipients[i].address;
        auto it = script.find(address);
        AttemptResult r = it == script.end()
                              ? AttemptResult{i, Kind::Delivered, "250 2.0.0 ok", BounceClass::None}
                              : it->second;
        r.recipient = i;
        results.push_back(r);
      }
    }
    --running;
    co_return out;
  }

  std::map<std::string, AttemptResult> script;  // address -> result
  std::vector<std::string> seen;                // every recipient attempted, in order
  std::set<std::string> routes;
  size_t running = 0, max_running = 0, calls = 0, max_jobs = 0;
  bool hold = false;
  bool throw_next = false;

 private:
  asio::io_context& io_;
};

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override { spool = open_spool_in(dir); }
  void TearDown() override {
    if (scheduler) {
      scheduler->stop();
      run_until([&] { return !scheduler->busy(); });
    }
    workers.join();
  }

  void make(RetryPolicy retry = {300, 3600, 5 * 86400}, SchedulerLimits limits = {}) {
    if (limits.scan_interval == std::chrono::milliseconds(30000))
      limits.scan_interval = std::chrono::hours(1);  // only pokes wake it, unless a test says
    scheduler = std::make_unique<Scheduler>(io, workers, *spool, router, clock, retry, limits);
  }

  std::vector<std::string> enqueue(std::vector<std::vector<std::string>> messages) {
    std::vector<queue::NewMessage> batch;
    for (auto& rcpts : messages) batch.push_back(make_message("s@example.org", rcpts, kStart));
    return spool->enqueue(batch).value();
  }

  // Runs the event loop until `done` holds (at most `limit` of real time).
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io.run_one_for(std::chrono::milliseconds(5));
    }
    return true;
  }
  bool settle() {
    scheduler->poke();
    return run_until([&] { return scheduler->idle(); });
  }
  queue::Envelope envelope(const std::string& id) { return spool->envelope(id).value(); }

  TempDir dir;
  std::unique_ptr<queue::Spool> spool;
  asio::io_context io;
  asio::thread_pool workers{2};
  FakeClock clock;
  FakeRouter router;
  FakeAgent local{io}, relay{io};
  std::unique_ptr<Scheduler> scheduler;
};

TEST_F(SchedulerTest, DeliversAndRemoves) {
  make();
  scheduler->add_agent("local", local, 1);
  auto ids = enqueue({{"a@local.test"}, {"b@local.test", "c@local.test"}, {"d@local.test"}});
  scheduler->start();
  ASSERT_TRUE(settle());
  EXPECT_EQ(local.seen.size(), 4u);
  EXPECT_EQ(scheduler->stats().delivered, 4u);
  EXPECT_EQ(scheduler->stats().removed, 3u);
  EXPECT_TRUE(spool->list()->empty());
}

TEST_F(SchedulerTest, PerRecipientExponentialBackoff) {
  make({300, 1000, 5 * 86400});
  scheduler->add_agent("local", local, 1);
  local.script["slow@local.test"] = {0, Kind::Temporary, "452 4.2.2 mailbox full",
                                     BounceClass::Soft};
  auto id = enqueue({{"slow@local.test", "fast@local.test"}})[0];
  scheduler->start();
  ASSERT_TRUE(settle());
  auto e = envelope(id);
  EXPECT_EQ(e.recipients[1].state, Recipient::State::Delivered);
  EXPECT_EQ(e.recipients[0].state, Recipient::State::Pending);
  EXPECT_EQ(e.recipients[0].attempts, 1u);
  EXPECT_EQ(e.recipients[0].next_attempt, kStart + 1 + 300);
  EXPECT_EQ(e.recipients[0].first_failure, kStart);
  EXPECT_EQ(e.recipients[0].last_reply, "452 4.2.2 mailbox full");
  EXPECT_EQ(e.recipients[0].bounce_class, BounceClass::Soft);

  // Not due a second early; then each wait doubles up to the 1000 s ceiling.
  const std::vector<int64_t> waits{300, 600, 1000, 1000};
  int64_t due = kStart + 1 + 300;
  for (size_t k = 1; k < waits.size(); ++k) {
    clock.t = due - 1;
    ASSERT_TRUE(settle());
    ASSERT_EQ(envelope(id).recipients[0].attempts, k) << k;
    clock.t = due;
    ASSERT_TRUE(settle());
    e = envelope(id);
    ASSERT_EQ(e.recipients[0].attempts, k + 1);
    EXPECT_EQ(e.recipients[0].next_attempt, due + 1 + waits[k]) << k;
    due += 1 + waits[k];
  }
  EXPECT_EQ(local.seen,
            (std::vector<std::string>{"slow@local.test", "fast@local.test", "slow@local.test",
                                      "slow@local.test", "slow@local.test"}));
}

TEST_F(SchedulerTest, QueueLifetimeFailsTheRecipientAsExpired) {
  make({300, 300, 1000});
  scheduler->add_agent("local", local, 1);
  local.script["never@local.test"] = {0, Kind::Temporary, "421 4.4.2 gone", BounceClass::None};
  auto id = enqueue({{"never@local.test", "ok@local.test"}})[0];
  scheduler->start();
  ASSERT_TRUE(settle());
  // Attempts at +0, +301, +602, +903, then the last one exactly at expiry (+1000).
  for (int64_t t : {301, 602, 903}) {
    clock.t = kStart + t;
    ASSERT_TRUE(settle());
    EXPECT_EQ(envelope(id).recipients[0].next_attempt,
              kStart + std::min<int64_t>(t + 1 + 300, 1000));
  }
  clock.t = kStart + 1000;
  ASSERT_TRUE(settle());
  EXPECT_EQ(local.seen.size(), 6u);  // five attempts for one, one for the other
  EXPECT_EQ(scheduler->stats().failed, 1u);
  EXPECT_EQ(scheduler->stats().removed, 1u);  // nothing pending any more
  EXPECT_EQ(spool->envelope(id).error().kind, ErrorKind::NotFound);
}

TEST_F(SchedulerTest, PermanentFailureRecordsItsClass) {
  make();
  scheduler->add_agent("local", local, 1);
  local.script["gone@local.test"] = {0, Kind::Permanent, "550 5.1.1 no such user",
                                     BounceClass::Hard};
  local.script["later@local.test"] = {0, Kind::Temporary, "451 4.3.0 busy", BounceClass::Soft};
  auto id = enqueue({{"gone@local.test", "later@local.test"}})[0];
  scheduler->start();
  ASSERT_TRUE(settle());
  auto e = envelope(id);
  EXPECT_EQ(e.recipients[0].state, Recipient::State::Failed);
  EXPECT_EQ(e.recipients[0].bounce_class, BounceClass::Hard);
  EXPECT_EQ(e.recipients[0].last_reply, "550 5.1.1 no such user");
  EXPECT_EQ(e.recipients[1].state, Recipient::State::Pending);
}

TEST_F(SchedulerTest, ConcurrencyBoundAndBatchSize) {
  SchedulerLimits limits;
  limits.batch_size = 3;
  make({300, 3600, 86400}, limits);
  scheduler->add_agent("local", local, 2);
  std::vector<std::vector<std::string>> messages(20, {"x@local.test"});
  enqueue(messages);
  local.hold = true;
  scheduler->start();
  scheduler->poke();
  ASSERT_TRUE(run_until([&] { return local.running == 2; }));
  // Both slots busy: nothing more is started however long we wait.
  run_until([] { return false; }, std::chrono::milliseconds(50));
  EXPECT_EQ(local.running, 2u);
  EXPECT_EQ(local.calls, 2u);
  local.hold = false;
  ASSERT_TRUE(run_until([&] { return scheduler->idle(); }));
  EXPECT_EQ(local.max_running, 2u);
  EXPECT_LE(local.max_jobs, 3u);
  EXPECT_GE(local.calls, 7u);  // 20 messages in batches of at most 3
  EXPECT_EQ(scheduler->stats().delivered, 20u);
  EXPECT_TRUE(spool->list()->empty());
}

TEST_F(SchedulerTest, OneMessageToSeveralAgents) {
  make();
  scheduler->add_agent("local", local, 1);
  scheduler->add_agent("relay", relay, 4);
  auto id = enqueue(
      {{"a@local.test", "b@remote.test", "c@other.test", "d@remote.test", "e@nowhere.test"}})[0];
  scheduler->start();
  ASSERT_TRUE(settle());
  EXPECT_EQ(local.seen, (std::vector<std::string>{"a@local.test"}));
  // The relay gets one job per route key (destination).
  EXPECT_EQ(relay.calls, 2u);
  EXPECT_EQ(relay.routes, (std::set<std::string>{"remote.test", "other.test"}));
  EXPECT_EQ(relay.seen.size(), 3u);
  // The recipient no agent takes is deferred, not lost.
  auto e = envelope(id);
  EXPECT_EQ(e.recipients[4].state, Recipient::State::Pending);
  EXPECT_NE(e.recipients[4].last_reply.find("no delivery agent \"pigeon\""), std::string::npos);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(e.recipients[i].state, Recipient::State::Delivered) << i;
}

TEST_F(SchedulerTest, RelayWithoutAnAgentIsDeferredWithTheOldReply) {
  make();
  scheduler->add_agent("local", local, 1);
  auto id = enqueue({{"far@remote.test"}})[0];
  scheduler->start();
  ASSERT_TRUE(settle());
  auto e = envelope(id);
  EXPECT_EQ(e.recipients[0].last_reply, "451 4.4.0 relay to other domains is not available yet");
  EXPECT_EQ(e.recipients[0].next_attempt, kStart + 1 + 300);
}

TEST_F(SchedulerTest, APokeWakesItAtOnce) {
  make();  // scan_interval: an hour, so only the poke can wake it
  scheduler->add_agent("local", local, 1);
  scheduler->start();
  ASSERT_TRUE(settle());
  enqueue({{"new@local.test"}});
  run_until([] { return false; }, std::chrono::milliseconds(50));
  EXPECT_TRUE(local.seen.empty());  // not found without a poke
  scheduler->poke();
  ASSERT_TRUE(run_until([&] { return local.seen.size() == 1; }, std::chrono::seconds(5)));
}

TEST_F(SchedulerTest, PeriodicScansFindRetriesThatComeDue) {
  SchedulerLimits limits;
  limits.scan_interval = std::chrono::milliseconds(100);
  make({300, 3600, 86400}, limits);
  scheduler->add_agent("local", local, 1);
  local.script["retry@local.test"] = {0, Kind::Temporary, "451 4.3.0 busy", BounceClass::Soft};
  enqueue({{"retry@local.test"}});
  scheduler->start();
  ASSERT_TRUE(run_until([&] { return local.seen.size() == 1 && scheduler->idle(); }));
  clock.t = kStart + 1 + 300;  // due now; nobody pokes
  ASSERT_TRUE(run_until([&] { return local.seen.size() == 2; }, std::chrono::seconds(5)));
}

TEST_F(SchedulerTest, AFailingAgentLosesNothing) {
  make();
  scheduler->add_agent("local", local, 1);
  local.throw_next = true;
  auto id = enqueue({{"a@local.test"}})[0];
  scheduler->start();
  ASSERT_TRUE(settle());
  auto e = envelope(id);
  EXPECT_EQ(e.recipients[0].state, Recipient::State::Pending);
  EXPECT_NE(e.recipients[0].last_reply.find("no result from the local agent"), std::string::npos);
  clock.t = kStart + 1 + 300;
  ASSERT_TRUE(settle());
  EXPECT_TRUE(spool->list()->empty());
}

TEST_F(SchedulerTest, ALostClaimIsNotRecorded) {
  SchedulerLimits limits;
  limits.claim_lease = 30;
  make({300, 3600, 86400}, limits);
  scheduler->add_agent("local", local, 1);
  auto id = enqueue({{"a@local.test"}})[0];
  local.hold = true;
  scheduler->start();
  scheduler->poke();
  ASSERT_TRUE(run_until([&] { return local.running == 1; }));
  // The lease runs out and another worker takes the message.
  auto stolen = spool->claim(kStart + 31, 30, 10).value();
  ASSERT_EQ(stolen.size(), 1u);
  EXPECT_TRUE(stolen[0].reclaimed);
  local.hold = false;
  ASSERT_TRUE(run_until([&] { return !scheduler->busy(); }));
  EXPECT_EQ(scheduler->stats().lost_claims, 1u);
  EXPECT_EQ(scheduler->stats().delivered, 0u);
  EXPECT_EQ(envelope(id).recipients[0].attempts, 0u);  // the other worker's to record
}

TEST_F(SchedulerTest, LongDeliveriesRenewTheirLease) {
  SchedulerLimits limits;
  limits.claim_lease = 3;  // renewed every second of real time
  make({300, 3600, 86400}, limits);
  scheduler->add_agent("local", local, 1);
  enqueue({{"a@local.test"}});
  local.hold = true;
  scheduler->start();
  scheduler->poke();
  ASSERT_TRUE(run_until([&] { return local.running == 1; }));
  clock.t = kStart + 100;  // far past the first lease
  ASSERT_TRUE(run_until([&] { return scheduler->stats().renewals > 0; }, std::chrono::seconds(3)));
  // Renewed until now + 3: nobody else can take it.
  EXPECT_TRUE(spool->claim(kStart + 102, 3, 10)->empty());
  local.hold = false;
  ASSERT_TRUE(run_until([&] { return scheduler->idle(); }));
  EXPECT_EQ(scheduler->stats().delivered, 1u);
  EXPECT_EQ(scheduler->stats().lost_claims, 0u);
}

TEST_F(SchedulerTest, StopFinishesWhatIsInFlight) {
  make();
  scheduler->add_agent("local", local, 1);
  enqueue({{"a@local.test"}, {"b@local.test"}});
  local.hold = true;
  scheduler->start();
  scheduler->poke();
  ASSERT_TRUE(run_until([&] { return local.running == 1; }));
  scheduler->stop();
  run_until([] { return false; }, std::chrono::milliseconds(30));
  EXPECT_TRUE(scheduler->busy());
  local.hold = false;
  ASSERT_TRUE(run_until([&] { return !scheduler->busy(); }));
  EXPECT_EQ(scheduler->stats().delivered, 2u);
  // Stopped: new mail stays queued.
  enqueue({{"c@local.test"}});
  scheduler->poke();
  run_until([] { return false; }, std::chrono::milliseconds(30));
  EXPECT_EQ(spool->list()->size(), 1u);
}

}  // namespace
}  // namespace mail::queued
