// RCPT (RFC 5321 4.1.1.3) with NOTIFY and ORCPT (RFC 3461 4.1, 4.2). Every recipient is
// checked here, never bounced later: an unknown user of our domains gets 550 5.1.1, mail
// for other domains is taken only from an authenticated session (no open relay, ever).
//
// Relay tricks of unauthenticated clients, decided as RFC 5321 and Postfix do:
// - source routes <@a,@b:user@c> (4.1.1.3, appendix C): the route is ignored (the parser
//   drops it) and user@c is judged like any address: local or 554 5.7.1;
// - address literals user@[192.0.2.1]: well-formed (4.1.3), but we do not know which
//   addresses are ours behind NAT and proxies, so never a local domain: 554 5.7.1
//   (a malformed literal is 501 5.1.3 at the parser);
// - the percent hack user%host@ours, bang paths host!user@ours and quoted local parts
//   holding '@' ("user@host"@ours): valid syntax, but a system that re-parses them
//   forwards the mail elsewhere, so they are relay attempts: 554 5.7.1 (Postfix:
//   allow_untrusted_routing = no).
// A foreign recipient on the suppression list (a hard bounce before) gets the 550 that
// relay::check_suppression makes.
// <Postmaster> and postmaster@<our domains> are always accepted (RFC 5321 4.5.1; see
// auth/postmaster.h).
#include "auth/address.h"
#include "auth/postmaster.h"
#include "common/log.h"
#include "queued/relay/sending_policy.h"
#include "smtpd/session_impl.h"

namespace mail::smtpd {

using namespace smtp;

// RcptParams::notify is stored as it is: the bit values must agree.
constexpr bool same_bit(smtp::NotifyBits a, queue::DsnNotify b) {
  return static_cast<unsigned>(a) == static_cast<unsigned>(b);
}
static_assert(same_bit(smtp::kNotifyNever, queue::kNotifyNever) &&
              same_bit(smtp::kNotifySuccess, queue::kNotifySuccess) &&
              same_bit(smtp::kNotifyFailure, queue::kNotifyFailure) &&
              same_bit(smtp::kNotifyDelay, queue::kNotifyDelay));

net::awaitable<void> Session::rcpt(const Command& cmd) {
  auto parsed = parse_rcpt_params(cmd.params, offered(), tx_.params.smtputf8);
  if (auto* r = std::get_if<Reply>(&parsed)) co_return error(*r);
  const RcptParams& params = std::get<RcptParams>(parsed);
  tx_.rcpt_attempted = true;
  if (static_cast<int>(tx_.recipients.size()) >= limits_.max_recipients)
    co_return reply(replies::too_many_recipients());  // RFC 5321 4.5.3.1.10
  if (cmd.path.utf8 && !tx_.params.smtputf8) co_return error(replies::utf8_required());
  const std::string address = cmd.path.to_string();
  auto refuse = [&](const Reply& r, std::string_view reason) {
    log::info("rcpt_rejected").kv("session", conn_->id()).kv("rcpt", address).kv("reason", reason);
    error(r);
  };
  if (user_.empty() && (cmd.path.is_literal() || auth::has_routing_syntax(cmd.path.local)))
    co_return refuse(replies::relay_denied(), "routing");
  auto lookup = auth::resolve_recipient(ctx_.directory, address, ctx_.config.server.postmaster);
  if (!lookup) {
    log::warn("directory_error").kv("session", conn_->id()).kv("error", lookup.error().message);
    co_return reply(replies::local_error());
  }
  switch (lookup->kind) {
    case auth::RecipientKind::Unknown:
      co_return refuse(replies::user_unknown(), "unknown");
    case auth::RecipientKind::Foreign: {
      if (user_.empty()) co_return refuse(replies::relay_denied(), "relay");
      // A recipient that hard-bounced before is refused now rather than bounced again
      // (the far end never sees it twice); a short LMDB read, fine on the event loop.
      if (!ctx_.sending || !ctx_.config.relay.suppression) break;
      auto suppressed = relay::check_suppression(*ctx_.sending, address);
      if (!suppressed) {
        log::warn("suppression_error")
            .kv("session", conn_->id())
            .kv("error", suppressed.error().message);
        co_return reply(replies::local_error());
      }
      if (*suppressed) co_return refuse(**suppressed, "suppressed");
      break;
    }
    case auth::RecipientKind::Local:
      break;
  }
  queue::Recipient recipient;
  recipient.address = address;
  recipient.dsn_notify = params.notify;
  recipient.orcpt = params.orcpt;
  tx_.recipients.push_back(std::move(recipient));
  enter_state(State::RcptGiven);
  reply(replies::recipient_ok());
}

}  // namespace mail::smtpd
