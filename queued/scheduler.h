// The delivery scheduler: claims due messages from the spool, routes each due recipient
// to a delivery agent, runs the agents' batches within each agent's concurrency bound,
// turns every attempt into the recipient's new state (retry_policy.h) and completes the
// claims, several per spool transaction. It keeps claiming while batches run, up to
// batch_size x (sum of the agents' concurrency) claims in flight, so delivery keeps up
// with acceptance; it renews the leases of claims that take long (a slow relay).
//
// Time comes from an injectable Clock (tests use a fake one); waiting uses the event
// loop's timers: a poke() (smtpd's datagram) wakes it at once, otherwise it looks every
// scan_interval. All state lives on one event loop (the io_context given); blocking spool
// and router calls run on the worker pool.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/net/asio.h"
#include "queue/spool.h"
#include "queued/delivery_agent.h"
#include "queued/dsn_notifier.h"
#include "queued/retry_policy.h"

namespace mail::queued {

struct SchedulerLimits {
  size_t batch_size = 256;                         // claims per spool call, jobs per agent call
  int64_t claim_lease = 300;                       // seconds; renewed after a third of it
  std::chrono::milliseconds scan_interval{30000};  // look for due mail at least this often
  std::string worker_name = "queued";  // owner of our claims (Spool::expire_claims at start)
};

class Scheduler {
 public:
  struct Stats {
    uint64_t claimed = 0, delivered = 0, deferred = 0, failed = 0, removed = 0;
    uint64_t lost_claims = 0, agent_batches = 0, renewals = 0;
  };

  // Every reference must outlive the scheduler.
  Scheduler(net::asio::io_context& loop, net::asio::thread_pool& workers, queue::Spool& spool,
            Router& router, Clock& clock, RetryPolicy retry, SchedulerLimits limits);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // REQUIRES: before start(). At most `concurrency` deliver() calls of the agent run at once.
  void add_agent(std::string name, DeliveryAgent& agent, size_t concurrency);
  // REQUIRES: before start(). Sees every batch of outcomes before it is recorded and
  // enqueues the DSNs they call for (dsn_notifier.h).
  void set_notifier(Notifier& notifier) { notifier_ = &notifier; }

  void start();
  // Look for due mail now (new mail arrived). Call on the event loop.
  void poke();
  // Claims nothing more; batches in flight finish and are completed.
  void stop();

  // Claims are in flight (for the shutdown's busy check).
  bool busy() const;
  // Nothing in flight, and the last look found nothing more due (tests wait for this).
  bool idle() const;
  const Stats& stats() const { return stats_; }

 private:
  struct InFlight;
  struct Agent;
  struct PendingJob;
  struct RoutedClaim;

  net::awaitable<void> run();
  net::awaitable<void> claim_more(size_t want);
  void admit(std::vector<RoutedClaim> claims);
  void dispatch();
  net::awaitable<void> run_batch(Agent& agent, std::vector<PendingJob> batch);
  void record(InFlight& owner, const AttemptResult& result, int64_t now);
  void job_done(InFlight& owner);
  void flush_completions();
  net::awaitable<void> complete(std::vector<InFlight*> ready);
  net::awaitable<void> renew_leases();
  size_t capacity() const;
  void wake();

  net::asio::io_context& loop_;
  net::asio::thread_pool& workers_;
  queue::Spool& spool_;
  Router& router_;
  Notifier* notifier_ = nullptr;
  Clock& clock_;
  const RetryPolicy retry_;
  const SchedulerLimits limits_;

  std::vector<std::unique_ptr<Agent>> agents_;
  std::map<std::string, std::unique_ptr<InFlight>> in_flight_;  // by queue id
  std::vector<InFlight*> ready_;  // every job done, waiting for complete()
  net::asio::steady_timer wake_;
  bool poked_ = false;
  bool maybe_due_ = true;  // the last claim was full, or a scan is due: look again
  bool claiming_ = false;
  bool completing_ = false;
  bool stopping_ = false;
  int64_t next_renewal_ = 0;  // clock time of the next lease renewal while claims are in flight
  Stats stats_;
};

}  // namespace mail::queued
