// What an attempt's result means for a recipient's next state: delivered, failed, or
// deferred on an exponential backoff (queued.retry_delay doubling per attempt up to
// queued.max_retry_delay), and failed as Expired once it has been queued longer than
// queued.queue_lifetime. Pure functions; the scheduler applies them.
#pragma once

#include <cstdint>

#include "queue/spool.h"
#include "queued/delivery_agent.h"

namespace mail::queued {

struct RetryPolicy {
  int64_t retry_delay = 300;           // first retry after this many seconds
  int64_t max_retry_delay = 3600;      // never wait longer than this between attempts
  int64_t queue_lifetime = 5 * 86400;  // seconds after arrival; then a temporary failure fails
};

// Seconds to wait after the attempt numbered `attempts` (1 for the first) failed.
int64_t backoff(const RetryPolicy& policy, uint32_t attempts);

// The outcome to record for `result` of an attempt at `now` (whole seconds, rounded down)
// on `recipient` of `envelope` (recipient.attempts does not count this attempt yet). A
// deferred recipient is due at now + 1 + backoff: never sooner than the backoff.
queue::Outcome outcome_for(const RetryPolicy& policy, const queue::Envelope& envelope,
                           const queue::Recipient& recipient, const AttemptResult& result,
                           int64_t now);

}  // namespace mail::queued
