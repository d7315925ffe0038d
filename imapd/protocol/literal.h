// literal_at_end: tells the command receiver whether a command line ends with a literal
// marker ({n}, {n+}, ~{n} or ~{n+}), so it knows to read n more octets before the next
// line. Input: one untrusted line from the client, without its CRLF.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mail::imap {

struct LiteralMarker {
  // The announced size. When too_large is set the digits did not fit in 64 bits (or were
  // absurdly many): the client still means a literal, so the receiver must refuse it as
  // too big, never treat the line as complete or wrap the size.
  uint64_t size = 0;
  bool too_large = false;
  bool non_synchronizing = false;  // {n+} (RFC 7888 LITERAL+/LITERAL-): no "+" is sent
  bool binary = false;             // ~{n} (RFC 3516 literal8)
};

// Returns the marker if `line` ends with "{digits}", "{digits+}", "~{digits}" or
// "~{digits+}"; nullopt when it does not end in a marker at all.
std::optional<LiteralMarker> literal_at_end(std::string_view line);

}  // namespace mail::imap
