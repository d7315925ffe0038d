#include "auth/sasl/framing.h"

#include "common/base64.h"

namespace mail::auth::sasl {

ClientLine decode_response(std::string_view line) {
  if (line == "*") return Cancelled{};
  auto bytes = base64_decode(line);
  if (!bytes) return BadBase64{};
  return std::move(*bytes);
}

std::variant<std::string, BadBase64> decode_initial_response(std::string_view argument) {
  if (argument == "=") return std::string();
  if (argument.empty()) return BadBase64{};
  auto bytes = base64_decode(argument);
  if (!bytes) return BadBase64{};
  return std::move(*bytes);
}

std::string encode_challenge(std::string_view challenge) {
  return base64_encode(challenge);
}

}  // namespace mail::auth::sasl
