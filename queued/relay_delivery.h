// The relay as the scheduler sees it: a DeliveryAgent that reads each job's message from
// the spool (on the worker pool), hands the jobs to the RelayAgent (queued/relay/), turns
// every RelayResult into an AttemptResult (reply, bounce class, who reports a success),
// and puts recipients that hard-bounced on the suppression list. RelayRouter sends every
// recipient outside our domains to it, batched by next hop (NextHop::key()).
#pragma once

#include <span>
#include <vector>

#include "queue/spool.h"
#include "queued/delivery_agent.h"
#include "queued/relay/relay_agent.h"
#include "queued/relay/sending_policy.h"

namespace mail::queued {

class RelayDelivery final : public DeliveryAgent {
 public:
  // `policy` may be null (no suppression list). Every reference must outlive the agent.
  RelayDelivery(net::asio::thread_pool& workers, queue::Spool& spool, relay::RelayAgent& agent,
                relay::SendingPolicy* policy, Clock& clock);

  net::awaitable<std::vector<std::vector<AttemptResult>>> deliver(
      std::span<const DeliveryJob> jobs) override;

  // RelayResult -> AttemptResult (pure; tests call it).
  static AttemptResult attempt_result(const relay::RelayResult& r);

 private:
  net::asio::thread_pool& workers_;
  queue::Spool& spool_;
  relay::RelayAgent& agent_;
  relay::SendingPolicy* policy_;
  Clock& clock_;
};

// Recipients the wrapped router sends to "relay" get the relay's batch key.
class RelayRouter final : public Router {
 public:
  RelayRouter(Router& inner, const relay::RelayAgent& agent) : inner_(inner), agent_(agent) {}
  Route route(const queue::Envelope& envelope, const queue::Recipient& recipient) override;

 private:
  Router& inner_;
  const relay::RelayAgent& agent_;
};

}  // namespace mail::queued
