#include "queued/relay_delivery.h"

#include "common/log.h"
#include "common/net/offload.h"

namespace mail::queued {

RelayDelivery::RelayDelivery(net::asio::thread_pool& workers, queue::Spool& spool,
                             relay::RelayAgent& agent, relay::SendingPolicy* policy, Clock& clock)
    : workers_(workers), spool_(spool), agent_(agent), policy_(policy), clock_(clock) {}

AttemptResult RelayDelivery::attempt_result(const relay::RelayResult& r) {
  AttemptResult a;
  a.recipient = r.recipient;
  a.reply = r.reply;
  a.bounce_class = r.bounce_class;
  switch (r.verdict) {
    case relay::Verdict::Delivered:
      a.kind = AttemptResult::Kind::Delivered;
      break;
    case relay::Verdict::Temporary:
      a.kind = AttemptResult::Kind::Temporary;
      break;
    case relay::Verdict::Permanent:
      a.kind = AttemptResult::Kind::Permanent;
      break;
  }
  a.success_notice = r.dsn_passed_on ? AttemptResult::SuccessNotice::NextHop
                                     : AttemptResult::SuccessNotice::Relayed;
  // A server answered (r.mx): over TLS or not. None: no connection carried the attempt.
  a.transport = r.mx.empty() ? queue::Transport::None
                : r.tls      ? queue::Transport::Tls
                             : queue::Transport::Plain;
  return a;
}

net::awaitable<std::vector<std::vector<AttemptResult>>> RelayDelivery::deliver(
    std::span<const DeliveryJob> jobs) {
  // The contents, read on the worker pool; a message that cannot be read is deferred.
  std::vector<Result<std::string>> contents = co_await net::offload(workers_, [&] {
    std::vector<Result<std::string>> out;
    out.reserve(jobs.size());
    for (const auto& job : jobs) out.push_back(spool_.content(job.claim->envelope.id));
    return out;
  });
  std::vector<std::vector<AttemptResult>> results(jobs.size());
  std::vector<relay::RelayJob> relay_jobs;
  std::vector<size_t> origin;  // relay_jobs[i] is jobs[origin[i]]
  for (size_t j = 0; j < jobs.size(); ++j) {
    if (!contents[j]) {
      log::error("queue_read_failed")
          .kv("queue_id", jobs[j].claim->envelope.id)
          .kv("error", contents[j].error().message);
      continue;  // no results: the scheduler defers them with 451 4.3.0
    }
    relay_jobs.push_back(
        relay::RelayJob{&jobs[j].claim->envelope, *contents[j], jobs[j].recipients});
    origin.push_back(j);
  }
  auto relayed = co_await agent_.deliver(relay_jobs);

  std::vector<relay::SuppressionEntry> suppress;
  const int64_t now = clock_.now();
  for (size_t i = 0; i < relayed.size(); ++i) {
    const queue::Envelope& e = *relay_jobs[i].envelope;
    for (const relay::RelayResult& r : relayed[i]) {
      results[origin[i]].push_back(attempt_result(r));
      if (r.suppress && policy_)
        suppress.push_back(relay::SuppressionEntry{e.recipients[r.recipient].address, now,
                                                   r.bounce_class, r.reply, e.id});
    }
  }
  if (!suppress.empty()) {
    auto done = co_await net::offload(workers_, [&]() -> Result<void> {
      for (const auto& s : suppress) {
        if (auto r = policy_->suppress(s); !r) return r;
      }
      return {};
    });
    if (!done) log::error("suppression_update_failed").kv("error", done.error().message);
    for (const auto& s : suppress)
      log::info("suppressed")
          .kv("queue_id", s.queue_id)
          .kv("recipient", s.address)
          .kv("reply", s.reply);
  }
  co_return results;
}

Router::Route RelayRouter::route(const queue::Envelope& envelope,
                                 const queue::Recipient& recipient) {
  Route r = inner_.route(envelope, recipient);
  if (r.agent == "relay") r.key = agent_.route_key(envelope, recipient);
  return r;
}

}  // namespace mail::queued
