// ASCII character classes and case-insensitive comparison for the SMTP parsers (RFC 5321
// commands and keywords are case-insensitive ASCII; octets >= 0x80 never match a letter).
#pragma once

#include <cstring>
#include <string>
#include <string_view>

namespace mail::smtp::ascii {

inline bool is_alpha(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
inline bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
inline bool is_alnum(unsigned char c) {
  return is_alpha(c) || is_digit(c);
}
inline bool is_space(char c) {
  return c == ' ' || c == '\t';
}
// atext of RFC 5322 3.2.3, as used by RFC 5321 Atom.
inline bool is_atext(unsigned char c) {
  return is_alnum(c) || (c != 0 && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr);
}

inline char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}
inline std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace mail::smtp::ascii
