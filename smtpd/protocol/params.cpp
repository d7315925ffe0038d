// MAIL and RCPT parameters as typed values; see params.h. Every value is untrusted.
#include "smtpd/protocol/params.h"

#include "common/ascii.h"
#include "smtpd/protocol/xtext.h"

namespace mail::smtp {
namespace {

using ascii::iequals;

Reply bad_value(const std::string& key) {
  return replies::syntax_error("Bad " + key + " parameter value");
}

Reply not_recognized(const std::string& key) {
  return replies::param_not_supported("Unsupported parameter " + key);
}

// RFC 3461 4: the decoded ENVID and ORCPT address "MUST consist entirely of printable
// (graphic and white space) characters from the US-ASCII repertoire".
bool printable_ascii(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

// NOTIFY = "NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" ) (RFC 3461 4.1), each at most
// once; NEVER never combined with the others.
std::optional<uint8_t> parse_notify(std::string_view v) {
  if (iequals(v, "NEVER")) return kNotifyNever;
  uint8_t bits = 0;
  size_t i = 0;
  while (true) {
    const size_t comma = v.find(',', i);
    const std::string_view item = v.substr(i, comma == std::string_view::npos ? v.npos : comma - i);
    uint8_t bit = 0;
    if (iequals(item, "SUCCESS")) {
      bit = kNotifySuccess;
    } else if (iequals(item, "FAILURE")) {
      bit = kNotifyFailure;
    } else if (iequals(item, "DELAY")) {
      bit = kNotifyDelay;
    } else {
      return std::nullopt;  // NEVER in a list, an empty item, or an unknown word
    }
    if (bits & bit) return std::nullopt;
    bits |= bit;
    if (comma == std::string_view::npos) return bits;
    i = comma + 1;
  }
}

// ORCPT = addr-type ";" xtext, addr-type = atom (RFC 3461 4.2); "utf-8" addresses use the
// forms of RFC 6533 3. The address part may not be empty.
std::optional<std::string> parse_orcpt(std::string_view v, bool smtputf8) {
  if (v.size() > kMaxOrcptLength) return std::nullopt;
  const size_t semi = v.find(';');
  if (semi == std::string_view::npos || semi == 0 || semi + 1 == v.size()) return std::nullopt;
  const std::string_view type = v.substr(0, semi);
  for (char c : type) {
    if (!ascii::is_atext(static_cast<unsigned char>(c))) return std::nullopt;
  }
  const std::string_view encoded = v.substr(semi + 1);
  std::optional<std::string> address;
  if (iequals(type, "utf-8")) {
    address = utf8_address_decode(encoded, smtputf8);
  } else {
    address = xtext_decode(encoded);
    if (address && !printable_ascii(*address)) address.reset();
  }
  if (!address || address->empty()) return std::nullopt;
  return std::string(type) + ";" + *address;
}

}  // namespace

std::variant<MailParams, Reply> parse_mail_params(const std::vector<Param>& params,
                                                  const Extensions& offered) {
  MailParams out;
  for (const auto& [key, value] : params) {
    if (!offered.esmtp) return not_recognized(key);  // HELO: RFC 5321 4.1.1.11
    if (key == "SIZE") {                             // RFC 1870 6: SIZE=1*20DIGIT
      out.size = ascii::parse_decimal(value);
      if (!out.size) return bad_value(key);
    } else if (key == "BODY") {  // RFC 6152 2, RFC 3030 3
      if (iequals(value, "7BIT")) {
        out.body = Body::SevenBit;
      } else if (iequals(value, "8BITMIME")) {
        out.body = Body::EightBitMime;
      } else if (iequals(value, "BINARYMIME")) {
        if (!offered.chunking) {
          return replies::param_not_supported("BODY=BINARYMIME needs CHUNKING, not offered");
        }
        out.body = Body::BinaryMime;
      } else {
        return bad_value(key);
      }
    } else if (key == "SMTPUTF8" && offered.smtputf8) {  // RFC 6531 3.4: no value
      if (!value.empty()) return bad_value(key);
      out.smtputf8 = true;
    } else if (key == "RET" && offered.dsn) {  // RFC 3461 4.3
      if (iequals(value, "FULL")) {
        out.ret = Ret::Full;
      } else if (iequals(value, "HDRS")) {
        out.ret = Ret::Headers;
      } else {
        return bad_value(key);
      }
    } else if (key == "ENVID" && offered.dsn) {  // RFC 3461 4.4
      if (value.empty() || value.size() > kMaxEnvidLength) return bad_value(key);
      auto decoded = xtext_decode(value);
      if (!decoded || decoded->empty() || !printable_ascii(*decoded)) return bad_value(key);
      out.envid = std::move(*decoded);
    } else if (key == "AUTH" && offered.auth) {  // RFC 4954 5: AUTH=<> or AUTH=xtext
      if (value == "<>") {
        out.auth = value;
      } else {
        auto decoded = xtext_decode(value);
        if (value.empty() || !decoded || decoded->empty() || !printable_ascii(*decoded))
          return bad_value(key);
        out.auth = std::move(*decoded);
      }
    } else {
      return not_recognized(key);
    }
  }
  return out;
}

std::variant<RcptParams, Reply> parse_rcpt_params(const std::vector<Param>& params,
                                                  const Extensions& offered, bool smtputf8) {
  RcptParams out;
  for (const auto& [key, value] : params) {
    if (!offered.esmtp) return not_recognized(key);
    if (key == "NOTIFY" && offered.dsn) {  // RFC 3461 4.1
      auto bits = parse_notify(value);
      if (!bits) return bad_value(key);
      out.notify = *bits;
    } else if (key == "ORCPT" && offered.dsn) {  // RFC 3461 4.2
      auto orcpt = parse_orcpt(value, smtputf8);
      if (!orcpt) return bad_value(key);
      out.orcpt = std::move(*orcpt);
    } else {
      return not_recognized(key);
    }
  }
  return out;
}

}  // namespace mail::smtp
