// Parses one POP3 command line (RFC 1939 3, RFC 2449, RFC 2595, RFC 5034) into a Command value, or
// the text of the -ERR reply to send. Pure: no I/O, no session state (whether a command
// is allowed in the current state is the session's check).
// Trusts nothing: the line comes straight from the network. REQUIRES: CRLF removed and
// length already bounded by the session (pop3d.max_line_length).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace mail::pop3 {

enum class Verb {
  Capa,
  User,
  Pass,
  Stls,
  Quit,
  Stat,
  List,
  Uidl,
  Retr,
  Dele,
  Rset,
  Noop,
  Top,
  Auth
};

// Upper-case name of the verb ("RETR"), for logs.
std::string_view verb_name(Verb verb);

struct Command {
  Verb verb = Verb::Noop;
  // USER: the name; PASS: the rest of the line after "PASS " (a password may hold spaces);
  // AUTH: the SASL mechanism name, empty for a bare "AUTH" (list the mechanisms).
  std::string argument;
  // AUTH: the initial response as sent (base64, or "=" for an empty one; RFC 5034 4).
  std::optional<std::string> initial_response;
  // LIST, UIDL: the optional message number (0 = none given); RETR, DELE, TOP: required,
  // always >= 1 when parsed.
  uint32_t number = 0;
  uint32_t lines = 0;  // TOP: body lines to send (may be 0)
};

// Why a line did not parse; `text` follows "-ERR " in the reply.
struct ParseError {
  std::string text;
};

std::variant<Command, ParseError> parse_command(std::string_view line);

}  // namespace mail::pop3
