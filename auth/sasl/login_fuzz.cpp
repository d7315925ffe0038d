// libFuzzer target: the LOGIN server mechanism over arbitrary client messages
// (see fuzz_driver.h for the input format).
#include "auth/sasl/fuzz_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mail::auth::sasl;
  LoginMechanism m;
  fuzz_exchange(m, std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
