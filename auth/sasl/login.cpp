// LOGIN (draft-murchison-sasl-login-00, the obsolete but widely used mechanism): the
// server asks "Username:" then "Password:", each answered with the plain value. An
// initial response, when the client sends one (SMTP "AUTH LOGIN dXNlcg=="), is the user
// name. No authorization identity.
#include "auth/sasl/mechanisms.h"

namespace mail::auth::sasl {

Step LoginMechanism::start(std::optional<std::string_view> initial_response) {
  if (!initial_response) {
    state_ = State::WantUser;
    return Continue{"Username:"};
  }
  return take_user(*initial_response);
}

Step LoginMechanism::respond(std::string_view response) {
  switch (state_) {
    case State::WantUser:
      return take_user(response);
    case State::WantPassword: {
      state_ = State::Done;
      if (response.empty()) return Failure{FailureReason::Malformed, "LOGIN: empty password"};
      return NeedPassword{std::move(user_), "", std::string(response)};
    }
    case State::Start:
    case State::Done:
      break;
  }
  return Failure{FailureReason::Malformed, "LOGIN: unexpected message"};
}

Step LoginMechanism::take_user(std::string_view user) {
  if (user.empty() || user.find('\0') != std::string_view::npos) {
    state_ = State::Done;
    return Failure{FailureReason::Malformed, "LOGIN: empty or NUL user name"};
  }
  user_ = std::string(user);
  state_ = State::WantPassword;
  return Continue{"Password:"};
}

}  // namespace mail::auth::sasl
