#include "queued/relay/protocol/commands.h"

#include "common/base64.h"
#include "queue/spool.h"
#include "smtpd/protocol/utf8.h"
#include "smtpd/protocol/xtext.h"

namespace mail::relay {
namespace {

// A stored address or value with CR, LF or NUL would split the command line; the queue
// never holds one (smtpd refuses them), but a damaged record must not become a command.
std::string scrub(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\r' || c == '\n' || c == '\0') c = ' ';
  }
  return out;
}

// utf-8-addr-xtext (RFC 6533 3): QCHAR as is, every other code point as \x{HEX}. Valid
// with and without SMTPUTF8 (unitext is a superset).
std::string utf8_addr_xtext(std::string_view address) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < address.size();) {
    const auto c = static_cast<unsigned char>(address[i]);
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0x80) {
      len = smtp::utf8_sequence_length(address, i);
      if (len == 0) return "";  // not UTF-8: not sendable in this form
      cp = c & (0xFF >> (len + 1));
      for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (address[i + k] & 0x3F);
    }
    const bool qchar = cp >= 0x21 && cp <= 0x7E && cp != '+' && cp != '=' && cp != '\\';
    if (qchar) {
      out += static_cast<char>(cp);
    } else {
      std::string digits;
      for (uint32_t v = cp; v > 0 || digits.empty(); v >>= 4)
        digits.insert(digits.begin(), hex[v & 0xF]);
      out += "\\x{" + digits + "}";
    }
    i += len;
  }
  return out;
}

}  // namespace

std::string mail_command(std::string_view sender, const MailParameters& params) {
  std::string line = "MAIL FROM:<" + scrub(sender) + ">";
  if (params.size > 0) line += " SIZE=" + std::to_string(params.size);
  if (!params.body.empty()) line += " BODY=" + params.body;
  if (params.smtputf8) line += " SMTPUTF8";
  if (!params.ret.empty()) line += " RET=" + params.ret;
  // RFC 3461 4.4: ENVID is at most 100 characters; a longer one is dropped, not cut.
  if (!params.envid.empty()) {
    const std::string envid = smtp::xtext_encode(params.envid);
    if (envid.size() <= 100) line += " ENVID=" + envid;
  }
  return line + "\r\n";
}

std::string notify_value(uint8_t bits) {
  if (bits & queue::kNotifyNever) return "NEVER";
  std::string out;
  const auto add = [&](uint8_t bit, const char* name) {
    if (!(bits & bit)) return;
    if (!out.empty()) out += ',';
    out += name;
  };
  add(queue::kNotifySuccess, "SUCCESS");
  add(queue::kNotifyFailure, "FAILURE");
  add(queue::kNotifyDelay, "DELAY");
  return out;
}

std::string orcpt_value(std::string_view orcpt) {
  const size_t semi = orcpt.find(';');
  if (semi == std::string_view::npos || semi == 0 || semi + 1 == orcpt.size()) return "";
  const std::string_view type = orcpt.substr(0, semi);
  const std::string_view address = orcpt.substr(semi + 1);
  for (char c : type) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return "";
  }
  std::string encoded;
  const bool utf8 = type.size() == 5 && (type == "utf-8" || type == "UTF-8");
  encoded = utf8 ? utf8_addr_xtext(address) : smtp::xtext_encode(address);
  if (encoded.empty()) return "";
  std::string value = std::string(type) + ";" + encoded;
  if (value.size() > 500) return "";  // RFC 3461 4.2: at most 500 characters
  return value;
}

std::string rcpt_command(std::string_view address, const RcptParameters& params, bool dsn) {
  std::string line = "RCPT TO:<" + scrub(address) + ">";
  if (dsn) {
    if (params.notify != 0) line += " NOTIFY=" + notify_value(params.notify);
    if (!params.orcpt.empty()) {
      const std::string orcpt = orcpt_value(params.orcpt);
      if (!orcpt.empty()) line += " ORCPT=" + orcpt;
    }
  }
  return line + "\r\n";
}

std::string auth_plain_response(std::string_view user, std::string_view password) {
  std::string message;
  message += '\0';
  message += user;
  message += '\0';
  message += password;
  return base64_encode(message);
}

}  // namespace mail::relay
