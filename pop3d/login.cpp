#include "pop3d/login.h"

namespace mail::pop3d {

std::string login_failure_text(const auth::LoginResult& r) {
  using auth::LoginStatus;
  const std::string wait = std::to_string(r.retry_after.count());
  switch (r.status) {
    case LoginStatus::Denied:
      return "[AUTH] Authentication failed";  // RFC 3206 4: the credentials
    case LoginStatus::AuthzDenied:
      return "[AUTH] Not authorized to act as that identity";
    case LoginStatus::Throttled:
      // RFC 2449 8.1.1 LOGIN-DELAY: this account may not log in yet; for a refused client
      // address, RFC 3206 SYS/TEMP (a temporary condition on our side of the session).
      if (r.scope == auth::ThrottleScope::Account)
        return "[LOGIN-DELAY] Too many failed logins, try again in " + wait + " seconds";
      return "[SYS/TEMP] Too many failed logins from your address, try again in " + wait +
             " seconds";
    case LoginStatus::Temporary:
      return "[SYS/TEMP] Authentication unavailable, try again later";
    case LoginStatus::Cancelled:
      return "Authentication cancelled";  // RFC 5034 4: "*" gets -ERR
    case LoginStatus::Malformed:
      return "Malformed SASL message";
    case LoginStatus::UnknownMechanism:
      return "Unsupported authentication mechanism";
    case LoginStatus::Success:
    case LoginStatus::ConnectionLost:
      break;
  }
  return "Authentication failed";
}

std::string sasl_capability(const std::vector<std::string>& mechanisms) {
  std::string out = "SASL";
  for (const auto& m : mechanisms) out += " " + m;
  return out;
}

auth::ClientInfo client_info(const net::Connection& conn) {
  return auth::ClientInfo{conn.remote_address(), "pop3", conn.id(), conn.tls_channel_binding()};
}

net::awaitable<std::optional<std::string>> Pop3SaslChannel::challenge(std::string base64) {
  // RFC 5034 4: "+" SP base64, also for an empty challenge ("+ ").
  conn_.send("+ " + base64 + "\r\n");
  const auto left = deadline_ - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) co_return std::nullopt;
  std::string line;
  auto status = co_await conn_.read_line(line, std::chrono::ceil<std::chrono::seconds>(left));
  if (status != net::ReadStatus::Ok) co_return std::nullopt;
  co_return line;
}

}  // namespace mail::pop3d
