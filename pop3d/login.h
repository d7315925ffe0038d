// What POP3 adds to the shared Authenticator (auth/authenticator.h): the SASL framing of
// RFC 5034 section 4 (challenges "+ <base64>", one answer line each, "*" cancels), the
// -ERR text with RFC 2449/3206 response codes for each failed outcome, and CAPA's SASL
// line (RFC 2449 6.3).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "auth/authenticator.h"
#include "common/net/connection.h"

namespace mail::pop3d {

// The text after "-ERR " for an outcome other than Success and ConnectionLost.
std::string login_failure_text(const auth::LoginResult& result);

// "SASL SCRAM-SHA-256 PLAIN LOGIN" (no CRLF).
std::string sasl_capability(const std::vector<std::string>& mechanisms);

// Who is logging in on this connection, for the Authenticator.
auth::ClientInfo client_info(const net::Connection& conn);

// One SASL exchange on a POP3 connection; every answer must arrive before `deadline`
// (the session's login deadline).
class Pop3SaslChannel final : public auth::SaslChannel {
 public:
  Pop3SaslChannel(net::Connection& conn, std::chrono::steady_clock::time_point deadline)
      : conn_(conn), deadline_(deadline) {}
  net::awaitable<std::optional<std::string>> challenge(std::string base64) override;

 private:
  net::Connection& conn_;
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace mail::pop3d
