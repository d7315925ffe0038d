#include "auth/verification_cache.h"

#include "auth/sasl/scram_keys.h"
#include "common/codec.h"

namespace mail::auth {

VerificationCache::VerificationCache(std::chrono::seconds ttl, size_t max_entries)
    : ttl_(ttl), max_entries_(max_entries), secret_(sasl::random_bytes(32)) {}

std::string VerificationCache::key(std::string_view account, std::string_view password,
                                   std::string_view stored_hash) const {
  // Length-prefixed fields, so that no two different triples give the same input.
  Encoder e;
  e.str(account).str(password).str(stored_hash);
  return sasl::hmac_sha256(secret_, e.bytes());
}

bool VerificationCache::contains(const std::string& key, Clock::time_point now) {
  if (!enabled()) return false;
  std::lock_guard lock(mutex_);
  auto it = expiry_.find(key);
  return it != expiry_.end() && now < it->second;
}

void VerificationCache::insert(const std::string& key, Clock::time_point now) {
  if (!enabled()) return;
  std::lock_guard lock(mutex_);
  const auto until = now + ttl_;
  expiry_[key] = until;
  order_.emplace_back(until, key);
  evict(now);
}

size_t VerificationCache::size() const {
  std::lock_guard lock(mutex_);
  return expiry_.size();
}

void VerificationCache::evict(Clock::time_point now) {
  while (!order_.empty() && (order_.front().first <= now || expiry_.size() > max_entries_ ||
                             order_.size() > 2 * max_entries_)) {
    auto& [until, key] = order_.front();
    auto it = expiry_.find(key);
    // A key inserted again has a later expiry: only its newest order entry removes it.
    if (it != expiry_.end() && it->second == until) expiry_.erase(it);
    order_.pop_front();
  }
}

}  // namespace mail::auth
