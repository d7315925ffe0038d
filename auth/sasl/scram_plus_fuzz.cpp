// libFuzzer target: the SCRAM-SHA-256-PLUS with tls-exporter (RFC 9266) server mechanism over
// arbitrary client messages (see fuzz_driver.h for the input format).
#include "auth/sasl/fuzz_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mail::auth::sasl;
  MechanismOptions o;
  o.fake_salt_key = "k";
  o.nonce = [] { return std::string("srvnonce"); };
  o.tls_exporter = std::string(32, 'e');
  ScramMechanism m(true, std::move(o));
  fuzz_exchange(m, std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
