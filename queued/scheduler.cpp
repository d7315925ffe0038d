// The delivery scheduler (see scheduler.h). One coroutine, run(), claims; each agent batch
// is a coroutine of its own; complete() writes finished claims back in one transaction.
// Everything here runs on one event loop, so the members need no locks.
#include "queued/scheduler.h"

#include <algorithm>
#include <ctime>
#include <exception>

#include "common/log.h"
#include "common/mail_metrics.h"
#include "common/net/offload.h"

namespace mail::queued {

namespace asio = net::asio;
using net::awaitable;
using net::use_nothrow;

int64_t SystemClock::now() {
  return static_cast<int64_t>(std::time(nullptr));
}

struct Scheduler::InFlight {
  queue::Claim claim;
  size_t outstanding = 0;  // jobs not finished yet
  std::vector<queue::Outcome> outcomes;
  std::vector<AttemptResult::SuccessNotice> success;  // parallel to outcomes (notifier)
};

struct Scheduler::PendingJob {
  InFlight* owner = nullptr;
  DeliveryJob job;
};

struct Scheduler::Agent {
  std::string name;
  DeliveryAgent* agent = nullptr;
  size_t concurrency = 1;
  size_t running = 0;
  std::deque<PendingJob> queue;
};

// A claim with each due recipient's route, as computed on the worker pool.
struct Scheduler::RoutedClaim {
  queue::Claim claim;
  std::vector<Router::Route> routes;  // parallel to claim.recipients
};

namespace {

const char* kind_name(queue::Outcome::Kind kind) {
  switch (kind) {
    case queue::Outcome::Kind::Delivered:
      return "delivered";
    case queue::Outcome::Kind::Deferred:
      return "deferred";
    case queue::Outcome::Kind::Failed:
      return "failed";
  }
  return "?";
}

const char* class_name(queue::BounceClass c) {
  switch (c) {
    case queue::BounceClass::None:
      return "none";
    case queue::BounceClass::Hard:
      return "hard";
    case queue::BounceClass::Soft:
      return "soft";
    case queue::BounceClass::Policy:
      return "policy";
    case queue::BounceClass::Spam:
      return "spam";
    case queue::BounceClass::Tls:
      return "tls";
    case queue::BounceClass::Expired:
      return "expired";
  }
  return "?";
}

}  // namespace

Scheduler::Scheduler(asio::io_context& loop, asio::thread_pool& workers, queue::Spool& spool,
                     Router& router, Clock& clock, RetryPolicy retry, SchedulerLimits limits)
    : loop_(loop),
      workers_(workers),
      spool_(spool),
      router_(router),
      clock_(clock),
      retry_(retry),
      limits_(limits),
      wake_(loop) {}

Scheduler::~Scheduler() = default;

void Scheduler::add_agent(std::string name, DeliveryAgent& agent, size_t concurrency) {
  auto a = std::make_unique<Agent>();
  a->name = std::move(name);
  a->agent = &agent;
  a->concurrency = std::max<size_t>(concurrency, 1);
  agents_.push_back(std::move(a));
}

void Scheduler::start() {
  asio::co_spawn(loop_, run(), asio::detached);
}

void Scheduler::poke() {
  poked_ = true;
  wake();
}

void Scheduler::stop() {
  stopping_ = true;
  wake();
}

void Scheduler::wake() {
  wake_.cancel();
}

bool Scheduler::busy() const {
  return claiming_ || completing_ || !in_flight_.empty();
}

bool Scheduler::idle() const {
  return !busy() && !poked_ && !maybe_due_;
}

size_t Scheduler::capacity() const {
  size_t slots = 0;
  for (const auto& a : agents_) slots += a->concurrency;
  size_t max = limits_.batch_size * std::max<size_t>(slots, 1);
  return in_flight_.size() >= max ? 0 : max - in_flight_.size();
}

awaitable<void> Scheduler::run() {
  {
    // What our previous run held when it died is ours to deliver now, not after its lease.
    claiming_ = true;
    const int64_t now = clock_.now();
    auto expired = co_await net::offload(
        workers_, [&] { return spool_.expire_claims(limits_.worker_name, now); });
    claiming_ = false;
    if (!expired)
      log::error("queue_expire_claims_failed").kv("error", expired.error().message);
    else if (*expired > 0)
      log::info("claims_taken_back").kv("count", static_cast<uint64_t>(*expired));
  }
  while (!stopping_) {
    // Renewals first: a claim of ours must never run out and come back to us as due.
    if (!in_flight_.empty() && clock_.now() >= next_renewal_) {
      co_await renew_leases();
      next_renewal_ = clock_.now() + limits_.claim_lease / 3;
      continue;
    }
    if ((poked_ || maybe_due_) && capacity() > 0) {
      poked_ = false;
      co_await claim_more(std::min(limits_.batch_size, capacity()));
      continue;
    }
    // Sleep until poked, until capacity frees up, or until the next periodic look.
    auto wait = limits_.scan_interval;
    if (!in_flight_.empty())
      wait = std::min<std::chrono::milliseconds>(
          wait, std::chrono::seconds(std::max<int64_t>(limits_.claim_lease / 3, 1)));
    wake_.expires_after(wait);
    auto [ec] = co_await wake_.async_wait(use_nothrow);
    if (!ec) maybe_due_ = true;  // the timer ran out: a periodic look (retries come due)
  }
}

awaitable<void> Scheduler::claim_more(size_t want) {
  claiming_ = true;
  const int64_t now = clock_.now();
  // Claim and route on the worker pool: both read LMDB, the claim writes it.
  auto routed = co_await net::offload(workers_, [&]() -> Result<std::vector<RoutedClaim>> {
    auto claims = spool_.claim(now, limits_.claim_lease, want, limits_.worker_name);
    if (!claims) return claims.error();
    std::vector<RoutedClaim> out;
    out.reserve(claims->size());
    for (auto& c : *claims) {
      RoutedClaim rc;
      for (uint32_t i : c.recipients)
        rc.routes.push_back(router_.route(c.envelope, c.envelope.recipients[i]));
      rc.claim = std::move(c);
      out.push_back(std::move(rc));
    }
    return out;
  });
  claiming_ = false;
  if (!routed) {
    log::error("queue_claim_failed").kv("error", routed.error().message);
    maybe_due_ = false;  // try again at the next poke or scan, not in a tight loop
    co_return;
  }
  maybe_due_ = routed->size() == want;
  stats_.claimed += routed->size();
  // The first claims after a quiet time: their leases are fresh.
  if (in_flight_.empty()) next_renewal_ = now + limits_.claim_lease / 3;
  admit(std::move(routed).value());
  dispatch();
  flush_completions();
}

void Scheduler::admit(std::vector<RoutedClaim> claims) {
  const int64_t now = clock_.now();
  for (RoutedClaim& rc : claims) {
    auto owned = std::make_unique<InFlight>();
    InFlight& f = *owned;
    f.claim = std::move(rc.claim);
    if (f.claim.reclaimed)
      log::warn("claim_expired")
          .kv("queue_id", f.claim.envelope.id)
          .kv("note", "a worker died; retried");
    // Group the due recipients per (agent, route key): one job each.
    std::map<std::pair<Agent*, std::string>, DeliveryJob> jobs;
    for (size_t k = 0; k < f.claim.recipients.size(); ++k) {
      const uint32_t index = f.claim.recipients[k];
      const Router::Route& route = rc.routes[k];
      auto it = std::find_if(agents_.begin(), agents_.end(),
                             [&](const auto& a) { return a->name == route.agent; });
      if (it == agents_.end()) {
        std::string reply = route.agent == "relay"
                                ? "451 4.4.0 relay to other domains is not available yet"
                                : "451 4.3.0 no delivery agent \"" + route.agent + "\"";
        record(
            f,
            AttemptResult{index, AttemptResult::Kind::Temporary, reply, queue::BounceClass::Soft},
            now);
        continue;
      }
      DeliveryJob& job = jobs[{it->get(), route.key}];
      job.claim = &f.claim;
      job.route = route.key;
      job.recipients.push_back(index);
    }
    const std::string id = f.claim.envelope.id;
    auto [slot, inserted] = in_flight_.emplace(id, std::move(owned));
    if (!inserted) {
      // The spool never hands out a message twice while its claim lives; a duplicate
      // here means our own earlier claim ran out while its jobs still run. Leave it.
      log::error("claim_duplicate").kv("queue_id", id);
      continue;
    }
    for (auto& [key, job] : jobs) {
      ++f.outstanding;
      key.first->queue.push_back(PendingJob{&f, std::move(job)});
    }
    if (f.outstanding == 0) ready_.push_back(&f);
  }
}

void Scheduler::dispatch() {
  for (auto& a : agents_) {
    while (a->running < a->concurrency && !a->queue.empty()) {
      // A batch: jobs with the same route key, up to batch_size, in arrival order.
      std::vector<PendingJob> batch;
      const std::string key = a->queue.front().job.route;
      for (auto it = a->queue.begin(); it != a->queue.end() && batch.size() < limits_.batch_size;) {
        if (it->job.route == key) {
          batch.push_back(std::move(*it));
          it = a->queue.erase(it);
        } else {
          ++it;
        }
      }
      ++a->running;
      ++stats_.agent_batches;
      asio::co_spawn(loop_, run_batch(*a, std::move(batch)), asio::detached);
    }
  }
}

awaitable<void> Scheduler::run_batch(Agent& agent, std::vector<PendingJob> batch) {
  std::vector<DeliveryJob> jobs;
  jobs.reserve(batch.size());
  for (const PendingJob& p : batch) jobs.push_back(p.job);
  std::vector<std::vector<AttemptResult>> results;
  const auto started = metrics::Clock::now();
  try {
    results = co_await agent.agent->deliver(jobs);
  } catch (const std::exception& e) {
    // A bug in an agent must not lose the claims: every recipient is retried.
    log::error("agent_failed").kv("agent", agent.name).kv("error", e.what());
  }
  metrics::delivery_batch(agent.name, metrics::Clock::now() - started);
  const int64_t now = clock_.now();
  for (size_t j = 0; j < batch.size(); ++j) {
    InFlight& owner = *batch[j].owner;
    std::vector<bool> answered(owner.claim.envelope.recipients.size(), false);
    if (j < results.size()) {
      for (const AttemptResult& r : results[j]) {
        const auto& wanted = batch[j].job.recipients;
        // Only results for recipients this job carried count.
        if (std::find(wanted.begin(), wanted.end(), r.recipient) == wanted.end() ||
            answered[r.recipient])
          continue;
        answered[r.recipient] = true;
        record(owner, r, now);
      }
    }
    for (uint32_t i : batch[j].job.recipients)
      if (!answered[i])
        record(owner,
               AttemptResult{i, AttemptResult::Kind::Temporary,
                             "451 4.3.0 no result from the " + agent.name + " agent",
                             queue::BounceClass::Soft},
               now);
    job_done(owner);
  }
  --agent.running;
  dispatch();
  flush_completions();
}

void Scheduler::record(InFlight& owner, const AttemptResult& result, int64_t now) {
  const queue::Envelope& e = owner.claim.envelope;
  owner.outcomes.push_back(outcome_for(retry_, e, e.recipients[result.recipient], result, now));
  owner.success.push_back(result.success_notice);
}

void Scheduler::job_done(InFlight& owner) {
  if (--owner.outstanding == 0) ready_.push_back(&owner);
}

void Scheduler::flush_completions() {
  if (completing_ || ready_.empty()) return;
  completing_ = true;
  asio::co_spawn(loop_, complete(std::exchange(ready_, {})), asio::detached);
}

awaitable<void> Scheduler::complete(std::vector<InFlight*> ready) {
  if (notifier_) {
    // DSNs first, durably: a crash before the completion repeats them rather than lose them.
    std::vector<NoticeItem> items;
    items.reserve(ready.size());
    for (InFlight* f : ready) items.push_back(NoticeItem{&f->claim.envelope, &f->outcomes, &f->success});
    auto notices = co_await notifier_->before_complete(items, clock_.now());
    if (!notices) {
      // Nothing is recorded: the leases run out and the attempts (and notices) repeat.
      log::error("dsn_enqueue_failed")
          .kv("messages", static_cast<uint64_t>(ready.size()))
          .kv("error", notices.error().message);
      for (InFlight* f : ready) in_flight_.erase(f->claim.envelope.id);
      completing_ = false;
      flush_completions();
      wake();
      co_return;
    }
    if (*notices > 0) poked_ = true;  // the DSNs are due now
  }
  std::vector<queue::Completion> batch;
  batch.reserve(ready.size());
  for (InFlight* f : ready)
    batch.push_back(
        queue::Completion{queue::ClaimRef{f->claim.envelope.id, f->claim.token}, f->outcomes});
  const int64_t now = clock_.now();
  auto done = co_await net::offload(workers_, [&] { return spool_.complete(batch, now); });
  if (!done) {
    // Nothing was recorded. The claims' leases run out and the messages come back; the
    // store's idempotency keys keep local copies from doubling.
    log::error("queue_complete_failed")
        .kv("messages", static_cast<uint64_t>(batch.size()))
        .kv("error", done.error().message);
  }
  for (size_t i = 0; i < ready.size(); ++i) {
    InFlight& f = *ready[i];
    const queue::Envelope& e = f.claim.envelope;
    if (done && !(*done)[i]) {
      ++stats_.lost_claims;
      log::warn("claim_lost").kv("queue_id", e.id).kv("error", (*done)[i].error().message);
    } else if (done) {
      for (const queue::Outcome& o : f.outcomes) {
        const queue::Recipient& r = e.recipients[o.recipient];
        auto line = o.kind == queue::Outcome::Kind::Delivered ? log::info(kind_name(o.kind))
                                                              : log::warn(kind_name(o.kind));
        line.kv("queue_id", e.id).kv("session", e.session_id).kv("recipient", r.address);
        line.kv("reply", o.reply);
        if (o.kind != queue::Outcome::Kind::Delivered) line.kv("class", class_name(o.bounce_class));
        if (o.kind == queue::Outcome::Kind::Deferred) line.kv("next_attempt", o.next_attempt);
        metrics::delivery(kind_name(o.kind));
        switch (o.kind) {
          case queue::Outcome::Kind::Delivered:
            ++stats_.delivered;
            break;
          case queue::Outcome::Kind::Deferred:
            ++stats_.deferred;
            break;
          case queue::Outcome::Kind::Failed:
            ++stats_.failed;
            break;
        }
      }
      if ((*done)[i]->removed) {
        ++stats_.removed;
        log::info("removed").kv("queue_id", e.id);
      }
    }
    in_flight_.erase(e.id);
  }
  completing_ = false;
  flush_completions();
  wake();  // capacity freed: the claimer may take more
}

awaitable<void> Scheduler::renew_leases() {
  std::vector<queue::ClaimRef> refs;
  for (const auto& [id, f] : in_flight_) refs.push_back(queue::ClaimRef{id, f->claim.token});
  const int64_t until = clock_.now() + limits_.claim_lease;
  auto renewed = co_await net::offload(workers_, [&] { return spool_.renew(refs, until); });
  if (!renewed) {
    log::error("queue_renew_failed").kv("error", renewed.error().message);
    co_return;
  }
  stats_.renewals += refs.size();
  for (size_t i = 0; i < refs.size(); ++i)
    if (!(*renewed)[i])
      log::warn("renew_failed")
          .kv("queue_id", refs[i].id)
          .kv("error", (*renewed)[i].error().message);
}

}  // namespace mail::queued
