// libFuzzer entry for the relay client's reply parser: any bytes as a server's output.
// Checks that parsing never crashes and that every reply it accepts is well-formed: a code
// of 200-599, at least one line, an enhanced code of the reply's class or none, and text
// that cannot break a log line or a queue record once formatted.
#include <cstdint>
#include <string_view>

#include "queued/relay/protocol/capabilities.h"
#include "queued/relay/protocol/reply_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mail::relay;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto parsed = parse_replies(bytes, 20);
  for (const auto& reply : parsed.replies) {
    if (reply.code < 200 || reply.code > 599) __builtin_trap();
    if (reply.lines.empty() || reply.lines.size() > 20) __builtin_trap();
    if (!reply.enhanced.empty() && reply.enhanced[0] - '0' != reply.code / 100) __builtin_trap();
    const std::string text = reply_text(reply, 200);
    if (text.size() > 200) __builtin_trap();
    for (char c : text) {
      if (c == '\r' || c == '\n' || c == '\0') __builtin_trap();
    }
    if (reply.code == 250) (void)parse_ehlo(reply);
  }
  if (parsed.malformed && parsed.error.empty()) __builtin_trap();
  return 0;
}
