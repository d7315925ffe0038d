// SCRAM-SHA-256 and SCRAM-SHA-256-PLUS, server side (RFC 5802 sections 3, 5, 6; RFC 7677;
// RFC 9266 for tls-exporter). The server verifies ClientProof against StoredKey and proves
// itself with ServerSignature; it never sees the password.
#include <openssl/crypto.h>

#include "auth/sasl/mechanisms.h"
#include "common/base64.h"

namespace mail::auth::sasl {
namespace {

constexpr std::string_view kTlsExporter = "tls-exporter";
constexpr size_t kServerNonceBytes = 24;

std::string random_nonce() {
  return base64_encode(random_bytes(kServerNonceBytes));  // base64 never contains ','
}

}  // namespace

ScramMechanism::ScramMechanism(bool plus, MechanismOptions options)
    : plus_(plus), options_(std::move(options)) {
  if (!options_.nonce) options_.nonce = random_nonce;
}

Step ScramMechanism::fail(FailureReason reason, std::string detail) {
  state_ = State::Done;
  return Failure{reason, std::string(name()) + ": " + std::move(detail)};
}

Step ScramMechanism::start(std::optional<std::string_view> initial_response) {
  // SCRAM is client-first; without an initial response the server sends an empty
  // challenge and waits for client-first (RFC 4422 section 5 item 2a).
  if (!initial_response) {
    state_ = State::WantClientFirst;
    return Continue{};
  }
  return client_first(*initial_response);
}

Step ScramMechanism::respond(std::string_view response) {
  switch (state_) {
    case State::WantClientFirst:
      return client_first(response);
    case State::WantClientFinal:
      return client_final(response);
    case State::Start:
    case State::WantCredentials:
    case State::Done:
      break;
  }
  return fail(FailureReason::Malformed, "unexpected message");
}

Step ScramMechanism::client_first(std::string_view message) {
  auto parsed = parse_client_first(message);
  if (auto* e = std::get_if<ScramParseError>(&parsed))
    return fail(e->mandatory_extension ? FailureReason::Unsupported : FailureReason::Malformed,
                e->what);
  first_ = std::move(std::get<ClientFirst>(parsed));
  // Channel binding negotiation, RFC 5802 section 6.
  switch (first_.flag) {
    case ChannelBindingFlag::Used:
      if (!plus_) return fail(FailureReason::ChannelBinding, "binding requested without -PLUS");
      if (first_.cb_name != kTlsExporter)
        return fail(FailureReason::ChannelBinding, "unsupported binding type " + first_.cb_name);
      if (!options_.tls_exporter)
        return fail(FailureReason::ChannelBinding, "no tls-exporter on this connection");
      break;
    case ChannelBindingFlag::NotAdvertised:
      // "y": the client could bind but believes we cannot. We advertise -PLUS whenever we
      // have tls-exporter data, so with it this is a downgrade by a man in the middle.
      if (plus_ || options_.tls_exporter)
        return fail(FailureReason::ChannelBinding, "\"y\" flag while -PLUS was offered");
      break;
    case ChannelBindingFlag::NotSupported:
      if (plus_) return fail(FailureReason::ChannelBinding, "-PLUS without channel binding");
      break;
  }
  state_ = State::WantCredentials;
  return NeedScramCredentials{first_.username, first_.authzid};
}

ScramCredentials ScramMechanism::fake_credentials() const {
  ScramCredentials fake;
  fake.salt =
      hmac_sha256(options_.fake_salt_key, "salt:" + first_.username).substr(0, kScramSaltBytes);
  fake.iterations = options_.scram_iterations;
  fake.stored_key = random_bytes(kSha256Bytes);
  fake.server_key = random_bytes(kSha256Bytes);
  return fake;
}

Step ScramMechanism::provide_credentials(const std::optional<ScramCredentials>& credentials) {
  if (state_ != State::WantCredentials)
    return fail(FailureReason::Malformed, "credentials not asked for");
  const bool usable = credentials && !credentials->empty() &&
                      credentials->stored_key.size() == kSha256Bytes &&
                      credentials->server_key.size() == kSha256Bytes && credentials->iterations > 0;
  credentials_ = usable ? *credentials : fake_credentials();
  nonce_ = first_.nonce + options_.nonce();
  server_first_ = format_server_first(nonce_, credentials_.salt, credentials_.iterations);
  state_ = State::WantClientFinal;
  return Continue{server_first_};
}

Step ScramMechanism::client_final(std::string_view message) {
  auto parsed = parse_client_final(message);
  if (auto* e = std::get_if<ScramParseError>(&parsed))
    return fail(e->mandatory_extension ? FailureReason::Unsupported : FailureReason::Malformed,
                e->what);
  const ClientFinal& final_msg = std::get<ClientFinal>(parsed);
  if (final_msg.nonce != nonce_) return fail(FailureReason::Malformed, "nonce mismatch");
  // c= is base64(gs2-header [cbind-data]); cbind-data only with "p=" (RFC 5802 section 7).
  std::string expected_binding = first_.gs2_header;
  if (first_.flag == ChannelBindingFlag::Used) expected_binding += *options_.tls_exporter;
  if (!equal_secrets(final_msg.channel_binding, expected_binding))
    return fail(FailureReason::ChannelBinding, "channel binding data does not match");
  if (final_msg.proof.size() != kSha256Bytes)
    return fail(FailureReason::Malformed, "proof of the wrong length");

  // AuthMessage := client-first-message-bare + "," + server-first-message + "," +
  //                client-final-message-without-proof
  const std::string auth_message =
      first_.bare + "," + server_first_ + "," + final_msg.without_proof;
  // ClientKey := ClientProof XOR HMAC(StoredKey, AuthMessage); verify H(ClientKey) == StoredKey.
  std::string client_key = hmac_sha256(credentials_.stored_key, auth_message);
  for (size_t i = 0; i < kSha256Bytes; ++i) client_key[i] ^= final_msg.proof[i];
  const bool match = equal_secrets(sha256(client_key), credentials_.stored_key);
  OPENSSL_cleanse(client_key.data(), client_key.size());
  if (!match) return fail(FailureReason::BadCredentials, "invalid proof");
  state_ = State::Done;
  return Success{"v=" + base64_encode(hmac_sha256(credentials_.server_key, auth_message))};
}

}  // namespace mail::auth::sasl
