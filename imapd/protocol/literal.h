// literal_at_end: tells the session whether a command line ends with a literal marker
// ({n}, {n+} or ~{n}), so it knows to read n more octets before the next line.
// Input: one untrusted line from the client, without its CRLF.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mail::imap {

struct LiteralMarker {
  uint64_t size = 0;
  bool non_synchronizing = false;  // {n+} (RFC 7888 LITERAL+): no "+" continuation is sent
  bool binary = false;             // ~{n} (RFC 3516 literal8)
};

// Returns the marker if `line` ends with "{n}", "{n+}", "~{n}" or "~{n+}". Sizes of more than
// 20 digits, or that do not fit in 64 bits, give nullopt; the session compares `size` with
// its own limit.
std::optional<LiteralMarker> literal_at_end(std::string_view line);

}  // namespace mail::imap
