// libFuzzer entry for the POP3 parsers: any bytes as one command line, and as a message
// to byte-stuff and slice for TOP. Checks that parsing never crashes and that what it
// accepts is internally consistent.
#include <cstdint>
#include <string>
#include <string_view>

#include "pop3d/protocol/command.h"
#include "pop3d/protocol/multiline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mail::pop3;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const auto result = parse_command(line);
  if (const auto* e = std::get_if<ParseError>(&result)) {
    if (e->text.empty()) __builtin_trap();
  } else {
    const Command& cmd = std::get<Command>(result);
    const bool needs_number =
        cmd.verb == Verb::Retr || cmd.verb == Verb::Dele || cmd.verb == Verb::Top;
    if (needs_number && cmd.number == 0) __builtin_trap();
    if (cmd.verb == Verb::User && cmd.argument.find(' ') != std::string::npos) __builtin_trap();
  }

  // A stuffed response never contains a terminator line before its end.
  DotStuffer stuffer;
  std::string out;
  stuffer.append(line.substr(0, top_length(line, size % 7)), out);
  stuffer.finish(out);
  const size_t end = out.find("\r\n.\r\n");
  if (end != std::string::npos && end + 5 != out.size()) __builtin_trap();
  return 0;
}
