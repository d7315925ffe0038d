#include "queued/relay/sending_policy.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace mail::relay {
namespace {

class SendingPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("sending-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto p = open_sending_policy(dir_);
    ASSERT_TRUE(p.ok()) << p.error().message;
    policy_ = std::move(*p);
  }
  void TearDown() override {
    policy_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<SendingPolicy> policy_;
};

TEST_F(SendingPolicyTest, SuppressionListAddFindRemove) {
  SuppressionEntry e{"B@Example.NET", 1700000000, BounceClass::Hard,
                     "host mx.example.net[192.0.2.1] said: 550 5.1.1 User unknown", "Q1"};
  ASSERT_TRUE(policy_->suppress(e).ok());
  auto found = policy_->suppressed("b@example.net");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->address, "b@example.net");
  EXPECT_EQ((*found)->queue_id, "Q1");
  auto reply = check_suppression(*policy_, "b@example.net");
  ASSERT_TRUE(reply.ok());
  ASSERT_TRUE(reply->has_value());
  EXPECT_EQ((*reply)->code, 550);
  EXPECT_EQ((*reply)->enhanced, "5.1.1");
  EXPECT_TRUE(check_suppression(*policy_, "c@example.net")->has_value() == false);
  auto list = policy_->suppression_list();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE(*policy_->unsuppress("b@example.net"));
  EXPECT_FALSE(*policy_->unsuppress("b@example.net"));
  EXPECT_FALSE(policy_->suppressed("b@example.net")->has_value());
}

TEST_F(SendingPolicyTest, PersistsAcrossReopen) {
  ASSERT_TRUE(policy_->suppress({"x@y.example", 5, BounceClass::Hard, "550 5.1.1 no", "Q"}).ok());
  ASSERT_TRUE(policy_->set_user_limits("alice@example.org", {10, 100}).ok());
  policy_.reset();
  auto again = open_sending_policy(dir_);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)->suppressed("x@y.example")->has_value());
  EXPECT_EQ((*(*again)->user_limits("alice@example.org"))->per_day, 100u);
}

TEST_F(SendingPolicyTest, HourlyLimitAtTheEdge) {
  const int64_t t0 = 1700000000 - 1700000000 % 3600 + 60;  // one minute into an hour
  ASSERT_TRUE(policy_->set_user_limits("alice@example.org", {3, 0}).ok());
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(policy_->count_message("alice@example.org", t0 + i).ok());
  EXPECT_FALSE(check_sending_limit(*policy_, "alice@example.org", t0 + 5, {})->has_value());
  ASSERT_TRUE(policy_->count_message("alice@example.org", t0 + 6).ok());
  auto refused = check_sending_limit(*policy_, "alice@example.org", t0 + 7, {});
  ASSERT_TRUE(refused->has_value());
  EXPECT_EQ((*refused)->code, 450);
  EXPECT_EQ((*refused)->enhanced, "4.7.1");
  // Still counted 10 minutes into the next hour (sliding window: 3 x 50/60, rounded up) ...
  EXPECT_TRUE(
      check_sending_limit(*policy_, "alice@example.org", t0 + 3600 - 60 + 600, {})->has_value());
  // ... but not once the window has passed.
  EXPECT_FALSE(check_sending_limit(*policy_, "alice@example.org", t0 + 2 * 3600, {})->has_value());
  // Other users fall back to the defaults.
  EXPECT_FALSE(check_sending_limit(*policy_, "bob@example.org", t0, {1, 0})->has_value());
  ASSERT_TRUE(policy_->count_message("bob@example.org", t0).ok());
  EXPECT_TRUE(check_sending_limit(*policy_, "bob@example.org", t0, {1, 0})->has_value());
}

TEST_F(SendingPolicyTest, DailyLimitCountsTheLast24Hours) {
  const int64_t t0 = 1700000000 - 1700000000 % 3600;
  for (int h = 0; h < 5; ++h) ASSERT_TRUE(policy_->count_message("u@x", t0 + h * 3600, 2).ok());
  auto counts = policy_->sent("u@x", t0 + 4 * 3600 + 10);
  EXPECT_EQ(counts->last_day, 10u);
  EXPECT_TRUE(check_sending_limit(*policy_, "u@x", t0 + 4 * 3600 + 10, {0, 10})->has_value());
  EXPECT_FALSE(check_sending_limit(*policy_, "u@x", t0 + 4 * 3600 + 10, {0, 11})->has_value());
  // 24 hours after the first bucket, it has left the window.
  EXPECT_EQ(policy_->sent("u@x", t0 + 24 * 3600 + 10)->last_day, 8u);
  EXPECT_EQ(policy_->sent("u@x", t0 + 100 * 3600)->last_day, 0u);
}

TEST(HourlyRingTest, SlidingHour) {
  HourlyRing r;
  r.hour = 100;
  r.buckets[100 % 24] = 60;
  EXPECT_EQ(r.counts(100 * 3600 + 10).last_hour, 60u);
  // Half way into the next hour, half of the previous bucket still counts.
  EXPECT_EQ(r.counts(101 * 3600 + 1800).last_hour, 30u);
  EXPECT_EQ(r.counts(102 * 3600).last_hour, 0u);
  r.advance(99 * 3600);  // the clock going back changes nothing
  EXPECT_EQ(r.hour, 100);
}

}  // namespace
}  // namespace mail::relay
