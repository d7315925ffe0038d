// The command parser (RFC 9051 section 9, RFC 3501 section 9), in two steps so that the
// session's one command table decides between them: parse_command_head reads the tag
// and the command name; the table names the argument parser (arguments.h) for that
// command, which parse_command_arguments runs up to the end of the command.
// Input: one whole command as CommandReceiver assembles it (every line with its CRLF and
// every literal's octets), untrusted. Never throws on bad input, never reads out of
// bounds, and limits list nesting to kMaxListDepth.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "imapd/protocol/command.h"
#include "imapd/protocol/reader.h"

namespace mail::imap {

struct ParseError {
  std::string tag;  // "*" when the command had no usable tag
  std::string message;
};

// Reads the arguments of one command into cmd.args; false (with r.error()) on bad syntax.
// Each starts by reading the SP after the command name, if it takes arguments.
using ArgParser = bool (*)(Reader& r, Command& cmd);

// tag SP [ "UID" SP ] name: "UID FETCH" has name "FETCH" and uid = true.
struct CommandHead {
  std::string tag;
  std::string name;  // upper-cased
  bool uid = false;
};

using HeadResult = std::variant<CommandHead, ParseError>;
using ParseResult = std::variant<Command, ParseError>;

// Reads the head; `r` is left just after the command name.
HeadResult parse_command_head(Reader& r);
// Reads the rest with `parse` and requires the end of the command (an optional CRLF).
ParseResult parse_command_arguments(Reader& r, CommandHead head, ArgParser parse);
// Both steps over a whole command (tests, fuzzing).
ParseResult parse_command(std::string_view wire, ArgParser parse);

// A section-spec without its brackets, as an IMAP URL's ;SECTION= carries it (RFC 5092
// section 3: "1.2", "HEADER", "2.MIME", "HEADER.FIELDS (From To)", any case); the same
// grammar as FETCH BODY[...]. nullopt when it is not one.
std::optional<Section> parse_section_spec(std::string_view spec);

}  // namespace mail::imap
