// libFuzzer target for the DNS record parsers (common/dns/rdata.h). The first byte picks
// the parser, the rest is the record data.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/dns/rdata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view rd(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      (void)mail::dns::parse_name(rd);
      break;
    case 1:
      if (auto mx = mail::dns::parse_mx(rd); mx && mx->host.size() > 255 * 4) __builtin_trap();
      break;
    case 2:
      if (auto t = mail::dns::parse_txt(rd); t && t->size() >= rd.size()) __builtin_trap();
      break;
    case 3:
      (void)mail::dns::parse_a(rd);
      break;
    case 4:
      (void)mail::dns::parse_aaaa(rd);
      break;
  }
  return 0;
}
