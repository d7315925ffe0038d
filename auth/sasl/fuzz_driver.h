// Shared by the SASL fuzz targets: the input is a series of client messages separated by
// the octet 0x01 (which no mechanism message needs). Each one is fed to the mechanism as
// the next response; a credentials request is answered with fixed keys or, when the
// message count is odd, with "no such user". Runs until the exchange ends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/sasl/mechanisms.h"

namespace mail::auth::sasl {

inline void fuzz_exchange(Mechanism& m, std::string_view input) {
  static const ScramCredentials keys = derive_scram_credentials("pencil", "0123456789abcdef", 4096);
  size_t sep = input.find('\x01');
  std::string_view first = input.substr(0, sep);
  // An input starting with 0x02 means "no initial response".
  Step step = (!first.empty() && first[0] == '\x02') ? m.start(std::nullopt) : m.start(first);
  input = sep == std::string_view::npos ? std::string_view() : input.substr(sep + 1);
  for (int round = 0; round < 16; ++round) {
    if (std::holds_alternative<NeedScramCredentials>(step)) {
      step = m.provide_credentials(round % 2 ? std::nullopt : std::optional(keys));
      continue;
    }
    if (!std::holds_alternative<Continue>(step) || input.empty()) return;
    sep = input.find('\x01');
    step = m.respond(input.substr(0, sep));
    input = sep == std::string_view::npos ? std::string_view() : input.substr(sep + 1);
  }
}

}  // namespace mail::auth::sasl
