// Failure counters in LMDB (see login_throttle.h). One database, `counters`:
//   "i <address>" or "a <login>" -> u8 version (1), u32 failures, i64 last failure (unix s)
// The environment is opened with MDB_NOSYNC: commits reach the page cache, not the disk.
#include "auth/login_throttle.h"

#include <arpa/inet.h>
#include <lmdb.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "auth/address.h"
#include "common/codec.h"
#include "common/lmdb.h"
#include "common/log.h"

namespace mail::auth {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint8_t kCounterVersion = 1;
constexpr size_t kMaxLoginKey = 256;    // longer names cannot be accounts (kMaxAddress)
constexpr uint32_t kPruneEvery = 1024;  // writes between two prunes

struct Counter {
  uint32_t failures = 0;
  int64_t last = 0;  // unix seconds of the last failure
};

std::string encode_counter(const Counter& c) {
  Encoder e;
  e.u8(kCounterVersion).u32(c.failures).i64(c.last);
  return std::move(e).bytes();
}

// A garbled value reads as no failures: counters are advisory.
Counter decode_counter(std::string_view bytes) {
  Decoder d(bytes);
  Counter c;
  uint8_t version = d.u8();
  c.failures = d.u32();
  c.last = d.i64();
  if (!d.ok() || !d.at_end() || version != kCounterVersion) return Counter{};
  return c;
}

int64_t unix_seconds(LoginThrottle::Clock::time_point t) {
  return duration_cast<seconds>(t.time_since_epoch()).count();
}

}  // namespace

struct LoginThrottle::Impl {
  std::unique_ptr<lmdb::Env> env;
  MDB_dbi counters = 0;
  std::atomic<uint32_t> writes{0};
};

LoginThrottle::LoginThrottle(std::unique_ptr<Impl> impl, const ThrottlePolicy& policy)
    : impl_(std::move(impl)), policy_(policy) {}

LoginThrottle::~LoginThrottle() = default;

Result<std::unique_ptr<LoginThrottle>> LoginThrottle::open(const std::filesystem::path& dir,
                                                           const ThrottlePolicy& policy) {
  lmdb::EnvOptions options;
  options.map_size = policy.map_size;
  options.max_dbs = 2;
  options.flags = MDB_NOSYNC | MDB_NOMETASYNC;
  auto env = lmdb::Env::open(dir, options);
  if (!env) return env.error();
  auto txn = lmdb::Txn::begin(**env, true);
  if (!txn) return txn.error();
  auto dbi = txn->open_db("counters", true);
  if (!dbi) return dbi.error();
  if (auto r = txn->commit(); !r) return r.error();
  auto impl = std::make_unique<Impl>();
  impl->env = std::move(*env);
  impl->counters = *dbi;
  return std::unique_ptr<LoginThrottle>(new LoginThrottle(std::move(impl), policy));
}

std::string LoginThrottle::address_key(std::string_view address) {
  std::string text(address.substr(0, INET6_ADDRSTRLEN));
  unsigned char v6[16];
  if (inet_pton(AF_INET6, text.c_str(), v6) == 1) {
    // One IPv6 client usually holds a whole /64: count the prefix, not the address.
    std::fill(v6 + 8, v6 + 16, 0);
    char out[INET6_ADDRSTRLEN];
    if (inet_ntop(AF_INET6, v6, out, sizeof out)) return "i " + std::string(out) + "/64";
  }
  return "i " + text;
}

std::string LoginThrottle::account_key(std::string_view login) {
  return "a " + to_lower_ascii(login.substr(0, kMaxLoginKey));
}

namespace {

// The verdict one counter gives under `policy` at `now`.
ThrottleVerdict judge(const Counter& c, uint32_t limit, ThrottleScope scope,
                      const ThrottlePolicy& policy, int64_t now) {
  ThrottleVerdict v;
  if (c.failures == 0 || now - c.last >= policy.failure_memory.count()) return v;
  v.has_failures = true;
  v.scope = scope;
  if (c.failures >= limit && now < c.last + policy.lockout.count()) {
    v.refused = true;
    v.retry_after = seconds(std::max<int64_t>(1, c.last + policy.lockout.count() - now));
    return v;
  }
  // initial * 2^(failures-1), capped; the shift is bounded so it cannot overflow.
  const uint32_t doublings = std::min<uint32_t>(c.failures - 1, 20);
  v.delay = std::min(policy.max_delay, policy.initial_delay * (int64_t{1} << doublings));
  return v;
}

// The stricter of two verdicts: a refusal wins (the longer one), else the longer delay.
ThrottleVerdict stricter(ThrottleVerdict a, const ThrottleVerdict& b) {
  const bool any = a.has_failures || b.has_failures;
  ThrottleVerdict out = a;
  if (b.refused && (!a.refused || b.retry_after > a.retry_after))
    out = b;
  else if (!a.refused && !b.refused && b.delay > a.delay)
    out = b;
  out.has_failures = any;
  return out;
}

Counter read_counter(lmdb::Txn& txn, MDB_dbi dbi, std::string_view key) {
  auto got = txn.get(dbi, key);
  if (!got || !got->has_value()) return Counter{};
  return decode_counter(**got);
}

}  // namespace

ThrottleVerdict LoginThrottle::check(std::string_view address, std::string_view login,
                                     Clock::time_point now) {
  auto txn = lmdb::Txn::begin(*impl_->env, false);
  if (!txn) {
    log::warn("throttle_unavailable").kv("error", txn.error().message);
    return ThrottleVerdict{};
  }
  const int64_t t = unix_seconds(now);
  const Counter ip = read_counter(*txn, impl_->counters, address_key(address));
  const Counter account = read_counter(*txn, impl_->counters, account_key(login));
  return stricter(
      judge(ip, policy_.ip_failure_limit, ThrottleScope::Address, policy_, t),
      judge(account, policy_.account_failure_limit, ThrottleScope::Account, policy_, t));
}

ThrottleVerdict LoginThrottle::begin_attempt(std::string_view address, std::string_view login,
                                             Clock::time_point now) {
  const int64_t t = unix_seconds(now);
  const std::string keys[2] = {address_key(address), account_key(login)};
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto txn = lmdb::Txn::begin(*impl_->env, true);
    if (!txn) {
      log::warn("throttle_unavailable").kv("error", txn.error().message);
      return ThrottleVerdict{};
    }
    Counter c[2] = {read_counter(*txn, impl_->counters, keys[0]),
                    read_counter(*txn, impl_->counters, keys[1])};
    ThrottleVerdict v =
        stricter(judge(c[0], policy_.ip_failure_limit, ThrottleScope::Address, policy_, t),
                 judge(c[1], policy_.account_failure_limit, ThrottleScope::Account, policy_, t));
    if (v.refused) return v;
    bool full = false;
    for (int i = 0; i < 2; ++i) {
      if (t - c[i].last >= policy_.failure_memory.count()) c[i].failures = 0;
      c[i].failures = c[i].failures == UINT32_MAX ? UINT32_MAX : c[i].failures + 1;
      c[i].last = t;
      auto put = txn->put(impl_->counters, keys[i], encode_counter(c[i]));
      if (!put) {
        full = true;
        break;
      }
    }
    if (!full) {
      if (auto r = txn->commit(); r) {
        if (++impl_->writes % kPruneEvery == 0) prune(now);
        return v;
      }
    }
    txn->abort();
    // The map is full (a flood of addresses): drop what has expired, or else every
    // counter (losing them only forgives past failures), and try once more.
    log::warn("throttle_full").kv("map_size", static_cast<uint64_t>(policy_.map_size));
    if (attempt == 0 && prune(now) == 0) clear();
  }
  return ThrottleVerdict{};
}

void LoginThrottle::succeeded(std::string_view address, std::string_view login,
                              Clock::time_point now) {
  (void)now;
  auto txn = lmdb::Txn::begin(*impl_->env, true);
  if (!txn) return;
  (void)txn->del(impl_->counters, account_key(login));
  const std::string ip_key = address_key(address);
  Counter ip = read_counter(*txn, impl_->counters, ip_key);
  if (ip.failures > 1) {
    --ip.failures;
    (void)txn->put(impl_->counters, ip_key, encode_counter(ip));
  } else {
    (void)txn->del(impl_->counters, ip_key);
  }
  (void)txn->commit();
}

void LoginThrottle::clear() {
  auto txn = lmdb::Txn::begin(*impl_->env, true);
  if (!txn) return;
  if (mdb_drop(txn->get(), impl_->counters, 0) == 0) (void)txn->commit();
}

size_t LoginThrottle::prune(Clock::time_point now) {
  const int64_t t = unix_seconds(now);
  const int64_t keep = std::max(policy_.failure_memory.count(), policy_.lockout.count());
  auto txn = lmdb::Txn::begin(*impl_->env, true);
  if (!txn) return 0;
  auto cur = lmdb::Cursor::open(*txn, impl_->counters);
  if (!cur) return 0;
  std::vector<std::string> expired;
  for (bool more = cur->first(); more; more = cur->next()) {
    if (t - decode_counter(cur->value()).last >= keep) expired.emplace_back(cur->key());
  }
  for (const auto& key : expired) {
    if (!txn->del(impl_->counters, key)) return 0;
  }
  const size_t removed = expired.size();
  if (!txn->commit()) return 0;
  return removed;
}

}  // namespace mail::auth
