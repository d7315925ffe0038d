// libFuzzer target: the metrics endpoint's request-head parser over arbitrary octets.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/net/http_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (size_t limit : {size_t{16}, size_t{8192}}) {
    auto r = mail::net::parse_http_request_head(input, limit);
    if (r.status == mail::net::HttpParseStatus::Complete) {
      if (r.head.method.empty() || r.head.target.empty()) __builtin_trap();
      (void)mail::net::http_target_path(r.head.target);
    }
  }
  return 0;
}
