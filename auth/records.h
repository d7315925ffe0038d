// On-disk records of the LMDB directory: each value starts with a version byte so that
// fields can be added without rewriting the database; every older version stays readable.
// Decoding trusts nothing: a truncated record, trailing bytes or an unknown version is
// Corrupt.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "auth/sasl/scram_keys.h"
#include "common/result.h"

namespace mail::auth {

struct AccountRecord {
  // Version 1: password_hash, enabled.
  // Version 2 appends the SCRAM-SHA-256 keys (RFC 5802/7677): salt, iteration count,
  // StoredKey, ServerKey; empty when not derived yet (an account from version 1 gains them
  // at its first password login). decode() reads both versions; encode() writes the latest.
  static constexpr uint8_t kVersion = 2;
  std::string password_hash;  // argon2id PHC string
  bool enabled = true;
  sasl::ScramCredentials scram{};  // version 2
};

std::string encode(const AccountRecord& record);
Result<AccountRecord> decode_account(std::string_view bytes);

struct AliasRecord {
  static constexpr uint8_t kVersion = 1;
  std::vector<std::string> targets;  // in the order they were added
};

std::string encode(const AliasRecord& record);
Result<AliasRecord> decode_alias(std::string_view bytes);

// Value of a `senders` entry (key: account NUL address): a version byte only.
inline constexpr uint8_t kSenderGrantVersion = 1;

// Value of a `domains` entry: a version byte only, room for per-domain settings.
inline constexpr uint8_t kDomainRecordVersion = 1;

}  // namespace mail::auth
