// libFuzzer entry for DataReader: the first byte picks a chunk size, the rest is the DATA
// stream. Feeding in chunks must give exactly what one feed gives.
#include <cstdint>
#include <string_view>

#include "smtpd/protocol/data_reader.h"

namespace {

struct Outcome {
  mail::smtp::DataReader::Status status;
  size_t consumed;
  std::string message;
  bool too_big;
  bool bare;
};

Outcome run(std::string_view input, size_t chunk, uint64_t max) {
  mail::smtp::DataReader reader(max);
  Outcome out{mail::smtp::DataReader::Status::NeedMore, 0, {}, false, false};
  for (size_t offset = 0; offset < input.size(); offset += chunk) {
    size_t consumed = 0;
    const std::string_view piece = input.substr(offset, chunk);
    out.status = reader.feed(piece, consumed);
    if (consumed > piece.size()) __builtin_trap();
    out.consumed += consumed;
    if (out.status != mail::smtp::DataReader::Status::NeedMore) break;
  }
  out.message = reader.message();
  out.too_big = reader.too_big();
  out.bare = reader.bare_line_ending();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t chunk = 1 + data[0] % 16;
  const uint64_t max = data[0] * 4;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const Outcome whole = run(input, input.size() + 1, max);
  const Outcome split = run(input, chunk, max);
  if (whole.status != split.status || whole.consumed != split.consumed ||
      whole.too_big != split.too_big || whole.bare != split.bare) {
    __builtin_trap();
  }
  if (whole.status == mail::smtp::DataReader::Status::Done) {
    if (whole.message != split.message || whole.message.size() > max) __builtin_trap();
    // Consumed input ends with the terminator.
    if (input.substr(0, whole.consumed).substr(whole.consumed - 3) != ".\r\n") __builtin_trap();
  }
  return 0;
}
