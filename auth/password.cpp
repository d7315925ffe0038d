// argon2id hashing and verification (see password.h). Salts come from OpenSSL's CSPRNG.
#include "auth/password.h"

#include <argon2.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace mail::auth {

std::string hash_password(std::string_view password) {
  std::array<unsigned char, kArgon2SaltBytes> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1)
    throw std::runtime_error("RAND_bytes failed: no randomness for a password salt");
  std::string encoded(argon2_encodedlen(kArgon2Iterations, kArgon2MemoryKiB, kArgon2Parallelism,
                                        kArgon2SaltBytes, kArgon2HashBytes, Argon2_id),
                      '\0');
  int rc = argon2id_hash_encoded(kArgon2Iterations, kArgon2MemoryKiB, kArgon2Parallelism,
                                 password.data(), password.size(), salt.data(), salt.size(),
                                 kArgon2HashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK)
    throw std::runtime_error(std::string("argon2id: ") + argon2_error_message(rc));
  encoded.resize(encoded.find('\0'));  // argon2_encodedlen counts the terminator
  return encoded;
}

bool verify_password(std::string_view phc, std::string_view password) {
  // argon2id_verify wants a C string; an embedded NUL would silently shorten the input.
  if (!phc.starts_with("$argon2id$") || phc.find('\0') != std::string_view::npos) return false;
  std::string encoded(phc);
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

const std::string& dummy_password_hash() {
  // Fixed salt and digest (base64 without padding, as PHC writes them); only the cost
  // parameters matter, and they follow the current constants.
  static const std::string hash = "$argon2id$v=19$m=" + std::to_string(kArgon2MemoryKiB) +
                                  ",t=" + std::to_string(kArgon2Iterations) +
                                  ",p=" + std::to_string(kArgon2Parallelism) +
                                  "$ZHVtbXlzYWx0ZHVtbXlzYQ"
                                  "$ZHVtbXloYXNoZHVtbXloYXNoZHVtbXloYXNoZHVtbXk";
  return hash;
}

}  // namespace mail::auth
