// The Authenticator's password path (see authenticator.h): throttle check, cache, penalty
// delay, then argon2id on the password pool. The SASL exchange is in sasl_exchange.cpp.
#include "auth/authenticator.h"

#include "auth/password.h"
#include "auth/sasl/mechanism.h"
#include "common/log.h"
#include "common/mail_metrics.h"

namespace mail::auth {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string_view login_status_name(LoginStatus status) {
  switch (status) {
    case LoginStatus::Success:
      return "success";
    case LoginStatus::Denied:
      return "denied";
    case LoginStatus::AuthzDenied:
      return "authz_denied";
    case LoginStatus::Throttled:
      return "throttled";
    case LoginStatus::Temporary:
      return "temporary";
    case LoginStatus::Cancelled:
      return "cancelled";
    case LoginStatus::Malformed:
      return "malformed";
    case LoginStatus::UnknownMechanism:
      return "unknown_mechanism";
    case LoginStatus::ConnectionLost:
      return "connection_lost";
  }
  return "?";
}

AuthenticatorOptions AuthenticatorOptions::from(const AuthConfig& c) {
  AuthenticatorOptions o;
  o.throttle.initial_delay = milliseconds(c.failure_delay_ms);
  o.throttle.max_delay = milliseconds(c.max_failure_delay_ms);
  o.throttle.ip_failure_limit = static_cast<uint32_t>(c.ip_failure_limit);
  o.throttle.account_failure_limit = static_cast<uint32_t>(c.account_failure_limit);
  o.throttle.lockout = seconds(c.lockout);
  o.throttle.failure_memory = seconds(c.failure_memory);
  o.throttle.map_size = static_cast<size_t>(c.throttle_map_size);
  o.password_threads = c.password_threads;
  o.password_queue = static_cast<size_t>(c.password_queue);
  o.cache_ttl = seconds(c.cache_ttl);
  o.cache_size = static_cast<size_t>(c.cache_size);
  o.scram_iterations = static_cast<uint32_t>(c.scram_iterations);
  return o;
}

Result<std::unique_ptr<Authenticator>> Authenticator::open(Directory& directory,
                                                           const Config& config) {
  const auto options = AuthenticatorOptions::from(config.auth);
  auto throttle = LoginThrottle::open(config.throttle_dir(), options.throttle);
  if (!throttle) return throttle.error();
  return std::make_unique<Authenticator>(directory, std::move(*throttle), options);
}

Authenticator::Authenticator(Directory& directory, std::unique_ptr<LoginThrottle> throttle,
                             const AuthenticatorOptions& options)
    : directory_(directory),
      throttle_(std::move(throttle)),
      options_(options),
      cache_(options.cache_ttl, options.cache_size),
      fake_salt_key_(sasl::random_bytes(32)),
      pool_(options.password_threads, options.password_queue) {}

Authenticator::~Authenticator() = default;

std::vector<std::string> Authenticator::mechanisms(const ClientInfo& client) const {
  return sasl::server_mechanisms(client.tls_exporter.has_value());
}

struct Authenticator::Check {
  LoginResult result;
  std::string reason;  // for the log
};

namespace {

LoginResult status(LoginStatus s) {
  return LoginResult{s, {}, seconds(0), ThrottleScope::None};
}

LoginResult throttled(const ThrottleVerdict& v) {
  return LoginResult{LoginStatus::Throttled, {}, v.retry_after, v.scope};
}

std::string_view scope_name(ThrottleScope s) {
  switch (s) {
    case ThrottleScope::Address:
      return "address";
    case ThrottleScope::Account:
      return "account";
    case ThrottleScope::None:
      break;
  }
  return "none";
}

}  // namespace

LoginResult Authenticator::finish(const ClientInfo& client, std::string_view mechanism,
                                  std::string_view user, LoginResult result,
                                  std::string_view reason, bool cached) {
  const char* event = result.status == LoginStatus::Success     ? "auth_success"
                      : result.status == LoginStatus::Throttled ? "auth_throttled"
                                                                : "auth_failed";
  auto line = log::info(event);
  line.kv("session", client.session)
      .kv("protocol", client.protocol)
      .kv("remote", client.remote_address)
      .kv("mechanism", mechanism)
      .kv("user", user.substr(0, 256))
      .kv("status", login_status_name(result.status));
  if (!reason.empty()) line.kv("reason", reason);
  if (cached) line.kv("cached", true);
  if (result.status == LoginStatus::Throttled) ++stats_.throttled;
  metrics::auth_result(client.protocol, login_status_name(result.status));
  if (result.status == LoginStatus::Throttled)
    line.kv("scope", scope_name(result.scope))
        .kv("retry_after", static_cast<int64_t>(result.retry_after.count()));
  return result;
}

net::awaitable<void> Authenticator::wait(milliseconds delay) {
  if (delay.count() <= 0) co_return;
  net::asio::steady_timer timer(co_await net::asio::this_coro::executor, delay);
  co_await timer.async_wait(net::use_nothrow);
}

net::awaitable<void> Authenticator::report_success(const ClientInfo& client,
                                                   std::string_view user) {
  // A write: off the loop. A full pool skips it; the counters then only decay.
  (void)co_await pool_.run([&] {
    throttle_->succeeded(client.remote_address, user);
    return true;
  });
}

net::awaitable<LoginResult> Authenticator::login(const ClientInfo& client, std::string_view user,
                                                 std::string_view password) {
  co_return co_await check_password(client, "password", user, password);
}

net::awaitable<LoginResult> Authenticator::check_password(const ClientInfo& client,
                                                          std::string_view mechanism,
                                                          std::string_view user,
                                                          std::string_view password) {
  // 1. Throttling first: a refused attempt costs one LMDB read, no hashing.
  const ThrottleVerdict verdict = throttle_->check(client.remote_address, user);
  if (verdict.refused) co_return finish(client, mechanism, user, throttled(verdict), "");
  // 2. The account (a short read; no transaction outlives this call).
  auto found = directory_.credentials(user);
  if (!found)
    co_return finish(client, mechanism, user, status(LoginStatus::Temporary),
                     found.error().message);
  const std::optional<Credentials> credentials = std::move(*found);
  // 3. A recent success with the same password and stored hash skips argon2id.
  std::string cache_key;
  if (credentials && cache_.enabled()) {
    cache_key = cache_.key(credentials->account, password, credentials->password_hash);
    if (credentials->enabled && cache_.contains(cache_key)) {
      if (verdict.has_failures) co_await report_success(client, user);
      ++stats_.cache_hits;
      LoginResult ok = status(LoginStatus::Success);
      ok.account = credentials->account;
      co_return finish(client, mechanism, user, ok, "", true);
    }
  }
  // 4. The penalty for earlier failures, on a timer, then argon2id on the password pool.
  co_await wait(verdict.delay);
  auto check =
      co_await pool_.run([&] { return verify_on_pool(client, user, password, credentials); });
  if (!check) {
    ++stats_.pool_full;
    co_return finish(client, mechanism, user, status(LoginStatus::Temporary),
                     "password check queue full");
  }
  if (check->result.status == LoginStatus::Success && !cache_key.empty()) cache_.insert(cache_key);
  co_return finish(client, mechanism, user, check->result, check->reason);
}

Authenticator::Check Authenticator::verify_on_pool(const ClientInfo& client, std::string_view user,
                                                   std::string_view password,
                                                   const std::optional<Credentials>& credentials) {
  // Counted as a failure now, atomically with a fresh look at the limits: parallel
  // connections cannot all pass the check at the first, short delay.
  const ThrottleVerdict verdict = throttle_->begin_attempt(client.remote_address, user);
  if (verdict.refused) return Check{throttled(verdict), ""};
  // Always one argon2id run, so an unknown user costs the same time as a wrong password.
  ++stats_.password_checks;
  const bool match =
      verify_password(credentials ? credentials->password_hash : dummy_password_hash(), password);
  if (!credentials) return Check{status(LoginStatus::Denied), "unknown user"};
  if (!match) return Check{status(LoginStatus::Denied), "wrong password"};
  if (!credentials->enabled) return Check{status(LoginStatus::Denied), "account disabled"};
  throttle_->succeeded(client.remote_address, user);
  if (credentials->scram.empty()) {
    // An account from before SCRAM: derive its keys now that the password is known.
    try {
      auto keys = sasl::new_scram_credentials(password, options_.scram_iterations);
      auto added =
          directory_.add_scram_credentials(credentials->account, credentials->password_hash, keys);
      if (!added)
        log::warn("scram_keys_failed")
            .kv("user", credentials->account)
            .kv("error", added.error().message);
      else if (*added)
        log::info("scram_keys_added").kv("user", credentials->account);
    } catch (const std::exception& e) {
      log::warn("scram_keys_failed").kv("user", credentials->account).kv("error", e.what());
    }
  }
  LoginResult ok = status(LoginStatus::Success);
  ok.account = credentials->account;
  return Check{ok, ""};
}

}  // namespace mail::auth
