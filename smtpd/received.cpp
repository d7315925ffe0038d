#include "smtpd/received.h"

#include <ctime>

namespace mail::smtpd {

std::string rfc5322_date(int64_t time) {
  std::time_t t = static_cast<std::time_t>(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static const char* const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
                tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

namespace {

// Keeps client-supplied text from breaking the header: no controls, no parentheses
// (which would end our comment early).
std::string sanitize(std::string_view s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back((u < 0x21 || u == 0x7f || c == '(' || c == ')') ? '_' : c);
  }
  return out.empty() ? "unknown" : out;
}

}  // namespace

std::string received_header(const TraceInfo& info) {
  // RFC 3848 protocol types: ESMTP, ESMTPS (TLS), ESMTPA (auth), ESMTPSA (both); RFC 6531
  // 4.3 the same with UTF8SMTP for a transaction that used SMTPUTF8.
  std::string with = info.smtputf8 ? "UTF8SMTP" : info.esmtp ? "ESMTP" : "SMTP";
  if (info.esmtp && !info.tls_version.empty()) with += "S";
  if (info.esmtp && (info.authenticated || !info.authenticated_user.empty())) with += "A";

  std::vector<std::string> parts;
  parts.push_back("Received: from " + sanitize(info.helo) + " ([" + info.remote_address + "])");
  parts.push_back("by " + info.our_hostname + " (mailsuite) with " + with + " id " + info.id);
  if (!info.tls_version.empty())
    parts.push_back("(using " + info.tls_version + " with cipher " + sanitize(info.tls_cipher) +
                    ")");
  if (!info.authenticated_user.empty())
    parts.push_back("(authenticated as " + sanitize(info.authenticated_user) + ")");
  if (info.recipients.size() == 1)
    parts.push_back("for <" + sanitize(info.recipients.front()) + ">");
  parts.back() += ";";
  parts.push_back(rfc5322_date(info.time));

  std::string out = parts.front();
  for (size_t i = 1; i < parts.size(); ++i) out += "\r\n\t" + parts[i];
  out += "\r\n";
  return out;
}

}  // namespace mail::smtpd
