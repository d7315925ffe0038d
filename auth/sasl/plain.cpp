// PLAIN (RFC 4616): one client message "[authzid] NUL authcid NUL passwd", UTF-8, no NUL
// inside a field. Without an initial response the server first sends an empty challenge.
// The password is checked by the driver (NeedPassword); whether the authzid may be used is
// the driver's policy too.
#include "auth/sasl/mechanisms.h"

namespace mail::auth::sasl {

Step PlainMechanism::start(std::optional<std::string_view> initial_response) {
  if (!initial_response) {
    waiting_ = true;
    return Continue{};  // RFC 4616 section 2: an empty challenge asks for the message
  }
  return parse(*initial_response);
}

Step PlainMechanism::respond(std::string_view response) {
  if (!waiting_) return Failure{FailureReason::Malformed, "PLAIN: unexpected message"};
  waiting_ = false;
  return parse(response);
}

// message = [authzid] UTF8NUL authcid UTF8NUL passwd (RFC 4616 section 2).
Step PlainMechanism::parse(std::string_view message) {
  const size_t first = message.find('\0');
  if (first == std::string_view::npos)
    return Failure{FailureReason::Malformed, "PLAIN: no NUL separator"};
  const size_t second = message.find('\0', first + 1);
  if (second == std::string_view::npos)
    return Failure{FailureReason::Malformed, "PLAIN: one NUL separator"};
  NeedPassword need;
  need.authzid = std::string(message.substr(0, first));
  need.authcid = std::string(message.substr(first + 1, second - first - 1));
  need.password = std::string(message.substr(second + 1));
  // authcid and passwd are 1*SAFE (at least one octet); passwd may not contain NUL.
  if (need.authcid.empty()) return Failure{FailureReason::Malformed, "PLAIN: empty authcid"};
  if (need.password.empty()) return Failure{FailureReason::Malformed, "PLAIN: empty password"};
  if (need.password.find('\0') != std::string::npos)
    return Failure{FailureReason::Malformed, "PLAIN: NUL in password"};
  return need;
}

}  // namespace mail::auth::sasl
