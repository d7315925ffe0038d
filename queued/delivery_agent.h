// The interface between the scheduler (scheduler.h) and whatever delivers: local delivery
// into the store (local_delivery.h) now; the SMTP relay client and the bounce generator
// plug in the same way. The scheduler claims messages, asks the Router which agent takes
// each due recipient, hands each agent batches of jobs (never more than the agent's
// concurrency at once), turns each attempt's result into the recipient's new state
// (retry_policy.h: backoff, queue lifetime) and completes the claims.
//
// An agent trusts the claims it is given (they come from the spool) but nothing it reads
// from the network or the store; every result carries the reply to record for mailctl,
// logs and bounces.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/net/asio.h"
#include "queue/spool.h"

namespace mail::queued {

// One message's share of a delivery: the due recipients of one claim that go to one agent.
struct DeliveryJob {
  const queue::Claim* claim = nullptr;  // valid until deliver() returns
  std::vector<uint32_t> recipients;     // indexes into claim->envelope.recipients
  std::string route;                    // the Router's key (relay: the next hop); may be empty
};

// What one attempt did for one recipient.
struct AttemptResult {
  enum class Kind : uint8_t {
    Delivered,  // 2xx: done
    Temporary,  // 4xx or no answer: retried after a backoff, fails when the lifetime ends
    Permanent,  // 5xx: failed now
  };
  uint32_t recipient = 0;  // index into the envelope's recipients
  Kind kind = Kind::Temporary;
  std::string reply;  // "250 2.0.0 ...", "451 4.4.1 ...", "550 5.1.1 ..."
  queue::BounceClass bounce_class = queue::BounceClass::None;
  // Delivered: who reports it to a sender who asked with NOTIFY=SUCCESS (RFC 3461 5.2.2):
  // we, as "delivered" (final delivery) or "relayed" (the next hop does not do DSN), or
  // the next hop, which was given the NOTIFY parameter (dsn_notifier.h).
  enum class SuccessNotice : uint8_t { Delivered, Relayed, NextHop };
  SuccessNotice success_notice = SuccessNotice::Delivered;
  // How the attempt reached the next hop (the delivery history's TLS share); None for
  // local delivery and for attempts no server answered.
  queue::Transport transport = queue::Transport::None;
};

class DeliveryAgent {
 public:
  virtual ~DeliveryAgent() = default;

  // Attempts every recipient of every job. Returns, per job (same order), a result per
  // recipient; a recipient left without a result is deferred with a 451 4.3.0 reply.
  // Runs on the scheduler's event loop: blocking work goes to the worker pool.
  virtual net::awaitable<std::vector<std::vector<AttemptResult>>> deliver(
      std::span<const DeliveryJob> jobs) = 0;
};

// Decides which agent takes a recipient. Called on the worker pool (it may read the
// directory).
class Router {
 public:
  struct Route {
    std::string agent;  // "local", "relay", ...: the name the agent was added under
    std::string key;    // passed on in DeliveryJob::route; jobs batch per (agent, key)
  };
  virtual ~Router() = default;
  virtual Route route(const queue::Envelope& envelope, const queue::Recipient& recipient) = 0;
};

// The scheduler's notion of now, in seconds since the epoch; tests substitute a fake.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now() = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t now() override;
};

}  // namespace mail::queued
