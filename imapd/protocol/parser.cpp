// The command head and the frame around the argument parsers; see parser.h.
// Input: untrusted bytes.
#include "imapd/protocol/parser.h"

namespace mail::imap {

HeadResult parse_command_head(Reader& r) {
  // RFC 9051 section 9: command = tag SP (command-any / command-auth / ...) CRLF
  auto tag = r.tag();
  if (!tag) return ParseError{"*", "missing tag"};
  if (!r.consume(' ')) {
    if (r.at_end() || r.peek() == '\r' || r.peek() == '\n')
      return ParseError{*tag, "missing command"};
    return ParseError{"*", "invalid tag"};
  }
  CommandHead head;
  head.tag = std::move(*tag);
  auto name = r.atom();
  if (!name) return ParseError{head.tag, "missing command"};
  head.name = to_upper(*name);
  if (head.name == "UID") {
    // RFC 9051 section 6.4.9: "UID" SP (copy / move / fetch / search / store / expunge)
    head.uid = true;
    if (!r.consume(' ')) return ParseError{head.tag, "UID: missing command"};
    auto sub = r.atom();
    if (!sub) return ParseError{head.tag, "UID: missing command"};
    head.name = to_upper(*sub);
  }
  return head;
}

ParseResult parse_command_arguments(Reader& r, CommandHead head, ArgParser parse) {
  Command cmd;
  cmd.tag = std::move(head.tag);
  cmd.name = std::move(head.name);
  cmd.uid = head.uid;
  if (!parse(r, cmd) || !r.end()) {
    std::string label = (cmd.uid ? "UID " : "") + cmd.name + ": ";
    return ParseError{cmd.tag, label + (r.error().empty() ? "syntax error" : r.error())};
  }
  return cmd;
}

ParseResult parse_command(std::string_view wire, ArgParser parse) {
  Reader r(wire);
  HeadResult head = parse_command_head(r);
  if (auto* error = std::get_if<ParseError>(&head)) return std::move(*error);
  return parse_command_arguments(r, std::move(std::get<CommandHead>(head)), parse);
}

}  // namespace mail::imap
