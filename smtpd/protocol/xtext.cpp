// xtext (RFC 3461 4) and the RFC 6533 utf-8 address forms; see xtext.h. Every byte is
// untrusted.
#include "smtpd/protocol/xtext.h"

#include "smtpd/protocol/utf8.h"

namespace mail::smtp {
namespace {

int upper_hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int hex_value(char c) {
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return upper_hex_value(c);
}

}  // namespace

std::optional<std::string> xtext_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '+') {
      // RFC 3461 4: "two upper case hexadecimal digits".
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = upper_hex_value(text[i + 1]);
      const int lo = upper_hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c >= '!' && c <= '~' && c != '=') {
      out += static_cast<char>(c);
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::string xtext_encode(std::string_view octets) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(octets.size());
  for (char ch : octets) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= '!' && c <= '~' && c != '+' && c != '=') {
      out += ch;
    } else {
      out += '+';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::optional<std::string> utf8_address_decode(std::string_view text, bool unitext) {
  if (text.empty()) return std::nullopt;
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\\') {
      // EmbeddedUnicodeChar = "\x{" HEXPOINT "}" (RFC 6533 3), at most U+10FFFF.
      if (text.substr(i, 3) != "\\x{") return std::nullopt;
      size_t j = i + 3;
      uint32_t cp = 0;
      while (j < text.size() && j - (i + 3) < 7 && hex_value(text[j]) >= 0)
        cp = cp * 16 + static_cast<uint32_t>(hex_value(text[j++]));
      const size_t digits = j - (i + 3);
      if (digits == 0 || digits > 6 || j >= text.size() || text[j] != '}') return std::nullopt;
      if (cp < 0x20 || cp == 0x7F || !append_utf8(out, cp)) return std::nullopt;
      i = j + 1;
    } else if (c >= 0x80) {
      const size_t len = utf8_sequence_length(text, i);
      if (!unitext || len == 0) return std::nullopt;
      out.append(text.substr(i, len));
      i += len;
    } else if (c >= '!' && c <= '~' && c != '+' && c != '=') {
      out += static_cast<char>(c);
      ++i;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace mail::smtp
