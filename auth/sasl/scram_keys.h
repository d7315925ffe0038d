// SCRAM-SHA-256 key material (RFC 5802 section 3, RFC 7677): what the directory stores
// for an account (salt, iteration count, StoredKey, ServerKey) and the derivation from a
// password. The server never stores the password or SaltedPassword, and a stolen
// StoredKey/ServerKey pair does not let anyone log in as the user.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mail::auth::sasl {

// RFC 7677 section 4: at least 4096 iterations. The configured count (auth.scram_iterations)
// applies to keys derived from then on; stored keys keep the count they were made with.
inline constexpr uint32_t kDefaultScramIterations = 10000;
inline constexpr uint32_t kMinScramIterations = 4096;
inline constexpr size_t kScramSaltBytes = 16;
inline constexpr size_t kSha256Bytes = 32;

struct ScramCredentials {
  std::string salt;         // raw octets
  uint32_t iterations = 0;  // PBKDF2 count (RFC 5802: "i")
  std::string stored_key;   // H(HMAC(SaltedPassword, "Client Key")), 32 octets
  std::string server_key;   // HMAC(SaltedPassword, "Server Key"), 32 octets

  bool empty() const { return stored_key.empty(); }
  bool operator==(const ScramCredentials&) const = default;
};

// SASLprep (RFC 4013, via libidn's stringprep) of a stored password, as RFC 5802 section 2.2
// requires before hashing. Passwords that SASLprep refuses (invalid UTF-8, prohibited
// characters) are used as raw octets, as other servers do: such a password still works
// with PLAIN and with SCRAM clients that also fall back to the raw octets.
std::string saslprep_password(std::string_view password);

// Derives the stored keys. REQUIRES: iterations >= 1.
ScramCredentials derive_scram_credentials(std::string_view password, std::string_view salt,
                                          uint32_t iterations);
// Same, with a fresh random salt (kScramSaltBytes). Throws std::runtime_error only when the
// system has no randomness.
ScramCredentials new_scram_credentials(std::string_view password, uint32_t iterations);

// Primitives shared with the SCRAM mechanism.
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string sha256(std::string_view data);
// Constant-time comparison of equal-length secrets (false when lengths differ).
bool equal_secrets(std::string_view a, std::string_view b);
// n random octets from OpenSSL's CSPRNG; throws std::runtime_error when it fails.
std::string random_bytes(size_t n);

}  // namespace mail::auth::sasl
