// libFuzzer target: `mailctl dns --check`'s comparison (ctl/dns_records.h) over published
// data from the network. The first byte picks the record, the rest is split at 0xff into the
// published records (TXT text, SRV RDATA, MX RDATA). Whatever is published, the line shown
// to the administrator holds printable ASCII only (no terminal control sequences).
#include <cstdint>
#include <string>
#include <string_view>

#include "ctl/dns_records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mail;
  if (size == 0) return 0;
  static const auto records = ctl::domain_records(
      "example.org", "mail.example.org",
      {{"e1", "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="},
       {"s1", "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"}},
      "20261206");
  const ctl::DnsRecord& want = records[data[0] % records.size()];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  ctl::Published got;
  got.status = dns::Status::Ok;
  size_t pos = 0;
  while (pos <= rest.size()) {
    size_t end = std::min(rest.find('\xff', pos), rest.size());
    std::string_view part = rest.substr(pos, end - pos);
    got.data.emplace_back(part);
    if (auto mx = dns::parse_mx(part)) got.mx.push_back(*mx);
    pos = end + 1;
  }
  std::string line = ctl::check_line(want, ctl::check_record(want, got));
  for (char c : line)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
      __builtin_trap();
  return 0;
}
