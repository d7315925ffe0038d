// libFuzzer target: header splitting and RFC 6376 canonicalisation over any bytes. Checks
// that the relaxed form of a field is itself stable (canonicalising twice changes nothing)
// and that the body offset stays inside the message.
#include <cstdint>
#include <string>
#include <string_view>

#include "mailauth/header_block.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mail::mailauth;
  std::string_view msg(reinterpret_cast<const char*>(data), size);
  HeaderBlock h = split_header(msg);
  if (h.body_offset > msg.size() && h.body_offset != std::string_view::npos) __builtin_trap();
  for (const RawField& f : h.fields) {
    std::string once = relaxed_header(f.raw);
    if (relaxed_header(once) != once) __builtin_trap();
    (void)unfolded_value(f);
  }
  (void)canonical_body_length(msg, true);
  (void)canonical_body_length(msg, false);
  return 0;
}
