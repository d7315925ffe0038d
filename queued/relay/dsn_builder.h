// Delivery status notifications (RFC 3464, with the semantics of RFC 3461): a
// multipart/report; report-type=delivery-status message with a human-readable part, a
// message/delivery-status part (one per-recipient block each) and the original message
// or its header section. Pure: built from the envelope, the content and the results.
//
// What is returned (RFC 3461 4.3):
//   failed:  RET=FULL the whole message, RET=HDRS the header section, RET unspecified the
//            whole message up to a size limit (relay.bounce_size_limit), else the headers;
//   delayed, delivered, relayed: the header section only.
// Addresses that are not ASCII use the "utf-8" address type and the report is then
// message/global-delivery-status (RFC 6533); a header section with UTF-8 is returned as
// message/global or message/global-headers (RFC 6532).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "queue/spool.h"

namespace mail::relay {

enum class DsnAction : uint8_t { Failed, Delayed, Delivered, Relayed };
const char* dsn_action_name(DsnAction action);

struct DsnRecipient {
  std::string address;  // Final-Recipient
  std::string orcpt;    // decoded "type;address" (Original-Recipient), or ""
  DsnAction action = DsnAction::Failed;
  std::string status;      // "5.1.1"; derived from the diagnostic's code when ""
  std::string remote_mta;  // "mx.example.net", or ""
  std::string diagnostic;  // "550 5.1.1 User unknown", or ""
  int64_t last_attempt = 0;
  int64_t retry_until = 0;  // Delayed: when the queue gives up
  uint8_t notify = 0;       // the recipient's NOTIFY bits (make_dsn filters on them)
};

struct DsnReport {
  std::string reporting_mta;  // our host name
  std::string queue_id;
  std::string original_sender;  // the DSN goes to this address
  std::string envid;            // RFC 3461 ENVID (decoded), or ""
  int64_t arrival = 0;
  queue::DsnRet ret = queue::DsnRet::Unspecified;
  std::string_view content;  // the original message
  size_t full_content_limit = 50000;
  std::vector<DsnRecipient> recipients;
  int64_t now = 0;
};

// The whole DSN message (CRLF line endings).
std::string build_dsn(const DsnReport& report);

// "Mon, 01 Jan 2024 00:00:00 +0000" (RFC 5322 3.3), in UTC.
std::string rfc5322_date(int64_t when);

// Whether a recipient's NOTIFY asks for a DSN of this kind (RFC 3461 4.1): without NOTIFY,
// failures and delays are reported; NEVER reports nothing; success only when asked for.
bool notify_wants(uint8_t notify, DsnAction action);

// A DSN recipient from the queue record, reading its last reply (recorded_reply.h).
DsnRecipient dsn_recipient(const queue::Recipient& recipient, DsnAction action,
                           int64_t last_attempt, int64_t retry_until = 0);

struct DsnSettings {
  std::string hostname;  // Reporting-MTA and From: MAILER-DAEMON@hostname
  size_t full_content_limit = 50000;
};

// The DSN to enqueue for `original`, or nothing when none may be sent: no recipient's
// NOTIFY asks for one, or the original's sender is the null sender (RFC 3461 6.2, RFC 5321
// 6.1: a DSN is never sent about a DSN, so bounces cannot loop). The DSN itself has the
// null sender and NOTIFY=NEVER. `recipients` are filtered by notify_wants here.
std::optional<queue::NewMessage> make_dsn(const queue::Envelope& original, std::string_view content,
                                          std::vector<DsnRecipient> recipients,
                                          const DsnSettings& settings, int64_t now);

}  // namespace mail::relay
