// Address syntax and canonical form (see address.h).
#include "auth/address.h"

#include <idn2.h>

#include <memory>

namespace mail::auth {
namespace {

bool bad_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7f;  // space and controls
}

}  // namespace

std::string to_lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

Result<std::string> normalize_domain(std::string_view domain) {
  auto invalid = [&](const char* why) {
    return make_error(ErrorKind::Invalid, "bad domain \"" + std::string(domain) + "\": " + why);
  };
  if (domain.empty()) return invalid("empty");
  if (domain.size() > kMaxDomain) return invalid("too long");
  if (domain.front() == '.' || domain.back() == '.') return invalid("leading or trailing dot");
  if (domain.find("..") != std::string_view::npos) return invalid("empty label");
  bool ascii = true;
  for (char c : domain) {
    if (bad_char(c)) return invalid("space or control character");
    if (c == '@') return invalid("contains '@'");
    if (static_cast<unsigned char>(c) >= 0x80) ascii = false;
  }
  if (ascii) return to_lower_ascii(domain);
  // U-labels: the A-label form is the one DNS and our keys use (RFC 5890 2.3.2.1).
  const std::string text(domain);
  uint8_t* converted = nullptr;
  const int rc = idn2_lookup_u8(reinterpret_cast<const uint8_t*>(text.c_str()), &converted,
                                IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  std::unique_ptr<uint8_t, decltype(&idn2_free)> owner(converted, &idn2_free);
  if (rc != IDN2_OK || converted == nullptr) return invalid(idn2_strerror(rc));
  std::string a_label = to_lower_ascii(reinterpret_cast<const char*>(converted));
  if (a_label.size() > kMaxDomain) return invalid("too long");
  return a_label;
}

Result<std::string> normalize_address(std::string_view address) {
  auto invalid = [&](const char* why) {
    return make_error(ErrorKind::Invalid, "bad address \"" + std::string(address) + "\": " + why);
  };
  size_t at = address.find('@');
  if (at == std::string_view::npos) return invalid("no '@'");
  if (address.find('@', at + 1) != std::string_view::npos) return invalid("more than one '@'");
  if (address.size() > kMaxAddress) return invalid("too long");
  std::string_view local = address.substr(0, at);
  if (local.empty()) return invalid("empty local part");
  if (local.size() > kMaxLocalPart) return invalid("local part too long");
  for (char c : local)
    if (bad_char(c)) return invalid("space or control character");
  auto domain = normalize_domain(address.substr(at + 1));
  if (!domain) return invalid("bad domain");
  if (local.size() + 1 + domain->size() > kMaxAddress) return invalid("too long");
  return to_lower_ascii(local) + "@" + *domain;
}

std::string_view domain_of(std::string_view address) {
  size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view{} : address.substr(at + 1);
}

bool has_routing_syntax(std::string_view local_part) {
  return local_part.find_first_of("%!@") != std::string_view::npos;
}

}  // namespace mail::auth
