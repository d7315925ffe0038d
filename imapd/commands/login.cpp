// Commands before authentication: STARTTLS (RFC 9051 section 6.2.1), LOGIN (6.2.3) and
// AUTHENTICATE (6.2.2) with SASL-IR (RFC 4959), both through the shared, throttled
// auth::Authenticator: PLAIN, LOGIN, SCRAM-SHA-256 and, on TLS 1.3, SCRAM-SHA-256-PLUS.
// Outcomes (RFC 5530 response codes, as the table in auth/authenticator.h):
//   wrong credentials NO [AUTHENTICATIONFAILED]; another authorization identity
//   NO [AUTHORIZATIONFAILED]; throttled or temporarily unable NO [UNAVAILABLE]; no TLS
//   NO [PRIVACYREQUIRED]; unknown mechanism NO [CANNOT]; "*" or bad base64 BAD (6.2.2).
// After imapd.max_login_failures failures in one session: BYE. Input: credentials from
// an unauthenticated client.
#include "common/log.h"
#include "imapd/commands/handlers.h"
#include "imapd/session_impl.h"

namespace mail::imapd {

auth::ClientInfo Session::login_client() const {
  return auth::ClientInfo{conn_->remote_address(), "imap", conn_->id(),
                          conn_->tls_channel_binding()};
}

void Session::count_login_failure() {
  if (++login_failures_ >= config().max_login_failures) bye("Too many failed logins");
}

namespace commands {
namespace {

// One SASL exchange: "+ <base64>" continuation requests, one answer line each
// (RFC 9051 section 6.2.2); the line is bounded by imapd.max_line_length and the login
// timeout (read_response_line).
class ImapSaslChannel final : public auth::SaslChannel {
 public:
  explicit ImapSaslChannel(Session& s) : s_(s) {}
  net::awaitable<std::optional<std::string>> challenge(std::string base64) override {
    s_.out().continuation(base64);
    co_return co_await s_.read_response_line();
  }

 private:
  Session& s_;
};

void finish_login(Session& s, const imap::Command& c, const auth::LoginResult& result) {
  using auth::LoginStatus;
  auto& conn = s.connection();
  const std::string wait = std::to_string(result.retry_after.count());
  switch (result.status) {
    case LoginStatus::Success:
      s.change_state(Authenticated{result.account}, "login");
      log::info("login")
          .kv("session", conn.id())
          .kv("user", result.account)
          .kv("tls", conn.is_tls());
      // RFC 9051 section 6.2.3: the capabilities change at login; say them now.
      s.out().tagged(c.tag).status(imap::Status::Ok).begin_code("CAPABILITY");
      s.write_capabilities(s.out());
      s.out().end_code().text("Logged in");
      return;
    case LoginStatus::ConnectionLost:  // read_response_line() ended the session
      return;
    case LoginStatus::Cancelled:
      return s.bad(c.tag, "Authentication cancelled");
    case LoginStatus::Malformed:
      return s.bad(c.tag, "Malformed SASL message");
    case LoginStatus::UnknownMechanism:
      return s.no(c, "CANNOT", "Unsupported authentication mechanism");
    case LoginStatus::Temporary:
      return s.no(c, "UNAVAILABLE", "Authentication unavailable, try again later");
    case LoginStatus::Throttled:
      s.no(c, "UNAVAILABLE", "Too many failed logins, try again in " + wait + " seconds");
      break;
    case LoginStatus::Denied:
      s.no(c, "AUTHENTICATIONFAILED", "Authentication failed");
      break;
    case LoginStatus::AuthzDenied:
      s.no(c, "AUTHORIZATIONFAILED", "Not authorized to act as that identity");
      break;
  }
  s.count_login_failure();
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
  const auth::ClientInfo client = s.login_client();
  const auth::LoginResult result =
      co_await s.context().authenticator.login(client, args.userid, args.password);
  finish_login(s, c, result);
}

net::awaitable<void> authenticate(Session& s, const imap::Command& c) {
  // Every mechanism we offer needs a private channel; none is offered before TLS.
  if (!s.plaintext_auth_allowed()) {
    s.no(c, "PRIVACYREQUIRED", "Use STARTTLS before AUTHENTICATE");
    co_return;
  }
  const auto& args = std::get<imap::AuthenticateArgs>(c.args);
  const auth::ClientInfo client = s.login_client();
  ImapSaslChannel channel(s);
  std::optional<std::string_view> initial;
  if (args.initial_response) initial = *args.initial_response;
  const auth::LoginResult result =
      co_await s.context().authenticator.authenticate(client, args.mechanism, initial, channel);
  finish_login(s, c, result);
}

}  // namespace commands
}  // namespace mail::imapd
