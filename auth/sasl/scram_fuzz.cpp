// libFuzzer target: the SCRAM-SHA-256 (RFC 5802, RFC 7677) server mechanism over arbitrary client
// messages (see fuzz_driver.h for the input format).
#include "auth/sasl/fuzz_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mail::auth::sasl;
  MechanismOptions o;
  o.fake_salt_key = "k";
  o.nonce = [] { return std::string("srvnonce"); };
  // Odd first octet: pretend TLS 1.3 so that the "y" downgrade rule is exercised too.
  if (size > 0 && (data[0] & 1)) o.tls_exporter = std::string(32, 'e');
  ScramMechanism m(false, std::move(o));
  fuzz_exchange(m, std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
