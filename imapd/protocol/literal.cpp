// literal_at_end: see literal.h. Input: an untrusted line without CRLF.
#include "imapd/protocol/literal.h"

namespace mail::imap {

std::optional<LiteralMarker> literal_at_end(std::string_view line) {
  // RFC 9051 section 4.3 and 9: literal = "{" number64 ["+"] "}" CRLF *CHAR8;
  // RFC 3516: literal8 = "~{" number64 "}" CRLF *OCTET (RFC 7888 adds the "+").
  if (line.empty() || line.back() != '}') return std::nullopt;
  size_t end = line.size() - 1;  // index of '}'
  LiteralMarker marker;
  if (end > 0 && line[end - 1] == '+') {
    marker.non_synchronizing = true;
    --end;
  }
  const size_t digits_end = end;
  size_t begin = digits_end;
  while (begin > 0 && line[begin - 1] >= '0' && line[begin - 1] <= '9') --begin;
  if (begin == digits_end) return std::nullopt;
  if (begin == 0 || line[begin - 1] != '{') return std::nullopt;
  if (begin >= 2 && line[begin - 2] == '~') marker.binary = true;
  uint64_t value = 0;
  for (size_t i = begin; i < digits_end; ++i) {
    const uint64_t digit = static_cast<uint64_t>(line[i] - '0');
    if (value > (UINT64_MAX - digit) / 10) {  // would wrap: refuse, never truncate
      marker.too_large = true;
      marker.size = UINT64_MAX;
      return marker;
    }
    value = value * 10 + digit;
  }
  marker.size = value;
  return marker;
}

}  // namespace mail::imap
