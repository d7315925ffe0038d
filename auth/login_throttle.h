// Login throttling shared by smtpd, imapd and pop3d and across their processes: failed
// logins are counted per client address (IPv6 per /64) and per account name in a small
// LMDB environment (data_dir/throttle) opened without fsync, since losing the counters in
// a crash is harmless. Each failure doubles the delay imposed on the next attempt (as
// Dovecot's auth penalty: 2 s, 4 s, 8 s, capped at 15 s by default); at the configured
// number of failures the next attempts are refused outright for a lockout period, so a
// guesser gets one try per lockout period after that. Counters are forgotten
// `failure_memory` after their last failure.
//
// An attempt counts as a failure from the moment its check begins (begin_attempt), so that
// many parallel connections cannot all guess at the initial delay; a success takes that
// back for the address and clears the account's counter.
//
// Everything is checked BEFORE the password hash runs. check() is a short read (it may run
// on an event loop); begin_attempt() and succeeded() write (run them off the loop).
// Input (addresses, login names) is untrusted and only used as bounded keys.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace mail::lmdb {
class Env;
}

namespace mail::auth {

struct ThrottlePolicy {
  std::chrono::milliseconds initial_delay{2000};  // delay after the first failure
  std::chrono::milliseconds max_delay{15000};     // the doubling stops here
  uint32_t ip_failure_limit = 30;                 // failures from one address before refusal
  uint32_t account_failure_limit = 10;            // failures for one account before refusal
  std::chrono::seconds lockout{300};              // refusal lasts this long after the last failure
  std::chrono::seconds failure_memory{900};  // a counter resets this long after its last failure
  size_t map_size = size_t{64} << 20;        // LMDB map of data_dir/throttle
};

enum class ThrottleScope { None, Address, Account };

struct ThrottleVerdict {
  bool refused = false;                       // answer "try later" without checking
  ThrottleScope scope = ThrottleScope::None;  // what is refused (or delayed)
  std::chrono::seconds retry_after{0};        // with refused: until the lockout ends
  std::chrono::milliseconds delay{0};         // otherwise: wait this long, then check
  bool has_failures = false;                  // some counter is non-zero (succeeded() has work)
};

class LoginThrottle {
 public:
  using Clock = std::chrono::system_clock;  // wall clock: shared by several processes

  static Result<std::unique_ptr<LoginThrottle>> open(const std::filesystem::path& dir,
                                                     const ThrottlePolicy& policy);
  ~LoginThrottle();
  LoginThrottle(const LoginThrottle&) = delete;
  LoginThrottle& operator=(const LoginThrottle&) = delete;

  // What to do with an attempt from `address` for `login` now. A storage error is logged
  // and allows the attempt (fail open: throttling is a brake, not a gate).
  ThrottleVerdict check(std::string_view address, std::string_view login,
                        Clock::time_point now = Clock::now());

  // Counts the attempt as a failure of both counters, atomically with a fresh check: the
  // returned verdict is refused when parallel attempts crossed a limit meanwhile (then
  // nothing was counted). Its delay is not to be waited again.
  ThrottleVerdict begin_attempt(std::string_view address, std::string_view login,
                                Clock::time_point now = Clock::now());

  // The attempt's password was right: the account's counter is cleared and the address's
  // provisional failure taken back.
  void succeeded(std::string_view address, std::string_view login,
                 Clock::time_point now = Clock::now());

  // Deletes counters older than the policy's memory and lockout; returns how many.
  size_t prune(Clock::time_point now = Clock::now());
  // Forgets every counter.
  void clear();

  const ThrottlePolicy& policy() const { return policy_; }

  // The counter keys: "a <login lower-cased>" and "i <address>" (IPv6 cut to its /64).
  static std::string address_key(std::string_view address);
  static std::string account_key(std::string_view login);

 private:
  struct Impl;
  LoginThrottle(std::unique_ptr<Impl> impl, const ThrottlePolicy& policy);
  std::unique_ptr<Impl> impl_;
  ThrottlePolicy policy_;
};

}  // namespace mail::auth
