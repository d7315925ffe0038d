// libFuzzer entry for CommandReceiver: the input is cut into pieces (sizes taken from the
// input itself) and fed like the session does, under tight limits; every outcome is
// checked against the receiver's contract and each complete command goes through the
// command head parser. Input: arbitrary bytes from the fuzzer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "imapd/protocol/parser.h"
#include "imapd/protocol/receiver.h"

using namespace mail::imap;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  ReceiverLimits limits;
  limits.max_line = 64 + data[0];
  limits.max_command = 256 + data[1] * 4;
  limits.max_append_data = 4096;
  limits.max_literal = (data[0] & 1) ? 512 : UINT64_MAX;
  limits.max_non_sync_literal = (data[1] & 1) ? 4096 : UINT64_MAX;
  CommandReceiver receiver(limits);
  std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
  size_t piece = 1 + data[0] % 17;
  while (!input.empty()) {
    std::string_view chunk = input.substr(0, piece);
    input.remove_prefix(chunk.size());
    piece = 1 + (piece * 7 + 3) % 29;
    while (true) {
      Received got = receiver.receive(chunk);
      if (got.consumed > chunk.size()) std::abort();
      chunk.remove_prefix(got.consumed);
      if (receiver.buffered() > limits.max_command + limits.max_append_data + limits.max_line)
        std::abort();  // memory beyond the limits
      if (std::holds_alternative<NeedMore>(got.outcome)) {
        if (!chunk.empty()) std::abort();
        break;
      }
      if (auto* ready = std::get_if<CommandReady>(&got.outcome)) {
        if (ready->wire.size() < 2 || ready->wire.substr(ready->wire.size() - 2) != "\r\n")
          std::abort();
        Reader r(ready->wire);
        (void)parse_command_head(r);
      }
      if (auto* refusal = std::get_if<TooBig>(&got.outcome); refusal && refusal->closes()) return 0;
    }
  }
  return 0;
}
