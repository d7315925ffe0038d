// Multi-line POP3 responses (RFC 1939 3): byte-stuffing of lines that start with '.', the
// ".\r\n" terminator, and the slice of a message that TOP sends. Pure: no I/O.
// Trusts nothing about the message bytes (stored with CRLF, but a bare LF is handled).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mail::pop3 {

// Byte-stuffs a message fed in pieces of any size, so a large RETR can be sent in chunks.
class DotStuffer {
 public:
  // Appends `piece` to `out`, doubling a '.' at the start of every line.
  void append(std::string_view piece, std::string& out);
  // Ends the response: a CRLF if the last line lacked one, then ".\r\n".
  void finish(std::string& out);

 private:
  bool at_line_start_ = true;
};

// The octets TOP msg n sends (RFC 1939 7): the header section, the blank line after it,
// and the first `lines` lines of the body. A message without a blank line is all header.
size_t top_length(std::string_view message, uint32_t lines);

}  // namespace mail::pop3
