// The protocol-neutral login facade smtpd, imapd and pop3d share (Asio coroutines):
//   login()         a user name and password (IMAP LOGIN, POP3 USER/PASS);
//   authenticate()  a whole SASL exchange (SMTP AUTH, IMAP AUTHENTICATE, POP3 AUTH), with
//                   PLAIN, LOGIN, SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (auth/sasl/).
// Each attempt is checked against the shared login throttle BEFORE any hashing; a penalty
// delay is waited on an async timer (never blocking a loop); the argon2id check runs on the
// dedicated bounded PasswordCheckPool; recent successes are remembered in a
// VerificationCache. The outcome is a protocol-neutral value the daemon maps to its reply:
//
//   status            SMTP (RFC 4954)         IMAP (RFC 9051, 5530)        POP3 (RFC 2449, 3206)
//   Success           235 2.7.0               OK                           +OK
//   Denied            535 5.7.8               NO [AUTHENTICATIONFAILED]    -ERR [AUTH]
//   AuthzDenied       535 5.7.8               NO [AUTHORIZATIONFAILED]     -ERR [AUTH]
//   Throttled         454 4.7.0               NO [UNAVAILABLE]             -ERR [LOGIN-DELAY]
//   (account)
//                                                                          -ERR [SYS/TEMP]
//                                                                          (address)
//   Temporary         454 4.7.0               NO [UNAVAILABLE]             -ERR [SYS/TEMP]
//   Cancelled         501 5.0.0               BAD                          -ERR
//   Malformed         501 5.5.2               BAD                          -ERR
//   UnknownMechanism  504 5.5.4               NO [CANNOT]                  -ERR
//   ConnectionLost    (close the session)
//
// The Authenticator logs each outcome (event=auth_success / auth_failed / auth_throttled).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/directory.h"
#include "auth/login_throttle.h"
#include "auth/password_pool.h"
#include "auth/verification_cache.h"
#include "common/config.h"
#include "common/net/asio.h"

namespace mail::auth {

// Who is logging in, as the session knows it.
struct ClientInfo {
  std::string remote_address;  // "192.0.2.1", "2001:db8::1" (net::Connection::remote_address)
  std::string protocol;        // "smtp", "imap", "pop3": for logs
  std::string session;         // the session id, for logs
  // RFC 9266 tls-exporter data (net::Connection::tls_channel_binding): present only on a
  // TLS 1.3 connection; enables SCRAM-SHA-256-PLUS.
  std::optional<std::string> tls_exporter;
};

enum class LoginStatus {
  Success,
  Denied,            // wrong password, unknown user or disabled account: one answer for all
  AuthzDenied,       // the SASL authzid names another identity (checked before the password)
  Throttled,         // too many failures: try after retry_after (scope says whose)
  Temporary,         // the password pool is full or storage failed: try again soon
  Cancelled,         // the client sent "*" (RFC 4422 section 3.5 abort)
  Malformed,         // not base64, or a message the mechanism could not parse
  UnknownMechanism,  // not one of mechanisms() for this connection
  ConnectionLost,    // the channel could not deliver a challenge or read the answer
};

std::string_view login_status_name(LoginStatus status);

struct LoginResult {
  LoginStatus status = LoginStatus::Denied;
  std::string account;                        // Success: the canonical account name
  std::chrono::seconds retry_after{0};        // Throttled
  ThrottleScope scope = ThrottleScope::None;  // Throttled: address or account
};

// How a daemon carries one SASL exchange on its connection.
class SaslChannel {
 public:
  virtual ~SaslChannel() = default;
  // Sends a challenge, `base64` being its already encoded text (possibly empty: send the
  // bare prefix, "+ " or "334 "), and reads the client's answer line without CRLF. nullopt
  // when the connection closed or the read timed out (the exchange ends: ConnectionLost).
  virtual net::awaitable<std::optional<std::string>> challenge(std::string base64) = 0;
};

struct AuthenticatorOptions {
  ThrottlePolicy throttle;
  int password_threads = 2;
  size_t password_queue = 64;
  std::chrono::seconds cache_ttl{60};
  size_t cache_size = 10000;
  uint32_t scram_iterations = sasl::kDefaultScramIterations;

  static AuthenticatorOptions from(const AuthConfig& config);
};

class Authenticator {
 public:
  // Opens the throttle counters under config.throttle_dir().
  static Result<std::unique_ptr<Authenticator>> open(Directory& directory, const Config& config);
  Authenticator(Directory& directory, std::unique_ptr<LoginThrottle> throttle,
                const AuthenticatorOptions& options);
  ~Authenticator();

  // The SASL mechanisms to advertise to this client (SCRAM-SHA-256-PLUS only on TLS 1.3).
  std::vector<std::string> mechanisms(const ClientInfo& client) const;

  // A plain user name and password. REQUIRES: the caller checked that plaintext passwords
  // are allowed on this connection (TLS, or the loopback exception).
  net::awaitable<LoginResult> login(const ClientInfo& client, std::string_view user,
                                    std::string_view password);

  // Runs one SASL exchange. `initial_response` is the protocol's initial-response argument
  // as the client sent it (base64, or "=" for an empty one), nullopt when absent.
  net::awaitable<LoginResult> authenticate(const ClientInfo& client, std::string_view mechanism,
                                           std::optional<std::string_view> initial_response,
                                           SaslChannel& channel);

  // Counters for tests and (later) the metrics endpoint.
  struct Stats {
    std::atomic<uint64_t> password_checks{0};  // argon2id runs
    std::atomic<uint64_t> cache_hits{0};
    std::atomic<uint64_t> throttled{0};
    std::atomic<uint64_t> pool_full{0};
  };
  const Stats& stats() const { return stats_; }
  LoginThrottle& throttle() { return *throttle_; }
  VerificationCache& cache() { return cache_; }

 private:
  struct Check;
  struct ScramAttempt;
  // login() after the SASL layer: the shared password path.
  net::awaitable<LoginResult> check_password(const ClientInfo& client, std::string_view mechanism,
                                             std::string_view user, std::string_view password);
  // On a pool thread: throttle bookkeeping, argon2id, SCRAM key upgrade.
  Check verify_on_pool(const ClientInfo& client, std::string_view user, std::string_view password,
                       const std::optional<Credentials>& credentials);
  net::awaitable<std::optional<ScramAttempt>> begin_scram(const ClientInfo& client,
                                                          std::string_view user,
                                                          LoginResult& refusal);
  net::awaitable<void> wait(std::chrono::milliseconds delay);
  net::awaitable<void> report_success(const ClientInfo& client, std::string_view user);
  LoginResult finish(const ClientInfo& client, std::string_view mechanism, std::string_view user,
                     LoginResult result, std::string_view reason, bool cached = false);

  Directory& directory_;
  std::unique_ptr<LoginThrottle> throttle_;
  AuthenticatorOptions options_;
  VerificationCache cache_;
  Stats stats_;
  std::string fake_salt_key_;  // SCRAM salts of unknown users (stable for this process)
  PasswordCheckPool pool_;     // last: its threads stop first
};

}  // namespace mail::auth
