// SCRAM key derivation (RFC 5802 section 3) with OpenSSL's PBKDF2 and HMAC, and SASLprep
// with libidn's stringprep (RFC 4013 profile "SASLprep"): a maintained implementation of
// the Unicode tables rather than a hand-written copy.
#include "auth/sasl/scram_keys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stringprep.h>

#include <cstdlib>
#include <stdexcept>

namespace mail::auth::sasl {

std::string saslprep_password(std::string_view password) {
  // stringprep takes a C string: an embedded NUL cannot be prepared, keep the raw octets.
  if (password.find('\0') != std::string_view::npos) return std::string(password);
  bool ascii_printable = true;
  for (char c : password) ascii_printable &= c >= 0x20 && c < 0x7f;
  if (ascii_printable) return std::string(password);  // SASLprep is the identity here
  std::string in(password);
  char* out = nullptr;
  // Stored strings: unassigned code points are refused (RFC 3454 section 7).
  int rc = stringprep_profile(in.c_str(), &out, "SASLprep", STRINGPREP_NO_UNASSIGNED);
  if (rc != STRINGPREP_OK || out == nullptr) {
    std::free(out);
    return in;
  }
  std::string prepared(out);
  std::free(out);
  return prepared;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string sha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

bool equal_secrets(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("RAND_bytes failed: no randomness");
  return out;
}

ScramCredentials derive_scram_credentials(std::string_view password, std::string_view salt,
                                          uint32_t iterations) {
  // SaltedPassword := Hi(Normalize(password), salt, i), Hi being PBKDF2 with HMAC-SHA-256.
  const std::string prepared = saslprep_password(password);
  unsigned char salted[kSha256Bytes];
  PKCS5_PBKDF2_HMAC(prepared.data(), static_cast<int>(prepared.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                    sizeof salted, salted);
  const std::string_view salted_password(reinterpret_cast<char*>(salted), sizeof salted);
  ScramCredentials c;
  c.salt = std::string(salt);
  c.iterations = iterations;
  c.stored_key = sha256(hmac_sha256(salted_password, "Client Key"));
  c.server_key = hmac_sha256(salted_password, "Server Key");
  OPENSSL_cleanse(salted, sizeof salted);
  return c;
}

ScramCredentials new_scram_credentials(std::string_view password, uint32_t iterations) {
  return derive_scram_credentials(password, random_bytes(kScramSaltBytes), iterations);
}

}  // namespace mail::auth::sasl
