// AUTH (RFC 4954) through the shared auth::Authenticator: PLAIN, LOGIN, SCRAM-SHA-256 and,
// on TLS 1.3, SCRAM-SHA-256-PLUS. The command table lets AUTH through only in
// State::Ready (RFC 4954 4: not during a transaction), only where the port offers it
// (502 5.5.1) and only over TLS or the loopback exception (538 5.7.11, RFC 4954 6).
//
// The exchange (RFC 4954 4): an optional initial response on the command line ("=" for an
// empty one), then "334 <base64>" challenges, each answered by one line; "*" cancels
// (501). Outcomes, as the table in auth/authenticator.h:
//   success 235 2.7.0; wrong credentials 535 5.7.8; throttled or temporarily unable
//   454 4.7.0; cancelled 501 5.7.0; malformed 501 5.5.2; unknown mechanism 504 5.5.4; an
//   answer line over smtpd.max_line_length 500 5.5.6. A second AUTH after success is
//   503 5.5.1. After smtpd.max_auth_failures failed exchanges: 421 4.7.0 and disconnect.
#include "common/log.h"
#include "smtpd/session_impl.h"

namespace mail::smtpd {

using namespace smtp;
using std::chrono::seconds;

namespace {

// One SASL exchange on the SMTP connection: "334 <base64>", then one answer line within
// the command timeout.
class SmtpSaslChannel final : public auth::SaslChannel {
 public:
  SmtpSaslChannel(net::Connection& conn, seconds timeout) : conn_(conn), timeout_(timeout) {}

  net::awaitable<std::optional<std::string>> challenge(std::string base64) override {
    conn_.send(replies::auth_challenge(base64).to_wire());
    std::string line;
    status_ = co_await conn_.read_line(line, timeout_);
    if (status_ != net::ReadStatus::Ok) co_return std::nullopt;
    co_return line;
  }
  // Why the last challenge() returned nullopt.
  net::ReadStatus status() const { return status_; }

 private:
  net::Connection& conn_;
  seconds timeout_;
  net::ReadStatus status_ = net::ReadStatus::Ok;
};

}  // namespace

auth::ClientInfo Session::client_info() const {
  return auth::ClientInfo{conn_->remote_address(), "smtp", conn_->id(),
                          conn_->tls_channel_binding()};
}

net::awaitable<void> Session::auth(const Command& cmd) {
  // RFC 4954 4: once authenticated, further AUTH commands get 503.
  if (!user_.empty()) co_return error(replies::already_authenticated());
  SmtpSaslChannel channel(*conn_, seconds(limits_.command_timeout));
  std::optional<std::string_view> initial;
  if (cmd.initial_response) initial = *cmd.initial_response;
  const auth::LoginResult result =
      co_await ctx_.authenticator.authenticate(client_info(), cmd.argument, initial, channel);

  using auth::LoginStatus;
  switch (result.status) {
    case LoginStatus::Success:
      user_ = result.account;
      log::info("authenticated")
          .kv("session", conn_->id())
          .kv("user", user_)
          .kv("mechanism", cmd.argument)
          .kv("tls", conn_->is_tls());
      co_return reply(replies::auth_ok());
    case LoginStatus::ConnectionLost:
      if (channel.status() == net::ReadStatus::TooLong)
        co_return error(replies::auth_line_too_long());
      if (channel.status() == net::ReadStatus::Timeout) reply(replies::timeout());
      closing_ = true;
      co_return;
    case LoginStatus::Cancelled:
      co_return error(replies::auth_cancelled());
    case LoginStatus::Malformed:
      co_return error(replies::auth_malformed());
    case LoginStatus::UnknownMechanism:
      co_return error(replies::auth_mechanism_unsupported());
    case LoginStatus::Temporary:
      co_return reply(replies::auth_temporary());
    case LoginStatus::Throttled:
      reply(replies::auth_temporary("Too many failed authentications, try again in " +
                                    std::to_string(result.retry_after.count()) + " seconds"));
      break;
    case LoginStatus::Denied:
    case LoginStatus::AuthzDenied:
      reply(replies::auth_failed());
      break;
  }
  // A failed or refused guess. The shared throttle slows the next ones down across
  // sessions and daemons; this session ends after a few.
  if (++auth_failures_ >= limits_.max_auth_failures) {
    log::info("too_many_auth_failures").kv("session", conn_->id());
    reply(replies::too_many_auth_failures());
  }
}

}  // namespace mail::smtpd
