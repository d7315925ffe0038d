#include "queued/retry_policy.h"

#include <algorithm>

namespace mail::queued {

int64_t backoff(const RetryPolicy& policy, uint32_t attempts) {
  int64_t delay = std::max<int64_t>(policy.retry_delay, 1);
  for (uint32_t i = 1; i < attempts && delay < policy.max_retry_delay; ++i) delay *= 2;
  return std::min(delay, std::max<int64_t>(policy.max_retry_delay, 1));
}

queue::Outcome outcome_for(const RetryPolicy& policy, const queue::Envelope& envelope,
                           const queue::Recipient& recipient, const AttemptResult& result,
                           int64_t now) {
  using Kind = queue::Outcome::Kind;
  queue::Outcome o;
  o.recipient = result.recipient;
  o.reply = result.reply;
  o.bounce_class = result.bounce_class;
  o.transport = result.transport;
  switch (result.kind) {
    case AttemptResult::Kind::Delivered:
      o.kind = Kind::Delivered;
      o.bounce_class = queue::BounceClass::None;
      return o;
    case AttemptResult::Kind::Permanent:
      o.kind = Kind::Failed;
      if (o.bounce_class == queue::BounceClass::None) o.bounce_class = queue::BounceClass::Hard;
      return o;
    case AttemptResult::Kind::Temporary:
      break;
  }
  const int64_t expires = envelope.arrival + policy.queue_lifetime;
  if (now >= expires) {
    // RFC 3463 4.4.7: delivery time expired. The last reply stays as the diagnostic.
    o.kind = Kind::Failed;
    o.bounce_class = queue::BounceClass::Expired;
    return o;
  }
  o.kind = Kind::Deferred;
  if (o.bounce_class == queue::BounceClass::None) o.bounce_class = queue::BounceClass::Soft;
  // `now` is in whole seconds, rounded down: one second more, so that the retry never comes
  // sooner than the backoff after the failure (a failure late in a second was retried up
  // to a second early: with a 1 s retry_delay, at once). One last attempt when the
  // lifetime ends, rather than a wait beyond it.
  o.next_attempt = std::min(now + 1 + backoff(policy, recipient.attempts + 1), expires);
  return o;
}

}  // namespace mail::queued
