// libFuzzer entry for ChunkReader (BDAT assembly): the first byte picks a chunk size, the
// binary flag and the size limit; the rest is the message. Any split must give what one
// feed gives, and a text message that is accepted has only CRLF line endings.
#include <cstdint>
#include <string>
#include <string_view>

#include "smtpd/protocol/chunk_reader.h"

namespace {

struct Outcome {
  bool failed;
  int code;
  std::string message;
};

Outcome run(std::string_view input, size_t chunk, uint64_t max, bool binary) {
  mail::smtp::ChunkReader reader(max, binary);
  for (size_t offset = 0; offset < input.size(); offset += chunk)
    reader.feed(input.substr(offset, chunk));
  reader.finish();
  if (reader.size() != input.size()) __builtin_trap();
  if (reader.failed()) return {true, reader.error().code, ""};
  return {false, 250, reader.take_message()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t chunk = 1 + data[0] % 8;
  const bool binary = (data[0] & 0x80) != 0;
  const uint64_t max = (data[0] & 0x70) * 2;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const Outcome whole = run(input, input.size() + 1, max, binary);
  const Outcome split = run(input, chunk, max, binary);
  if (whole.failed != split.failed || whole.code != split.code || whole.message != split.message)
    __builtin_trap();
  if (!whole.failed) {
    if (whole.message != input || whole.message.size() > max) __builtin_trap();
    if (!binary) {
      for (size_t i = 0; i < input.size(); ++i) {
        if (input[i] == '\n' && (i == 0 || input[i - 1] != '\r')) __builtin_trap();
        if (input[i] == '\r' && (i + 1 == input.size() || input[i + 1] != '\n')) __builtin_trap();
      }
    }
  }
  return 0;
}
