// The trace header smtpd prepends to every accepted message (RFC 5321 section 4.4,
// protocol names from RFC 3848 and RFC 6531 4.3). Pure: built from what the session
// learned.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mail::smtpd {

struct TraceInfo {
  std::string helo;            // the HELO/EHLO argument as sent
  std::string remote_address;  // "192.0.2.1"
  std::string our_hostname;
  bool esmtp = true;
  std::string tls_version;  // empty without TLS
  std::string tls_cipher;
  std::string authenticated_user;  // empty when not authenticated, or hidden
  std::string id;                  // queue id, also in the logs and the 250 reply
  std::vector<std::string> recipients;
  int64_t time = 0;       // seconds since the epoch
  bool smtputf8 = false;  // MAIL ... SMTPUTF8 (RFC 6531 4.3: "with UTF8SMTP")
  // The session authenticated (RFC 3848 "ESMTPA"), also when smtpd.hide_authenticated_user
  // keeps the name out.
  bool authenticated = false;
};

// "Received: from ... by ... with ESMTPS id ...; <date>\r\n", folded at 78 columns.
std::string received_header(const TraceInfo& info);

// RFC 5322 date-time in UTC: "Tue, 01 Dec 2026 13:06:10 +0000".
std::string rfc5322_date(int64_t time);

}  // namespace mail::smtpd
