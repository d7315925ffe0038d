// parse_command: turns one fully assembled IMAP command (every line with its CRLF and every
// literal's octets, exactly as received) into a Command, or a ParseError to answer with BAD.
// Input: untrusted bytes of any length and content. Never throws on bad input, never reads
// out of bounds, and limits list nesting to kMaxListDepth.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "imapd/protocol/command.h"

namespace mail::imap {

// Parenthesised lists nested deeper than this are a parse error (bounds recursion).
inline constexpr int kMaxListDepth = 64;

struct ParseError {
  std::string tag;  // "*" when the command had no usable tag
  std::string message;
};

using ParseResult = std::variant<Command, ParseError>;

ParseResult parse_command(std::string_view wire);

}  // namespace mail::imap
