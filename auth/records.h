// On-disk records of the LMDB directory: each value starts with a version byte so that
// fields can be added (SCRAM-SHA-256 stored keys, RFC 7677, are the next expected) without
// rewriting the database. Decoding trusts nothing: a truncated record, trailing bytes or an
// unknown version is Corrupt.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mail::auth {

struct AccountRecord {
  // Version 1: password_hash, enabled. A new version appends fields after these, and
  // decode() fills defaults for records written by older versions.
  static constexpr uint8_t kVersion = 1;
  std::string password_hash;  // argon2id PHC string
  bool enabled = true;
};

std::string encode(const AccountRecord& record);
Result<AccountRecord> decode_account(std::string_view bytes);

struct AliasRecord {
  static constexpr uint8_t kVersion = 1;
  std::vector<std::string> targets;  // in the order they were added
};

std::string encode(const AliasRecord& record);
Result<AliasRecord> decode_alias(std::string_view bytes);

// Value of a `domains` entry: a version byte only, room for per-domain settings.
inline constexpr uint8_t kDomainRecordVersion = 1;

}  // namespace mail::auth
