// MAIL (RFC 5321 4.1.1.2) with its parameters: SIZE (RFC 1870 6), BODY (RFC 6152 2,
// RFC 3030 3), SMTPUTF8 (RFC 6531 3.4), RET and ENVID (RFC 3461 4.3, 4.4), AUTH (RFC 4954
// 5). A parameter of an extension this session did not offer is 555 5.5.4 (RFC 5321
// 4.1.1.11). An authenticated session may only use its own addresses (553 5.7.1, see
// commands/submission.cpp).
//
// AUTH=<mailbox> names who originally submitted the message. RFC 4954 5: a server that
// does not trust the claim treats it as AUTH=<>. We trust it only from an authenticated
// session, for an address that user may send as; the submitter the queue keeps is the
// authenticated account (Envelope::client). Other claims are logged and ignored.
#include <ctime>

#include "common/log.h"
#include "queued/relay/sending_policy.h"
#include "smtpd/session_impl.h"

namespace mail::smtpd {

using namespace smtp;

// Per-user sending limits (queued/relay/sending_policy.h: mailctl limit set, else [relay]
// user_hourly_limit / user_daily_limit): 450 4.7.1 once the last hour's or day's count is
// reached. Short LMDB reads, fine on the event loop. `counted` says whether a limit applies
// (then queue_message counts the message; without limits nothing is written).
std::optional<Reply> Session::sending_limit(bool& counted) {
  counted = false;
  if (!ctx_.sending) return std::nullopt;
  const relay::UserLimits defaults{static_cast<uint32_t>(ctx_.config.relay.user_hourly_limit),
                                   static_cast<uint32_t>(ctx_.config.relay.user_daily_limit)};
  auto limits = relay::effective_limits(*ctx_.sending, user_, defaults);
  auto refused = limits
                     ? relay::check_sent_against(*ctx_.sending, user_, std::time(nullptr), *limits)
                     : Result<std::optional<Reply>>(limits.error());
  if (!refused) {
    log::warn("sending_limit_error")
        .kv("session", conn_->id())
        .kv("error", refused.error().message);
    return replies::local_error();
  }
  if (*refused) {
    log::info("sending_limit").kv("session", conn_->id()).kv("user", user_);
    return *refused;
  }
  counted = limits->per_hour > 0 || limits->per_day > 0;
  return std::nullopt;
}

net::awaitable<void> Session::mail(const Command& cmd) {
  auto parsed = parse_mail_params(cmd.params, offered());
  if (auto* r = std::get_if<Reply>(&parsed)) co_return error(*r);
  MailParams& params = std::get<MailParams>(parsed);
  // RFC 1870 6.1: a declared size over our limit is refused now, not after the transfer.
  if (params.size && *params.size > limits_.max_message_size)
    co_return error(replies::message_too_big());
  // RFC 6531 3.4: a non-ASCII reverse-path needs SMTPUTF8 on this MAIL.
  if (cmd.path.utf8 && !params.smtputf8) co_return error(replies::utf8_required());
  bool count_sent = false;
  if (!user_.empty()) {
    if (auto refused = check_sender(cmd.path)) co_return error(*refused);
    auto limited = sending_limit(count_sent);
    if (limited) co_return error(*limited);
  }
  if (params.auth && *params.auth != "<>") {
    bool trusted = false;
    if (!user_.empty()) {
      auto allowed = ctx_.directory.may_send_as(user_, *params.auth);
      trusted = allowed && *allowed;
    }
    log::info("auth_param")
        .kv("session", conn_->id())
        .kv("mailbox", params.auth->substr(0, 256))
        .kv("trusted", trusted);
    if (!trusted) params.auth = "<>";
  }
  tx_ = Transaction{};
  tx_.sender = cmd.path;
  tx_.params = std::move(params);
  tx_.count_sent = count_sent;
  // RFC 7208 2.4: SPF of the MAIL FROM identity (HELO for <>) runs while RCPT and DATA do.
  if (ctx_.mailauth && policy_.port == Port::Mx && user_.empty())
    tx_.sender_check = ctx_.mailauth->start_sender_check(conn_->executor(), conn_->remote_address(),
                                                         helo_, tx_.sender.to_string());
  enter_state(State::MailGiven);
  reply(replies::sender_ok());
}

}  // namespace mail::smtpd
