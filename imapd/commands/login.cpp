// Commands before authentication: STARTTLS (RFC 9051 section 6.2.1), LOGIN (6.2.3) and
// AUTHENTICATE PLAIN (6.2.2, RFC 4616, RFC 4959 SASL-IR). Passwords are checked on the
// worker pool (argon2id). Input: credentials from an unauthenticated client.
#include "common/base64.h"
#include "common/log.h"
#include "imapd/commands/handlers.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {
namespace {

net::awaitable<void> finish_login(Session& s, const imap::Command& c, Result<std::string> account) {
  auto& conn = s.connection();
  if (!account) {
    log::info("login_failed").kv("session", conn.id()).kv("remote", conn.remote_address());
    // A pause per failure slows down guessing; shared throttling comes with the auth issue.
    net::asio::steady_timer pause(conn.executor(), std::chrono::seconds(1));
    co_await pause.async_wait(net::use_nothrow);
    s.no(c, "AUTHENTICATIONFAILED", "Authentication failed");
    co_return;
  }
  s.change_state(Authenticated{*account}, "login");
  log::info("login").kv("session", conn.id()).kv("user", *account).kv("tls", conn.is_tls());
  // RFC 9051 section 6.2.3: the capabilities change at login; say them now.
  s.out().tagged(c.tag).status(imap::Status::Ok).begin_code("CAPABILITY");
  s.write_capabilities(s.out());
  s.out().end_code().text("Logged in");
}

}  // namespace

net::awaitable<void> starttls(Session& s, const imap::Command& c) {
  auto& conn = s.connection();
  if (!s.context().tls || conn.is_tls()) {
    s.bad(c.tag, "STARTTLS not available");
    co_return;
  }
  s.out().tagged_status(c.tag, imap::Status::Ok, "Begin TLS negotiation now");
  // start_tls() writes the OK, then drops anything pipelined behind STARTTLS (it was
  // sent in plaintext and could be an injection). The handshake is pre-login: it gets
  // the login timeout.
  auto context = s.context().tls->current();
  if (!co_await conn.start_tls(*context, s.read_timeout())) {
    s.change_state(Logout{}, "TLS handshake failed");
    co_return;
  }
  log::info("tls").kv("session", conn.id()).kv("version", conn.tls_version());
}

net::awaitable<void> login(Session& s, const imap::Command& c) {
  if (!s.plaintext_auth_allowed()) {
    s.no(c, "PRIVACYREQUIRED", "Use STARTTLS before LOGIN");
    co_return;
  }
  const auto& args = std::get<imap::LoginArgs>(c.args);
  auto& directory = s.context().directory;
  auto account =
      co_await s.blocking([&] { return directory.authenticate(args.userid, args.password); });
  co_await finish_login(s, c, std::move(account));
}

net::awaitable<void> authenticate(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::AuthenticateArgs>(c.args);
  if (args.mechanism != "PLAIN") {
    s.no(c, "CANNOT", "Unsupported authentication mechanism");
    co_return;
  }
  if (!s.plaintext_auth_allowed()) {
    s.no(c, "PRIVACYREQUIRED", "Use STARTTLS before AUTHENTICATE");
    co_return;
  }
  std::string response;
  if (args.initial_response) {
    response = *args.initial_response == "=" ? "" : *args.initial_response;
  } else {
    // An empty challenge: "+ " and nothing else (RFC 9051 section 6.2.2), which clients
    // decode as empty base64.
    s.out().continuation("");
    auto line = co_await s.read_response_line();
    if (!line) co_return;
    response = std::move(*line);
  }
  if (response == "*") {
    s.bad(c.tag, "Authentication cancelled");
    co_return;
  }
  // PLAIN: [authzid] NUL authcid NUL passwd (RFC 4616 section 2).
  auto decoded = base64_decode(response);
  const size_t first = decoded ? decoded->find('\0') : std::string::npos;
  const size_t second = first == std::string::npos ? first : decoded->find('\0', first + 1);
  if (second == std::string::npos) {
    s.bad(c.tag, "Malformed PLAIN response");
    co_return;
  }
  std::string authzid = decoded->substr(0, first);
  std::string authcid = decoded->substr(first + 1, second - first - 1);
  std::string password = decoded->substr(second + 1);
  if (!authzid.empty() && authzid != authcid) {
    s.no(c, "AUTHORIZATIONFAILED", "Authorization identity must match");
    co_return;
  }
  auto& directory = s.context().directory;
  auto account = co_await s.blocking([&] { return directory.authenticate(authcid, password); });
  co_await finish_login(s, c, std::move(account));
}

}  // namespace mail::imapd::commands
