// Modified UTF-7 codec; see mutf7.h. Input: untrusted names, fully validated.
#include "imapd/protocol/mutf7.h"

#include <cstdint>
#include <vector>

namespace mail::imap {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

// Decodes one UTF-8 code point at s[i]; advances i. Rejects overlong forms and surrogates.
std::optional<uint32_t> next_code_point(std::string_view s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + len > s.size()) return std::nullopt;
  uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
  for (size_t k = 1; k < len; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc >> 6) != 2) return std::nullopt;
    cp = (cp << 6) | (cc & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  i += len;
  return cp;
}

void put_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

void flush_base64(std::string& out, std::vector<uint16_t>& units) {
  if (units.empty()) return;
  out += '&';
  uint32_t bits = 0;
  int nbits = 0;
  for (uint16_t u : units) {
    bits = (bits << 16) | u;
    nbits += 16;
    while (nbits >= 6) {
      nbits -= 6;
      out += kAlphabet[(bits >> nbits) & 0x3f];
    }
  }
  if (nbits > 0) out += kAlphabet[(bits << (6 - nbits)) & 0x3f];
  out += '-';
  units.clear();
}

}  // namespace

std::optional<std::string> mutf7_encode(std::string_view utf8) {
  std::string out;
  std::vector<uint16_t> pending;  // UTF-16 units awaiting a base64 run
  size_t i = 0;
  while (i < utf8.size()) {
    auto cp = next_code_point(utf8, i);
    if (!cp) return std::nullopt;
    if (*cp >= 0x20 && *cp <= 0x7e) {
      flush_base64(out, pending);
      out += static_cast<char>(*cp);
      if (*cp == '&') out += '-';
    } else if (*cp >= 0x10000) {
      uint32_t v = *cp - 0x10000;
      pending.push_back(static_cast<uint16_t>(0xd800 + (v >> 10)));
      pending.push_back(static_cast<uint16_t>(0xdc00 + (v & 0x3ff)));
    } else {
      pending.push_back(static_cast<uint16_t>(*cp));
    }
  }
  flush_base64(out, pending);
  return out;
}

std::optional<std::string> mutf7_decode(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c < 0x20 || c > 0x7e) return std::nullopt;
    if (c != '&') {
      out += c;
      ++i;
      continue;
    }
    ++i;
    if (i < s.size() && s[i] == '-') {  // "&-" is "&"
      out += '&';
      ++i;
      continue;
    }
    uint32_t bits = 0;
    int nbits = 0;
    uint32_t high = 0;  // pending high surrogate
    bool any = false;
    while (true) {
      if (i >= s.size()) return std::nullopt;  // unterminated run
      char b = s[i++];
      if (b == '-') break;
      int v = b64_value(b);
      if (v < 0) return std::nullopt;
      bits = (bits << 6) | static_cast<uint32_t>(v);
      nbits += 6;
      if (nbits < 16) continue;
      nbits -= 16;
      uint32_t unit = (bits >> nbits) & 0xffff;
      bits &= (1u << nbits) - 1;
      any = true;
      if (high != 0) {
        if (unit < 0xdc00 || unit > 0xdfff) return std::nullopt;
        put_utf8(out, 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00));
        high = 0;
      } else if (unit >= 0xd800 && unit <= 0xdbff) {
        high = unit;
      } else if (unit >= 0xdc00 && unit <= 0xdfff) {
        return std::nullopt;
      } else if (unit >= 0x20 && unit <= 0x7e) {
        return std::nullopt;  // printable ASCII must not be encoded
      } else {
        put_utf8(out, unit);
      }
    }
    // Leftover bits must be fewer than 6 and zero; the run must not be empty or end mid-pair.
    if (!any || high != 0 || nbits >= 6 || bits != 0) return std::nullopt;
  }
  return out;
}

}  // namespace mail::imap
