// Tests for the retry policy: exponential backoff with a ceiling, and the queue lifetime.
#include "queued/retry_policy.h"

#include <gtest/gtest.h>

namespace mail::queued {
namespace {

using Kind = AttemptResult::Kind;
using queue::BounceClass;
using queue::Outcome;

TEST(Backoff, DoublesFromTheFirstRetryUpToTheMaximum) {
  RetryPolicy p{300, 3600, 5 * 86400};
  EXPECT_EQ(backoff(p, 1), 300);
  EXPECT_EQ(backoff(p, 2), 600);
  EXPECT_EQ(backoff(p, 3), 1200);
  EXPECT_EQ(backoff(p, 4), 2400);
  EXPECT_EQ(backoff(p, 5), 3600);
  EXPECT_EQ(backoff(p, 6), 3600);
  EXPECT_EQ(backoff(p, 4000000000u), 3600);  // no overflow however many attempts
  EXPECT_EQ(backoff(RetryPolicy{7, 7, 100}, 9), 7);
}

TEST(OutcomeFor, MapsResultsToRecipientStates) {
  RetryPolicy p{300, 3600, 86400};
  queue::Envelope e;
  e.arrival = 1000;
  queue::Recipient r;
  r.attempts = 2;  // this is the third attempt

  Outcome o = outcome_for(p, e, r, {4, Kind::Delivered, "250 ok", BounceClass::Soft}, 2000);
  EXPECT_EQ(o.recipient, 4u);
  EXPECT_EQ(o.kind, Outcome::Kind::Delivered);
  EXPECT_EQ(o.bounce_class, BounceClass::None);
  EXPECT_EQ(o.reply, "250 ok");

  o = outcome_for(p, e, r, {0, Kind::Permanent, "550 5.1.1 no", BounceClass::None}, 2000);
  EXPECT_EQ(o.kind, Outcome::Kind::Failed);
  EXPECT_EQ(o.bounce_class, BounceClass::Hard);  // unclassified permanent: hard
  o = outcome_for(p, e, r, {0, Kind::Permanent, "550 5.7.1 policy", BounceClass::Policy}, 2000);
  EXPECT_EQ(o.bounce_class, BounceClass::Policy);

  o = outcome_for(p, e, r, {0, Kind::Temporary, "451 4.3.0 busy", BounceClass::None}, 2000);
  EXPECT_EQ(o.kind, Outcome::Kind::Deferred);
  EXPECT_EQ(o.bounce_class, BounceClass::Soft);
  EXPECT_EQ(o.next_attempt, 2000 + 1 + 1200);
  EXPECT_EQ(o.reply, "451 4.3.0 busy");
  EXPECT_EQ(o.transport, queue::Transport::None);

  // The transport goes on to the queue's delivery history.
  AttemptResult tls{0, Kind::Delivered, "250 ok"};
  tls.transport = queue::Transport::Tls;
  EXPECT_EQ(outcome_for(p, e, r, tls, 2000).transport, queue::Transport::Tls);
}

TEST(OutcomeFor, LifetimeEndsRetries) {
  RetryPolicy p{300, 3600, 10000};
  queue::Envelope e;
  e.arrival = 1000;  // expires at 11000
  queue::Recipient r;
  r.attempts = 10;
  AttemptResult busy{0, Kind::Temporary, "451 4.4.1 no answer", BounceClass::Soft};
  // The last wait ends at the expiry time, for one final attempt then.
  Outcome o = outcome_for(p, e, r, busy, 9000);
  EXPECT_EQ(o.kind, Outcome::Kind::Deferred);
  EXPECT_EQ(o.next_attempt, 11000);
  o = outcome_for(p, e, r, busy, 10999);
  EXPECT_EQ(o.next_attempt, 11000);
  o = outcome_for(p, e, r, busy, 11000);
  EXPECT_EQ(o.kind, Outcome::Kind::Failed);
  EXPECT_EQ(o.bounce_class, BounceClass::Expired);
  EXPECT_EQ(o.reply, "451 4.4.1 no answer");  // the last reply stays as the diagnostic
  // A permanent failure after expiry is still a permanent failure.
  o = outcome_for(p, e, r, {0, Kind::Permanent, "550 5.1.1 no", BounceClass::Hard}, 20000);
  EXPECT_EQ(o.bounce_class, BounceClass::Hard);
}

}  // namespace
}  // namespace mail::queued
