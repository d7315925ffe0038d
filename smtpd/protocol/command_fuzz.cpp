// libFuzzer entry for parse_command: any bytes as one command line. Checks that parsing
// never crashes and that what it accepts is internally consistent.
#include <cstdint>
#include <string_view>

#include "smtpd/protocol/command.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mail::smtp;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const auto result = parse_command(line);
  if (const auto* reply = std::get_if<Reply>(&result)) {
    if (reply->code < 500 || reply->code > 599) __builtin_trap();
    (void)reply->to_wire();
    return 0;
  }
  const Command& cmd = std::get<Command>(result);
  if (cmd.verb == Verb::Mail || cmd.verb == Verb::Rcpt) {
    const std::string address = cmd.path.to_string();
    // A parsed address never carries bytes that could break a reply or a queue record.
    for (char c : address) {
      if (c == '\r' || c == '\n' || c == '\0') __builtin_trap();
    }
    if (cmd.verb == Verb::Rcpt && cmd.path.is_null()) __builtin_trap();
  }
  return 0;
}
