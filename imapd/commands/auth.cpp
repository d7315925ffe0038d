// STARTTLS (RFC 9051 section 6.2.1), LOGIN (6.2.3) and AUTHENTICATE PLAIN (6.2.2,
// RFC 4616, RFC 4959 SASL-IR). Passwords are checked on the worker pool (argon2id).
#include "common/base64.h"
#include "common/log.h"
#include "imapd/session_impl.h"

namespace mail::imapd {

using std::chrono::seconds;

net::awaitable<void> Session::starttls(const imap::Command& c) {
  if (!ctx_.tls || conn_->is_tls()) {
    bad(c.tag, "STARTTLS not available");
    co_return;
  }
  ok(c, "Begin TLS negotiation now");
  // start_tls() flushes the OK, then drops anything pipelined behind STARTTLS (it was sent
  // in plaintext and could be an injection).
  auto context = ctx_.tls->current();
  if (!co_await conn_->start_tls(*context, seconds(ctx_.config.imapd.idle_timeout))) {
    state_ = State::Logout;
    co_return;
  }
  log::info("tls").kv("session", conn_->id()).kv("version", conn_->tls_version());
}

net::awaitable<void> Session::finish_login(const imap::Command& c, Result<std::string> account) {
  if (!account) {
    log::info("login_failed").kv("session", conn_->id()).kv("remote", conn_->remote_address());
    // A pause per failure slows down guessing; shared throttling comes with the auth issue.
    net::asio::steady_timer pause(conn_->executor(), seconds(1));
    co_await pause.async_wait(net::use_nothrow);
    no(c, "Authentication failed", "AUTHENTICATIONFAILED");
    co_return;
  }
  account_ = *account;
  state_ = State::Authenticated;
  log::info("login").kv("session", conn_->id()).kv("user", account_).kv("tls", conn_->is_tls());
  ok(c, "Logged in", "CAPABILITY " + capabilities());
}

net::awaitable<void> Session::login(const imap::Command& c) {
  if (!plaintext_auth_allowed()) {
    no(c, "Use STARTTLS before LOGIN", "PRIVACYREQUIRED");
    co_return;
  }
  const auto& args = std::get<imap::LoginArgs>(c.args);
  auto account =
      co_await blocking([&] { return ctx_.directory.authenticate(args.userid, args.password); });
  co_await finish_login(c, std::move(account));
}

net::awaitable<void> Session::authenticate(const imap::Command& c) {
  const auto& args = std::get<imap::AuthenticateArgs>(c.args);
  if (args.mechanism != "PLAIN") {
    no(c, "Unsupported authentication mechanism", "CANNOT");
    co_return;
  }
  if (!plaintext_auth_allowed()) {
    no(c, "Use STARTTLS before AUTHENTICATE", "PRIVACYREQUIRED");
    co_return;
  }
  std::string response;
  if (args.initial_response) {
    response = *args.initial_response == "=" ? "" : *args.initial_response;
  } else {
    // An empty SASL challenge: "+ " and nothing else (RFC 9051 section 6.2.2), which
    // clients decode as base64.
    conn_->send("+ \r\n");
    auto status = co_await conn_->read_line(response, seconds(ctx_.config.imapd.idle_timeout));
    if (status != net::ReadStatus::Ok) {
      state_ = State::Logout;
      co_return;
    }
  }
  if (response == "*") {
    bad(c.tag, "Authentication cancelled");
    co_return;
  }
  // PLAIN: [authzid] NUL authcid NUL passwd (RFC 4616 section 2).
  auto decoded = base64_decode(response);
  size_t first = decoded ? decoded->find('\0') : std::string::npos;
  size_t second = first == std::string::npos ? first : decoded->find('\0', first + 1);
  if (second == std::string::npos) {
    bad(c.tag, "Malformed PLAIN response");
    co_return;
  }
  std::string authzid = decoded->substr(0, first);
  std::string authcid = decoded->substr(first + 1, second - first - 1);
  std::string password = decoded->substr(second + 1);
  if (!authzid.empty() && authzid != authcid) {
    no(c, "Authorization identity must match", "AUTHORIZATIONFAILED");
    co_return;
  }
  auto account = co_await blocking([&] { return ctx_.directory.authenticate(authcid, password); });
  co_await finish_login(c, std::move(account));
}

}  // namespace mail::imapd
