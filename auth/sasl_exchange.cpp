// The Authenticator's SASL driver (RFC 4422 section 5): it runs a mechanism from auth/sasl/,
// carries its challenges over the daemon's SaslChannel in base64, and answers the
// mechanism's requests: a password goes down the same throttled path as login(); SCRAM
// credentials are read after the throttle check and its penalty delay.
#include "auth/address.h"
#include "auth/authenticator.h"
#include "auth/sasl/framing.h"
#include "auth/sasl/mechanism.h"
#include "common/log.h"

namespace mail::auth {
namespace {

// No mechanism here needs more than three challenges; a client that keeps answering a
// broken exchange is cut off.
constexpr int kMaxChallenges = 8;

LoginResult status(LoginStatus s) {
  return LoginResult{s, {}, std::chrono::seconds(0), ThrottleScope::None};
}

// RFC 4422 section 3.4.1: the authzid, if given, must be the authenticated identity
// itself; acting for another account (an administrator proxy) is not offered.
bool authzid_allowed(std::string_view authcid, std::string_view authzid) {
  if (authzid.empty()) return true;
  return to_lower_ascii(authzid) == to_lower_ascii(authcid);
}

std::string_view failure_name(sasl::FailureReason r) {
  switch (r) {
    case sasl::FailureReason::Malformed:
      return "malformed";
    case sasl::FailureReason::BadCredentials:
      return "invalid proof";
    case sasl::FailureReason::ChannelBinding:
      return "channel binding";
    case sasl::FailureReason::Unsupported:
      return "unsupported extension";
  }
  return "?";
}

}  // namespace

struct Authenticator::ScramAttempt {
  std::optional<Credentials> credentials;
};

net::awaitable<std::optional<Authenticator::ScramAttempt>> Authenticator::begin_scram(
    const ClientInfo& client, std::string_view user, LoginResult& refusal) {
  const ThrottleVerdict verdict = throttle_->check(client.remote_address, user);
  if (verdict.refused) {
    refusal = LoginResult{LoginStatus::Throttled, {}, verdict.retry_after, verdict.scope};
    co_return std::nullopt;
  }
  co_await wait(verdict.delay);
  auto found = directory_.credentials(user);
  if (!found) {
    refusal = status(LoginStatus::Temporary);
    co_return std::nullopt;
  }
  // Counted as a failure until the proof verifies (a write: on the pool).
  auto begun =
      co_await pool_.run([&] { return throttle_->begin_attempt(client.remote_address, user); });
  if (!begun) {
    refusal = status(LoginStatus::Temporary);
    co_return std::nullopt;
  }
  if (begun->refused) {
    refusal = LoginResult{LoginStatus::Throttled, {}, begun->retry_after, begun->scope};
    co_return std::nullopt;
  }
  co_return ScramAttempt{std::move(*found)};
}

net::awaitable<LoginResult> Authenticator::authenticate(
    const ClientInfo& client, std::string_view mechanism_name,
    std::optional<std::string_view> initial_response, SaslChannel& channel) {
  sasl::MechanismOptions options;
  options.tls_exporter = client.tls_exporter;
  options.scram_iterations = options_.scram_iterations;
  options.fake_salt_key = fake_salt_key_;
  auto mechanism = sasl::make_mechanism(mechanism_name, std::move(options));
  const std::string name = mechanism ? std::string(mechanism->name()) : std::string();
  if (!mechanism)
    co_return finish(client, mechanism_name.substr(0, 64), "",
                     status(LoginStatus::UnknownMechanism), "");

  sasl::Step step;
  if (initial_response) {
    auto decoded = sasl::decode_initial_response(*initial_response);
    if (std::holds_alternative<sasl::BadBase64>(decoded))
      co_return finish(client, name, "", status(LoginStatus::Malformed),
                       "initial response not base64");
    step = mechanism->start(std::get<std::string>(decoded));
  } else {
    step = mechanism->start(std::nullopt);
  }

  std::string user;                          // the authcid, once known
  std::optional<std::string> scram_account;  // set once SCRAM credentials were looked up
  for (int challenges = 0;;) {
    if (auto* c = std::get_if<sasl::Continue>(&step)) {
      if (++challenges > kMaxChallenges)
        co_return finish(client, name, user, status(LoginStatus::Malformed), "too many rounds");
      auto line = co_await channel.challenge(sasl::encode_challenge(c->challenge));
      if (!line) co_return finish(client, name, user, status(LoginStatus::ConnectionLost), "");
      auto answer = sasl::decode_response(*line);
      if (std::holds_alternative<sasl::Cancelled>(answer))
        co_return finish(client, name, user, status(LoginStatus::Cancelled), "");
      if (std::holds_alternative<sasl::BadBase64>(answer))
        co_return finish(client, name, user, status(LoginStatus::Malformed), "response not base64");
      step = mechanism->respond(std::get<std::string>(answer));
      continue;
    }
    if (auto* need = std::get_if<sasl::NeedPassword>(&step)) {
      if (!authzid_allowed(need->authcid, need->authzid))
        co_return finish(client, name, need->authcid, status(LoginStatus::AuthzDenied),
                         "authzid " + need->authzid.substr(0, 256));
      co_return co_await check_password(client, name, need->authcid, need->password);
    }
    if (auto* need = std::get_if<sasl::NeedScramCredentials>(&step)) {
      user = need->authcid;
      if (!authzid_allowed(need->authcid, need->authzid))
        co_return finish(client, name, user, status(LoginStatus::AuthzDenied),
                         "authzid " + need->authzid.substr(0, 256));
      LoginResult refusal;
      auto attempt = co_await begin_scram(client, user, refusal);
      if (!attempt) co_return finish(client, name, user, refusal, "");
      std::optional<sasl::ScramCredentials> keys;
      // A disabled account, or one without keys yet (made before SCRAM and not logged in
      // with a password since), gets made-up keys: the proof fails like a wrong password.
      if (attempt->credentials && attempt->credentials->enabled &&
          !attempt->credentials->scram.empty()) {
        keys = attempt->credentials->scram;
        scram_account = attempt->credentials->account;
      }
      step = mechanism->provide_credentials(keys);
      continue;
    }
    if (auto* success = std::get_if<sasl::Success>(&step)) {
      if (!scram_account)  // cannot happen: only SCRAM succeeds inside the mechanism
        co_return finish(client, name, user, status(LoginStatus::Denied), "no account");
      co_await report_success(client, user);
      // RFC 4422 section 5 item 7: none of our protocols carries data with the success
      // reply, so the server-final message is one more challenge, answered empty.
      if (!success->additional_data.empty()) {
        auto line = co_await channel.challenge(sasl::encode_challenge(success->additional_data));
        if (!line) co_return finish(client, name, user, status(LoginStatus::ConnectionLost), "");
        if (*line == "*") co_return finish(client, name, user, status(LoginStatus::Cancelled), "");
        if (!line->empty())
          co_return finish(client, name, user, status(LoginStatus::Malformed),
                           "non-empty answer to the final message");
      }
      LoginResult ok = status(LoginStatus::Success);
      ok.account = *scram_account;
      co_return finish(client, name, user, ok, "");
    }
    const auto& failure = std::get<sasl::Failure>(step);
    const bool denied = failure.reason == sasl::FailureReason::BadCredentials ||
                        failure.reason == sasl::FailureReason::ChannelBinding ||
                        failure.reason == sasl::FailureReason::Unsupported;
    log::debug("sasl_failure").kv("session", client.session).kv("detail", failure.detail);
    co_return finish(client, name, user,
                     status(denied ? LoginStatus::Denied : LoginStatus::Malformed),
                     failure_name(failure.reason));
  }
}

}  // namespace mail::auth
