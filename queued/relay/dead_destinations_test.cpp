#include "queued/relay/dead_destinations.h"

#include <gtest/gtest.h>

#include "queued/relay/protocol/reply_parser.h"

namespace mail::relay {
namespace {

using std::chrono::seconds;
using TimePoint = DeadDestinations::TimePoint;

DeadDestinations::Entry refused() {
  return {smtp::Reply(451, "4.4.1", "mx.dest.test: Connection refused"),
          "mx.dest.test",
          "192.0.2.1",
          false,
          {}};
}

TEST(DeadDestinationsTest, RemembersUntilTheExpiry) {
  DeadDestinations dead(seconds(120));
  const TimePoint t0{};
  dead.mark("dest.test mx tls=may", refused(), t0);
  auto hit = dead.find("dest.test mx tls=may", t0 + seconds(119));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->until, t0 + seconds(120));
  EXPECT_FALSE(dead.find("other.test mx tls=may", t0).has_value());
  EXPECT_FALSE(dead.find("dest.test mx tls=may", t0 + seconds(120)).has_value());
  EXPECT_EQ(dead.size(), 0u);  // the expired entry is gone
}

TEST(DeadDestinationsTest, ASuccessClearsAndAFailureRenews) {
  DeadDestinations dead(seconds(60));
  const TimePoint t0{};
  dead.mark("k", refused(), t0);
  dead.mark("k", refused(), t0 + seconds(50));  // a later failure: 60 s from then
  EXPECT_TRUE(dead.find("k", t0 + seconds(100)).has_value());
  dead.clear("k");
  EXPECT_FALSE(dead.find("k", t0 + seconds(100)).has_value());
}

TEST(DeadDestinationsTest, ZeroTimeRemembersNothing) {
  DeadDestinations dead(seconds(0));
  dead.mark("k", refused(), TimePoint{});
  EXPECT_FALSE(dead.find("k", TimePoint{}).has_value());
}

TEST(DeadDestinationsTest, AtTheEntryLimitTheFirstToExpireMakesRoom) {
  DeadDestinations dead(seconds(60), 2);
  const TimePoint t0{};
  dead.mark("a", refused(), t0);
  dead.mark("b", refused(), t0 + seconds(1));
  dead.mark("c", refused(), t0 + seconds(2));
  EXPECT_EQ(dead.size(), 2u);
  EXPECT_FALSE(dead.find("a", t0 + seconds(3)).has_value());
  EXPECT_TRUE(dead.find("b", t0 + seconds(3)).has_value());
  EXPECT_TRUE(dead.find("c", t0 + seconds(3)).has_value());
}

TEST(DeadDestinationsTest, SuspendedReplyCarriesTheLastError) {
  EXPECT_EQ(reply_text(DeadDestinations::suspended_reply(refused())),
            "451 4.4.1 delivery temporarily suspended: mx.dest.test: Connection refused");
  DeadDestinations::Entry busy{
      smtp::Reply(421, "4.3.2", "busy"), "mx.dest.test", "192.0.2.1", true, {}};
  EXPECT_EQ(reply_text(DeadDestinations::suspended_reply(busy)),
            "451 4.4.1 delivery temporarily suspended: host mx.dest.test[192.0.2.1] said: 421 "
            "4.3.2 busy");
}

}  // namespace
}  // namespace mail::relay
