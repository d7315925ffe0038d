// The mechanism factory and the list the daemons advertise.
#include "auth/sasl/mechanism.h"

#include "auth/sasl/mechanisms.h"

namespace mail::auth::sasl {
namespace {

// RFC 4422 section 3.1: mechanism names are compared case-insensitively (upper-case ASCII).
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != b[i]) return false;
  }
  return true;
}

}  // namespace

Step Mechanism::provide_credentials(const std::optional<ScramCredentials>&) {
  return Failure{FailureReason::Malformed, std::string(name()) + ": credentials not asked for"};
}

std::vector<std::string> server_mechanisms(bool channel_binding_available) {
  std::vector<std::string> out;
  if (channel_binding_available) out.emplace_back(kScramSha256Plus);
  out.emplace_back(kScramSha256);
  out.emplace_back(kPlain);
  out.emplace_back(kLogin);
  return out;
}

std::unique_ptr<Mechanism> make_mechanism(std::string_view name, MechanismOptions options) {
  if (iequals(name, kPlain)) return std::make_unique<PlainMechanism>();
  if (iequals(name, kLogin)) return std::make_unique<LoginMechanism>();
  if (iequals(name, kScramSha256))
    return std::make_unique<ScramMechanism>(false, std::move(options));
  if (iequals(name, kScramSha256Plus) && options.tls_exporter)
    return std::make_unique<ScramMechanism>(true, std::move(options));
  return nullptr;
}

}  // namespace mail::auth::sasl
