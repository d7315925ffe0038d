// The concrete mechanisms behind make_mechanism() (mechanism.h). Daemons use the factory;
// tests and fuzz targets construct these directly.
#pragma once

#include "auth/sasl/mechanism.h"
#include "auth/sasl/scram_messages.h"

namespace mail::auth::sasl {

class PlainMechanism final : public Mechanism {
 public:
  std::string_view name() const override { return kPlain; }
  Step start(std::optional<std::string_view> initial_response) override;
  Step respond(std::string_view response) override;

 private:
  Step parse(std::string_view message);
  bool waiting_ = false;  // an empty challenge was sent
};

class LoginMechanism final : public Mechanism {
 public:
  std::string_view name() const override { return kLogin; }
  Step start(std::optional<std::string_view> initial_response) override;
  Step respond(std::string_view response) override;

 private:
  Step take_user(std::string_view user);
  enum class State { Start, WantUser, WantPassword, Done };
  State state_ = State::Start;
  std::string user_;
};

// SCRAM-SHA-256 (RFC 5802, RFC 7677) and, with `plus`, SCRAM-SHA-256-PLUS with the
// tls-exporter channel binding (RFC 9266). Messages:
//   C: client-first   -> NeedScramCredentials; provide_credentials -> Continue(server-first)
//   C: client-final   -> Success(server-final "v=...") or Failure
class ScramMechanism final : public Mechanism {
 public:
  // REQUIRES: options.nonce set when the default random nonce is not wanted.
  ScramMechanism(bool plus, MechanismOptions options);
  std::string_view name() const override { return plus_ ? kScramSha256Plus : kScramSha256; }
  Step start(std::optional<std::string_view> initial_response) override;
  Step respond(std::string_view response) override;
  Step provide_credentials(const std::optional<ScramCredentials>& credentials) override;

 private:
  Step client_first(std::string_view message);
  Step client_final(std::string_view message);
  Step fail(FailureReason reason, std::string detail);
  // Made-up, stable credentials for an unknown user: the exchange goes on and fails at the
  // proof, like a wrong password.
  ScramCredentials fake_credentials() const;

  enum class State { Start, WantClientFirst, WantCredentials, WantClientFinal, Done };
  bool plus_;
  MechanismOptions options_;
  State state_ = State::Start;
  ClientFirst first_;
  std::string server_first_;
  std::string nonce_;  // client nonce + server nonce
  ScramCredentials credentials_;
};

}  // namespace mail::auth::sasl
