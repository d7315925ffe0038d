// A short-lived memory of successful password verifications, as Dovecot's auth_cache:
// a client that reconnects with the same password within the TTL skips argon2id. The key
// is HMAC-SHA-256 under a random per-process key of (account, password, stored hash), so
// the cache holds no password or anything to test guesses against offline, and a password
// change (a new stored hash) invalidates every entry of the old one. Only successes are
// remembered, so a wrong guess always costs a full verification.
// Thread-safe: sessions of every event loop share one cache.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mail::auth {

class VerificationCache {
 public:
  using Clock = std::chrono::steady_clock;

  // ttl 0 disables the cache. max_entries bounds memory (about 150 octets per entry).
  VerificationCache(std::chrono::seconds ttl, size_t max_entries);

  bool enabled() const { return ttl_.count() > 0 && max_entries_ > 0; }
  std::string key(std::string_view account, std::string_view password,
                  std::string_view stored_hash) const;
  bool contains(const std::string& key, Clock::time_point now = Clock::now());
  void insert(const std::string& key, Clock::time_point now = Clock::now());
  size_t size() const;

 private:
  void evict(Clock::time_point now);  // REQUIRES: mutex_ held

  const std::chrono::seconds ttl_;
  const size_t max_entries_;
  const std::string secret_;  // the per-process HMAC key
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Clock::time_point> expiry_;
  // Insertion order, which is expiry order (one TTL for all): oldest first.
  std::deque<std::pair<Clock::time_point, std::string>> order_;
};

}  // namespace mail::auth
