// Password hashing for the directory: argon2id in the PHC string format
// ($argon2id$v=19$m=...,t=...,p=...$salt$hash), as libargon2 encodes it.
// Trusts nothing: a stored hash that does not parse simply fails verification.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mail::auth {

// OWASP Password Storage Cheat Sheet, argon2id minimum: 19 MiB, 2 passes, 1 lane.
inline constexpr uint32_t kArgon2MemoryKiB = 19456;
inline constexpr uint32_t kArgon2Iterations = 2;
inline constexpr uint32_t kArgon2Parallelism = 1;
inline constexpr size_t kArgon2SaltBytes = 16;
inline constexpr size_t kArgon2HashBytes = 32;

// Hashes with a fresh random salt. Throws std::runtime_error only when the system has no
// randomness or argon2 cannot allocate its memory (start-up or resource failures, not input).
std::string hash_password(std::string_view password);

// True when `phc` is a well-formed argon2id string and `password` matches it. Takes the
// cost encoded in `phc`, so a hash made with older parameters still verifies.
bool verify_password(std::string_view phc, std::string_view password);

// A well-formed argon2id string with the current parameters that no password is known to
// match: verified against when a login names no account, so that the answer takes as long
// as for a real account.
const std::string& dummy_password_hash();

}  // namespace mail::auth
