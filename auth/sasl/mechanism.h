// Server-side SASL mechanisms (RFC 4422) as pure state machines over decoded bytes: no
// sockets, no base64 (the daemons frame the exchange, see framing.h), no directory and no
// clock. A mechanism never blocks: when it needs a lookup it returns a request
// (NeedPassword, NeedScramCredentials) and the driver (auth/authenticator.h) answers it
// later. Input is untrusted client bytes; every malformed message is a Failure value.
//
// The exchange, as the driver runs it:
//   step = mech->start(initial_response);               // nullopt: the client sent none
//   while (step is Continue) step = mech->respond(next client message);
//   NeedPassword            -> the driver checks the password (argon2id) and ends it;
//   NeedScramCredentials    -> step = mech->provide_credentials(lookup); continue looping;
//   Success / Failure       -> the end (Success may carry RFC 4422 "additional data").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/sasl/scram_keys.h"

namespace mail::auth::sasl {

// Send this challenge (raw bytes, possibly empty) and feed the answer to respond().
struct Continue {
  std::string challenge;
};
// PLAIN and LOGIN end here: the driver verifies the password.
struct NeedPassword {
  std::string authcid;  // the login name as the client sent it
  std::string authzid;  // requested authorization identity; empty when none
  std::string password;
};
// SCRAM asks for the account's stored keys once it knows the user name.
struct NeedScramCredentials {
  std::string authcid;
  std::string authzid;
};
// The client proved its identity. `additional_data` (SCRAM's server-final "v=...") goes
// to the client with the success reply or as a last challenge (RFC 4422 section 5).
struct Success {
  std::string additional_data;
};

enum class FailureReason {
  Malformed,       // the message does not follow the mechanism's grammar
  BadCredentials,  // the proof did not verify (SCRAM)
  ChannelBinding,  // channel binding missing, of an unsupported type, downgraded or wrong
  Unsupported,     // a mandatory extension or an option we do not implement (SCRAM "m=")
};

struct Failure {
  FailureReason reason = FailureReason::Malformed;
  std::string detail;  // for logs, never sent to the client
};

using Step = std::variant<Continue, NeedPassword, NeedScramCredentials, Success, Failure>;

class Mechanism {
 public:
  virtual ~Mechanism() = default;
  virtual std::string_view name() const = 0;

  // The first step; `initial_response` holds the client's initial response when it sent
  // one (RFC 4422 section 3.3; it may be empty), nullopt when it did not.
  virtual Step start(std::optional<std::string_view> initial_response) = 0;
  // The client's answer to the last Continue.
  virtual Step respond(std::string_view response) = 0;
  // The answer to NeedScramCredentials: the account's keys, or nullopt when there is no
  // such account (or it has no SCRAM keys yet). A mechanism that never asks fails here.
  virtual Step provide_credentials(const std::optional<ScramCredentials>& credentials);
};

// What a mechanism may use from the connection and the server.
struct MechanismOptions {
  // RFC 9266 tls-exporter channel binding data of this connection (32 octets), present
  // only on TLS 1.3 connections; SCRAM-SHA-256-PLUS is offered only with it.
  std::optional<std::string> tls_exporter;
  // SCRAM: the iteration count shown for unknown users (the configured count).
  uint32_t scram_iterations = kDefaultScramIterations;
  // SCRAM: key for the made-up salt of unknown users, so that the same unknown name gets
  // the same salt every time (an attacker cannot tell unknown from known names).
  std::string fake_salt_key;
  // SCRAM: makes the server nonce; defaults to 24 random octets in base64. Tests inject.
  std::function<std::string()> nonce;
};

inline constexpr std::string_view kPlain = "PLAIN";
inline constexpr std::string_view kLogin = "LOGIN";
inline constexpr std::string_view kScramSha256 = "SCRAM-SHA-256";
inline constexpr std::string_view kScramSha256Plus = "SCRAM-SHA-256-PLUS";

// The mechanisms to advertise, strongest first: SCRAM-SHA-256-PLUS only when the
// connection has tls-exporter data.
std::vector<std::string> server_mechanisms(bool channel_binding_available);

// A fresh mechanism for one exchange, or nullptr when `name` (case-insensitive, RFC 4422
// section 3.1) is unknown or not offered with these options (-PLUS without TLS 1.3).
std::unique_ptr<Mechanism> make_mechanism(std::string_view name, MechanismOptions options);

}  // namespace mail::auth::sasl
