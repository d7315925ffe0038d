#include "auth/verification_cache.h"

#include <gtest/gtest.h>

namespace mail::auth {
namespace {

using namespace std::chrono_literals;
using CacheClock = VerificationCache::Clock;

TEST(VerificationCache, RemembersForTheTtl) {
  VerificationCache c(60s, 100);
  const auto t0 = CacheClock::now();
  const std::string k = c.key("alice@example.com", "pw", "$argon2id$hash");
  EXPECT_FALSE(c.contains(k, t0));
  c.insert(k, t0);
  EXPECT_TRUE(c.contains(k, t0 + 59s));
  EXPECT_FALSE(c.contains(k, t0 + 60s));
}

TEST(VerificationCache, KeyCoversAccountPasswordAndStoredHash) {
  VerificationCache c(60s, 100);
  const std::string k = c.key("alice@example.com", "pw", "h1");
  EXPECT_EQ(k.size(), 32u);
  EXPECT_EQ(k, c.key("alice@example.com", "pw", "h1"));
  EXPECT_NE(k, c.key("alice@example.com", "pw", "h2")) << "a password change must invalidate";
  EXPECT_NE(k, c.key("alice@example.com", "pW", "h1"));
  EXPECT_NE(k, c.key("bob@example.com", "pw", "h1"));
  // Length prefixes: moving a byte between fields changes the key.
  EXPECT_NE(c.key("ab", "c", "h"), c.key("a", "bc", "h"));
  // Another process (another random key) derives other keys.
  VerificationCache other(60s, 100);
  EXPECT_NE(k, other.key("alice@example.com", "pw", "h1"));
}

TEST(VerificationCache, BoundedSizeEvictsOldest) {
  VerificationCache c(60s, 3);
  const auto t0 = CacheClock::now();
  for (int i = 0; i < 5; ++i)
    c.insert(c.key("a", std::to_string(i), "h"), t0 + std::chrono::seconds(i));
  EXPECT_EQ(c.size(), 3u);
  EXPECT_FALSE(c.contains(c.key("a", "0", "h"), t0 + 5s));
  EXPECT_TRUE(c.contains(c.key("a", "4", "h"), t0 + 5s));
  // Re-inserting refreshes the entry.
  c.insert(c.key("a", "2", "h"), t0 + 50s);
  EXPECT_TRUE(c.contains(c.key("a", "2", "h"), t0 + 100s));
}

TEST(VerificationCache, DisabledWithZeroTtl) {
  VerificationCache c(0s, 100);
  EXPECT_FALSE(c.enabled());
  const std::string k = c.key("a", "b", "c");
  c.insert(k);
  EXPECT_FALSE(c.contains(k));
}

}  // namespace
}  // namespace mail::auth
