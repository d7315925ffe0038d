// Login throttling (auth/login_throttle.h) with an explicit clock: growing delays, the
// refusal at the limit and its end, what a success clears, forgetting, IPv6 prefixes,
// parallel attempts and sharing between processes.
#include "auth/login_throttle.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

namespace mail::auth {
namespace {

using namespace std::chrono_literals;
using Clock = LoginThrottle::Clock;

class ThrottleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/auth_throttle_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    policy_.initial_delay = 2000ms;
    policy_.max_delay = 15000ms;
    policy_.ip_failure_limit = 8;
    policy_.account_failure_limit = 5;
    policy_.lockout = 300s;
    policy_.failure_memory = 900s;
    policy_.map_size = 1 << 20;
  }
  void open() {
    auto t = LoginThrottle::open(dir_, policy_);
    ASSERT_TRUE(t.ok()) << t.error().message;
    t_ = std::move(*t);
  }
  void TearDown() override {
    t_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A failed attempt: begin_attempt without succeeded().
  void fail(std::string_view ip, std::string_view user) {
    EXPECT_FALSE(t_->begin_attempt(ip, user, now_).refused);
  }

  std::filesystem::path dir_;
  ThrottlePolicy policy_;
  std::unique_ptr<LoginThrottle> t_;
  Clock::time_point now_ = Clock::time_point(std::chrono::seconds(1'700'000'000));
};

TEST_F(ThrottleTest, DelayDoublesUpToTheCap) {
  open();
  auto first = t_->check("192.0.2.1", "alice@example.com", now_);
  EXPECT_FALSE(first.refused);
  EXPECT_EQ(first.delay, 0ms);
  EXPECT_FALSE(first.has_failures);
  const std::chrono::milliseconds expected[] = {2000ms, 4000ms, 8000ms, 15000ms};
  for (auto want : expected) {
    fail("192.0.2.1", "alice@example.com");
    auto v = t_->check("192.0.2.1", "alice@example.com", now_);
    EXPECT_FALSE(v.refused);
    EXPECT_EQ(v.delay, want);
    EXPECT_TRUE(v.has_failures);
  }
}

TEST_F(ThrottleTest, AccountLimitRefusesEveryAddressUntilTheLockoutEnds) {
  open();
  for (int i = 0; i < 5; ++i) fail("192.0.2.1", "alice@example.com");
  auto v = t_->check("192.0.2.1", "Alice@Example.com", now_);
  EXPECT_TRUE(v.refused);
  EXPECT_EQ(v.scope, ThrottleScope::Account);
  EXPECT_EQ(v.retry_after, 300s);
  EXPECT_TRUE(t_->check("198.51.100.7", "alice@example.com", now_).refused)
      << "the account limit holds from another address";
  EXPECT_FALSE(t_->check("198.51.100.7", "bob@example.com", now_).refused)
      << "another account from another address is not affected";
  EXPECT_TRUE(t_->begin_attempt("192.0.2.1", "alice@example.com", now_).refused);
  EXPECT_EQ(t_->check("192.0.2.1", "alice@example.com", now_ + 100s).retry_after, 200s);
  // After the lockout: one attempt, at the longest delay; a failure locks again at once.
  auto after = t_->check("192.0.2.1", "alice@example.com", now_ + 300s);
  EXPECT_FALSE(after.refused);
  EXPECT_EQ(after.delay, 15000ms);
  EXPECT_FALSE(t_->begin_attempt("192.0.2.1", "alice@example.com", now_ + 300s).refused);
  EXPECT_TRUE(t_->check("192.0.2.1", "alice@example.com", now_ + 301s).refused);
  // A correct password after the penalty clears the account.
  t_->succeeded("192.0.2.1", "alice@example.com", now_ + 601s);
  EXPECT_FALSE(t_->check("198.51.100.7", "alice@example.com", now_ + 601s).has_failures);
}

TEST_F(ThrottleTest, AddressLimitRefusesThatAddressOnly) {
  open();
  for (int i = 0; i < 8; ++i) fail("192.0.2.1", "user" + std::to_string(i) + "@example.com");
  auto v = t_->check("192.0.2.1", "new@example.com", now_);
  EXPECT_TRUE(v.refused);
  EXPECT_EQ(v.scope, ThrottleScope::Address);
  EXPECT_FALSE(t_->check("192.0.2.2", "new@example.com", now_).refused);
  EXPECT_FALSE(t_->check("192.0.2.2", "user0@example.com", now_).refused);
}

TEST_F(ThrottleTest, SuccessClearsTheAccountAndTakesBackOneAddressFailure) {
  open();
  fail("192.0.2.1", "alice@example.com");
  fail("192.0.2.1", "alice@example.com");
  EXPECT_FALSE(t_->begin_attempt("192.0.2.1", "alice@example.com", now_).refused);
  t_->succeeded("192.0.2.1", "alice@example.com", now_);
  EXPECT_FALSE(t_->check("192.0.2.9", "alice@example.com", now_).has_failures);
  // The address keeps its two real failures: 4 s.
  EXPECT_EQ(t_->check("192.0.2.1", "bob@example.com", now_).delay, 4000ms);
}

TEST_F(ThrottleTest, FailuresAreForgottenAfterTheMemory) {
  open();
  for (int i = 0; i < 5; ++i) fail("192.0.2.1", "alice@example.com");
  EXPECT_TRUE(t_->check("192.0.2.1", "alice@example.com", now_ + 899s).has_failures);
  auto v = t_->check("192.0.2.1", "alice@example.com", now_ + 900s);
  EXPECT_FALSE(v.has_failures);
  EXPECT_EQ(v.delay, 0ms);
  // A new failure starts a fresh count.
  EXPECT_FALSE(t_->begin_attempt("192.0.2.1", "alice@example.com", now_ + 900s).refused);
  EXPECT_EQ(t_->check("192.0.2.1", "alice@example.com", now_ + 900s).delay, 2000ms);
  EXPECT_EQ(t_->prune(now_ + 900s), 0u);
  EXPECT_EQ(t_->prune(now_ + 2000s), 2u);
}

TEST_F(ThrottleTest, Ipv6CountsPerSlash64) {
  EXPECT_EQ(LoginThrottle::address_key("2001:db8:1:2::1"),
            LoginThrottle::address_key("2001:db8:1:2:ffff:eeee:dddd:cccc"));
  EXPECT_NE(LoginThrottle::address_key("2001:db8:1:2::1"),
            LoginThrottle::address_key("2001:db8:1:3::1"));
  EXPECT_EQ(LoginThrottle::address_key("192.0.2.1"), "i 192.0.2.1");
  EXPECT_EQ(LoginThrottle::account_key("Alice@Example.COM"), "a alice@example.com");
  EXPECT_EQ(LoginThrottle::account_key(std::string(10000, 'x')).size(), 258u);
}

TEST_F(ThrottleTest, ParallelAttemptsCannotOvershootTheLimit) {
  open();
  // Five attempts pass the read-only check together, then each begins: only those
  // under the limit are let through.
  int let_through = 0;
  for (int i = 0; i < 9; ++i) {
    if (!t_->begin_attempt("192.0.2.1", "alice@example.com", now_).refused) ++let_through;
  }
  EXPECT_EQ(let_through, 5);
}

TEST_F(ThrottleTest, CountersAreSharedBetweenProcesses) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto t = LoginThrottle::open(dir_, policy_);
    if (!t) _exit(1);
    for (int i = 0; i < 5; ++i) (void)(*t)->begin_attempt("192.0.2.1", "alice@example.com", now_);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  open();
  EXPECT_TRUE(t_->check("203.0.113.5", "alice@example.com", now_).refused);
}

TEST_F(ThrottleTest, AFullMapForgetsInsteadOfFailing) {
  policy_.map_size = 64 * 1024;  // a few hundred counters
  open();
  for (int i = 0; i < 5000; ++i) {
    EXPECT_FALSE(
        t_->begin_attempt("10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250),
                          "u" + std::to_string(i), now_)
            .refused);
  }
  fail("192.0.2.1", "alice@example.com");
  EXPECT_TRUE(t_->check("192.0.2.1", "alice@example.com", now_).has_failures);
}

}  // namespace
}  // namespace mail::auth
