#include "queued/relay/dsn_builder.h"

#include <ctime>

#include "queued/relay/protocol/message_traits.h"
#include "queued/relay/recorded_reply.h"
#include "smtpd/protocol/xtext.h"

namespace mail::relay {
namespace {

constexpr size_t kMaxFieldText = 900;  // keeps every generated line under 998 octets

// Field text from stored or remote strings: no CR, LF or other controls, bounded.
std::string field_text(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
    if (out.size() >= kMaxFieldText) break;
  }
  return out;
}

// RFC 3464 2.1.2: "type; address". The type is "utf-8" for a non-ASCII address.
std::string typed_address(std::string_view address) {
  return std::string(is_ascii(address) ? "rfc822; " : "utf-8; ") + field_text(address);
}

std::string original_recipient(std::string_view orcpt) {
  const size_t semi = orcpt.find(';');
  if (semi == std::string_view::npos) return "";
  return field_text(orcpt.substr(0, semi)) + "; " + field_text(orcpt.substr(semi + 1));
}

std::string status_for(const DsnRecipient& r) {
  if (!r.status.empty()) return r.status;
  const RecordedReply parsed = parse_recorded_reply(r.diagnostic);
  if (!parsed.enhanced.empty()) return parsed.enhanced;
  switch (r.action) {
    case DsnAction::Failed:
      return parsed.code >= 400 && parsed.code < 500 ? "4.0.0" : "5.0.0";
    case DsnAction::Delayed:
      return "4.0.0";
    case DsnAction::Delivered:
    case DsnAction::Relayed:
      return "2.0.0";
  }
  return "5.0.0";
}

bool any_action(const DsnReport& report, DsnAction action) {
  for (const auto& r : report.recipients) {
    if (r.action == action) return true;
  }
  return false;
}

std::string human_part(const DsnReport& report) {
  std::string t = "This is the mail system at host " + report.reporting_mta + ".\r\n\r\n";
  if (any_action(report, DsnAction::Failed)) {
    t += "Your message could not be delivered to one or more recipients.\r\n"
         "It is attached below (or its header section, if it was large).\r\n";
  } else if (any_action(report, DsnAction::Delayed)) {
    t += "Your message could not be delivered yet to one or more recipients.\r\n"
         "Delivery will be tried again; you need not send it again.\r\n";
  } else {
    t += "Your message was delivered to the recipients below, as you asked.\r\n"
         "\"relayed\" means the next mail system does not report delivery itself.\r\n";
  }
  t += "\r\n";
  for (const auto& r : report.recipients) {
    t += "<" + field_text(r.address) + ">: " + dsn_action_name(r.action);
    if (!r.diagnostic.empty()) t += ": " + field_text(r.diagnostic);
    t += "\r\n";
  }
  return t;
}

}  // namespace

const char* dsn_action_name(DsnAction action) {
  switch (action) {
    case DsnAction::Failed:
      return "failed";
    case DsnAction::Delayed:
      return "delayed";
    case DsnAction::Delivered:
      return "delivered";
    case DsnAction::Relayed:
      return "relayed";
  }
  return "failed";
}

std::string rfc5322_date(int64_t when) {
  std::time_t t = static_cast<std::time_t>(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

bool notify_wants(uint8_t notify, DsnAction action) {
  if (notify & queue::kNotifyNever) return false;
  switch (action) {
    case DsnAction::Failed:
      return notify == 0 || (notify & queue::kNotifyFailure);
    case DsnAction::Delayed:
      return notify == 0 || (notify & queue::kNotifyDelay);
    case DsnAction::Delivered:
    case DsnAction::Relayed:
      return (notify & queue::kNotifySuccess) != 0;
  }
  return false;
}

DsnRecipient dsn_recipient(const queue::Recipient& recipient, DsnAction action,
                           int64_t last_attempt, int64_t retry_until) {
  DsnRecipient r;
  r.address = recipient.address;
  r.orcpt = recipient.orcpt;
  r.action = action;
  r.notify = recipient.dsn_notify;
  const RecordedReply parsed = parse_recorded_reply(recipient.last_reply);
  r.remote_mta = parsed.remote_mta;
  r.diagnostic = parsed.text;
  r.last_attempt = last_attempt;
  r.retry_until = retry_until;
  return r;
}

std::string build_dsn(const DsnReport& report) {
  const bool failed = any_action(report, DsnAction::Failed);
  const bool delayed = !failed && any_action(report, DsnAction::Delayed);
  bool utf8_addresses = !is_ascii(report.original_sender);
  for (const auto& r : report.recipients)
    utf8_addresses |= !is_ascii(r.address) || !is_ascii(r.orcpt);
  const std::string_view headers = header_section(report.content);
  const bool utf8_headers = !is_ascii(headers);

  bool full = false;
  if (failed) {
    full =
        report.ret == queue::DsnRet::Full || (report.ret == queue::DsnRet::Unspecified &&
                                              report.content.size() <= report.full_content_limit);
  }
  // A boundary that cannot occur in the parts: derived from the queue id and time, and
  // checked against the returned content.
  std::string boundary = "dsn=" + report.queue_id + "." + std::to_string(report.now);
  while (report.content.find(boundary) != std::string_view::npos) boundary += "=x";

  std::string m;
  m += "From: Mail Delivery System <MAILER-DAEMON@" + report.reporting_mta + ">\r\n";
  m += "To: <" + field_text(report.original_sender) + ">\r\n";
  m += std::string("Subject: ") +
       (failed    ? "Undelivered Mail Returned to Sender"
        : delayed ? "Delayed Mail (still being retried)"
                  : "Successful Mail Delivery Report") +
       "\r\n";
  m += "Date: " + rfc5322_date(report.now) + "\r\n";
  m += "Message-ID: <" + report.queue_id + "." + std::to_string(report.now) + ".dsn@" +
       report.reporting_mta + ">\r\n";
  m += "Auto-Submitted: auto-replied\r\n";  // RFC 3834 5
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/report; report-type=delivery-status;\r\n";
  m += "\tboundary=\"" + boundary + "\"\r\n";
  m += "\r\n";
  m += "This is a MIME-encapsulated message.\r\n\r\n";

  m += "--" + boundary + "\r\n";
  m += "Content-Description: Notification\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += "Content-Transfer-Encoding: 8bit\r\n\r\n";
  m += human_part(report);
  m += "\r\n";

  m += "--" + boundary + "\r\n";
  m += "Content-Description: Delivery report\r\n";
  m += std::string("Content-Type: ") +
       (utf8_addresses ? "message/global-delivery-status" : "message/delivery-status") + "\r\n\r\n";
  // Per-message fields (RFC 3464 2.2).
  m += "Reporting-MTA: dns; " + report.reporting_mta + "\r\n";
  m += "X-Queue-ID: " + report.queue_id + "\r\n";
  if (!report.envid.empty())
    m += "Original-Envelope-Id: " + smtp::xtext_encode(report.envid) + "\r\n";
  if (report.arrival > 0) m += "Arrival-Date: " + rfc5322_date(report.arrival) + "\r\n";
  // Per-recipient fields (RFC 3464 2.3), each block after an empty line.
  for (const auto& r : report.recipients) {
    m += "\r\n";
    if (!r.orcpt.empty()) {
      const std::string orig = original_recipient(r.orcpt);
      if (!orig.empty()) m += "Original-Recipient: " + orig + "\r\n";
    }
    m += "Final-Recipient: " + typed_address(r.address) + "\r\n";
    m += std::string("Action: ") + dsn_action_name(r.action) + "\r\n";
    m += "Status: " + status_for(r) + "\r\n";
    if (!r.remote_mta.empty()) m += "Remote-MTA: dns; " + field_text(r.remote_mta) + "\r\n";
    if (!r.diagnostic.empty()) m += "Diagnostic-Code: smtp; " + field_text(r.diagnostic) + "\r\n";
    if (r.last_attempt > 0) m += "Last-Attempt-Date: " + rfc5322_date(r.last_attempt) + "\r\n";
    if (r.action == DsnAction::Delayed && r.retry_until > 0)
      m += "Will-Retry-Until: " + rfc5322_date(r.retry_until) + "\r\n";
  }
  m += "\r\n";

  m += "--" + boundary + "\r\n";
  if (full) {
    m += "Content-Description: Undelivered Message\r\n";
    m += std::string("Content-Type: ") + (utf8_headers ? "message/global" : "message/rfc822") +
         "\r\n";
    if (!is_ascii(report.content)) m += "Content-Transfer-Encoding: 8bit\r\n";
    m += "\r\n";
    m += report.content;
    if (!report.content.empty() && report.content.back() != '\n') m += "\r\n";
  } else {
    m += std::string("Content-Description: ") +
         (failed ? "Undelivered Message Headers" : "Message Headers") + "\r\n";
    m += std::string("Content-Type: ") +
         (utf8_headers ? "message/global-headers" : "text/rfc822-headers") + "\r\n";
    if (utf8_headers) m += "Content-Transfer-Encoding: 8bit\r\n";
    m += "\r\n";
    m += headers;
  }
  m += "\r\n--" + boundary + "--\r\n";
  return m;
}

std::optional<queue::NewMessage> make_dsn(const queue::Envelope& original, std::string_view content,
                                          std::vector<DsnRecipient> recipients,
                                          const DsnSettings& settings, int64_t now) {
  if (original.sender.empty()) return std::nullopt;
  std::erase_if(recipients,
                [](const DsnRecipient& r) { return !notify_wants(r.notify, r.action); });
  if (recipients.empty()) return std::nullopt;

  DsnReport report;
  report.reporting_mta = settings.hostname;
  report.queue_id = original.id;
  report.original_sender = original.sender;
  report.envid = original.dsn_envid;
  report.arrival = original.arrival;
  report.ret = original.dsn_ret;
  report.content = content;
  report.full_content_limit = settings.full_content_limit;
  report.recipients = std::move(recipients);
  report.now = now;

  queue::NewMessage dsn;
  dsn.content = build_dsn(report);
  queue::Envelope& e = dsn.envelope;
  e.sender = "";  // RFC 3461 6.2: DSNs are sent with the null reverse-path
  queue::Recipient to;
  to.address = original.sender;
  to.dsn_notify = queue::kNotifyNever;
  e.recipients.push_back(std::move(to));
  e.arrival = now;
  e.next_attempt = now;
  e.session_id = "dsn-" + original.id;
  e.body = is_ascii(dsn.content) ? queue::BodyType::SevenBit : queue::BodyType::EightBitMime;
  e.smtputf8 = !is_ascii(original.sender);
  return dsn;
}

}  // namespace mail::relay
