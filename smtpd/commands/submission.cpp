// Message submission policy (RFC 6409) for an authenticated session, on any port:
//
// - MAIL FROM must be the null path or an address the user may send as: their own
//   address, an alias delivering to them, or an address granted with `mailctl sender
//   allow` (auth::Directory::may_send_as); otherwise 553 5.7.1 (RFC 6409 6.1, "Enforce
//   Submission Rights"; Postfix's reject_sender_login_mismatch answers the same). The null
//   path stays allowed: vacation replies and read receipts are sent with it (RFC 3834 3.3,
//   RFC 8098 2.1).
// - The message's author (every From: mailbox) and its Sender: must be the user's too
//   (smtpd.check_header_from, default on), since the header is what recipients see and
//   what DKIM signs for our domain; refused after the data with 550 5.7.1 (RFC 5321
//   4.3.2 lists 550, not 553, for the end of DATA). More than smtpd.max_author_addresses
//   such mailboxes are refused alike.
// - Sender: <user> is added when From: names someone else (a shared mailbox the user may
//   send as) or several mailboxes and the message has no Sender: (RFC 6409 8.1), unless
//   smtpd.hide_authenticated_user keeps the user's name out of the message.
// - Date: and Message-ID: are added when missing (RFC 6409 8.2, 8.3), below our Received:.
#include "common/log.h"
#include "smtpd/protocol/submission_header.h"
#include "smtpd/received.h"
#include "smtpd/session_impl.h"

namespace mail::smtpd {

using namespace smtp;

std::optional<Reply> Session::check_sender(const Address& sender) const {
  if (sender.is_null()) return std::nullopt;
  const std::string address = sender.to_string();
  auto allowed = ctx_.directory.may_send_as(user_, address);
  if (!allowed) {
    log::warn("directory_error").kv("session", conn_->id()).kv("error", allowed.error().message);
    return replies::local_error();
  }
  if (*allowed) return std::nullopt;
  log::info("sender_rejected")
      .kv("session", conn_->id())
      .kv("user", user_)
      .kv("sender", address)
      .kv("field", "mail_from");
  return replies::sender_not_owned(user_);
}

std::variant<std::string, Reply> Session::prepare_submission(std::string_view message,
                                                             std::string_view queue_id) const {
  const SubmissionHeader header =
      inspect_submission_header(message, static_cast<size_t>(limits_.max_author_addresses));
  if (limits_.check_header_from) {
    auto refuse = [&](std::string_view address, std::string_view reason) {
      log::info("sender_rejected")
          .kv("session", conn_->id())
          .kv("user", user_)
          .kv("sender", address.substr(0, 256))
          .kv("field", "header")
          .kv("reason", reason);
      return replies::author_not_owned(user_);
    };
    if (header.too_many_authors) return refuse("", "too many author addresses");
    for (const std::string& author : header.authors) {
      if (author.empty()) return refuse(author, "unreadable address");
      auto allowed = ctx_.directory.may_send_as(user_, author);
      if (!allowed) {
        log::warn("directory_error")
            .kv("session", conn_->id())
            .kv("error", allowed.error().message);
        return replies::local_error();
      }
      if (!*allowed) return refuse(author, "not owned");
    }
  }
  return submission_fixups(header, rfc5322_date(std::time(nullptr)),
                           std::string(queue_id) + "@" + ctx_.config.server.hostname,
                           // The operator who hides the user in Received: hides it here too.
                           limits_.hide_authenticated_user ? std::string_view() : user_);
}

}  // namespace mail::smtpd
