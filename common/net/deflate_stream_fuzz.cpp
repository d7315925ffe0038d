// libFuzzer entry for DeflateStream's receiving side (common/net/deflate_stream.h): what a
// client sends after COMPRESS DEFLATE, fed in pieces and inflated into small buffers as
// net::Connection does. Checks that inflate never writes more than asked, and that a
// stream it accepts stays within the memory it reports. Input: arbitrary bytes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/net/deflate_stream.h"

using mail::net::DeflateStream;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  auto stream = DeflateStream::create();
  if (!stream) return 0;
  const size_t out_size = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::array<char, 64> out{};
  size_t total = 0;
  while (!input.empty() || stream->pending()) {
    if (!input.empty()) {
      const std::string_view piece = input.substr(0, 1 + input.size() % 13);
      input.remove_prefix(piece.size());
      stream->received(piece);
    }
    const auto got = stream->inflate(std::span<char>(out.data(), out_size));
    if (!got) return 0;  // corrupt or ended: the connection closes
    if (*got > out_size) std::abort();
    total += *got;
    if (total > (size_t{1} << 24)) return 0;  // enough expansion seen
    if (*got == 0 && input.empty()) break;
  }
  if (stream->memory() > 256 * 1024) std::abort();
  return 0;
}
