// libFuzzer target for the config loader: any bytes give a Config or an error, never a
// crash (the file is written by an administrator, but a typo must not take a daemon down
// in an unexpected way).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)mail::parse_config(text, "fuzz.toml", "/base");
  return 0;
}
