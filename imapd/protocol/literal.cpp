// literal_at_end: see literal.h. Input: an untrusted line without CRLF.
#include "imapd/protocol/literal.h"

namespace mail::imap {

std::optional<LiteralMarker> literal_at_end(std::string_view line) {
  // RFC 9051 section 4.3: literal = "{" number64 ["+"] "}" CRLF; literal8 = "~{" ...
  if (line.empty() || line.back() != '}') return std::nullopt;
  size_t end = line.size() - 1;  // index of '}'
  LiteralMarker marker;
  if (end > 0 && line[end - 1] == '+') {
    marker.non_synchronizing = true;
    --end;
  }
  size_t digits_end = end;
  size_t begin = digits_end;
  while (begin > 0 && line[begin - 1] >= '0' && line[begin - 1] <= '9') --begin;
  size_t digits = digits_end - begin;
  if (digits == 0 || digits > 20) return std::nullopt;
  if (begin == 0 || line[begin - 1] != '{') return std::nullopt;
  if (begin >= 2 && line[begin - 2] == '~') marker.binary = true;
  uint64_t value = 0;
  for (size_t i = begin; i < digits_end; ++i) {
    uint64_t d = static_cast<uint64_t>(line[i] - '0');
    if (value > (UINT64_MAX - d) / 10) return std::nullopt;  // overflow
    value = value * 10 + d;
  }
  marker.size = value;
  return marker;
}

}  // namespace mail::imap
