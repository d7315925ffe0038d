// libFuzzer target: the Authentication-Results parser over any bytes, and the writer over
// what it parsed (values from the network): what the writer produces must parse back.
#include <cstdint>
#include <string>
#include <string_view>

#include "mailauth/auth_results.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mail::mailauth;
  std::string_view value(reinterpret_cast<const char*>(data), size);
  (void)authserv_id_of(value);
  auto parsed = parse_auth_results(value);
  if (!parsed) return 0;
  std::string field = write_auth_results(*parsed);
  if (!parse_auth_results(std::string_view(field).substr(field.find(':') + 1))) __builtin_trap();
  return 0;
}
