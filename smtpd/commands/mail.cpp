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
#include "common/log.h"
#include "smtpd/session_impl.h"

namespace mail::smtpd {

using namespace smtp;

net::awaitable<void> Session::mail(const Command& cmd) {
  auto parsed = parse_mail_params(cmd.params, offered());
  if (auto* r = std::get_if<Reply>(&parsed)) co_return error(*r);
  MailParams& params = std::get<MailParams>(parsed);
  // RFC 1870 6.1: a declared size over our limit is refused now, not after the transfer.
  if (params.size && *params.size > limits_.max_message_size)
    co_return error(replies::message_too_big());
  // RFC 6531 3.4: a non-ASCII reverse-path needs SMTPUTF8 on this MAIL.
  if (cmd.path.utf8 && !params.smtputf8) co_return error(replies::utf8_required());
  if (!user_.empty()) {
    if (auto refused = check_sender(cmd.path)) co_return error(*refused);
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
  // RFC 7208 2.4: SPF of the MAIL FROM identity (HELO for <>) runs while RCPT and DATA do.
  if (ctx_.mailauth && policy_.port == Port::Mx && user_.empty())
    tx_.sender_check = ctx_.mailauth->start_sender_check(conn_->executor(), conn_->remote_address(),
                                                         helo_, tx_.sender.to_string());
  enter_state(State::MailGiven);
  reply(replies::sender_ok());
}

}  // namespace mail::smtpd
