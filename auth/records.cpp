// Encoding of the directory's records (see records.h), via common/codec.h.
#include "auth/records.h"

#include "common/codec.h"

namespace mail::auth {
namespace {

Error corrupt(const char* what) {
  return make_error(ErrorKind::Corrupt, what);
}

}  // namespace

std::string encode(const AccountRecord& record) {
  Encoder e;
  e.u8(AccountRecord::kVersion).str(record.password_hash).u8(record.enabled ? 1 : 0);
  e.str(record.scram.salt).u32(record.scram.iterations);
  e.str(record.scram.stored_key).str(record.scram.server_key);
  return std::move(e).bytes();
}

Result<AccountRecord> decode_account(std::string_view bytes) {
  Decoder d(bytes);
  uint8_t version = d.u8();
  if (!d.ok() || version == 0 || version > AccountRecord::kVersion)
    return corrupt("account record: unknown version");
  AccountRecord r;
  r.password_hash = d.str();
  uint8_t enabled = d.u8();
  if (!d.ok() || enabled > 1) return corrupt("account record: malformed");
  r.enabled = enabled == 1;
  if (version >= 2) {
    r.scram.salt = d.str();
    r.scram.iterations = d.u32();
    r.scram.stored_key = d.str();
    r.scram.server_key = d.str();
    // Either no keys at all, or a complete SHA-256 set.
    const bool none = r.scram.salt.empty() && r.scram.iterations == 0 &&
                      r.scram.stored_key.empty() && r.scram.server_key.empty();
    const bool full = !r.scram.salt.empty() && r.scram.iterations > 0 &&
                      r.scram.stored_key.size() == sasl::kSha256Bytes &&
                      r.scram.server_key.size() == sasl::kSha256Bytes;
    if (d.ok() && !none && !full) return corrupt("account record: bad SCRAM keys");
  }
  if (!d.ok() || !d.at_end()) return corrupt("account record: malformed");
  return r;
}

std::string encode(const AliasRecord& record) {
  Encoder e;
  e.u8(AliasRecord::kVersion).u32(static_cast<uint32_t>(record.targets.size()));
  for (const auto& t : record.targets) e.str(t);
  return std::move(e).bytes();
}

Result<AliasRecord> decode_alias(std::string_view bytes) {
  Decoder d(bytes);
  uint8_t version = d.u8();
  if (!d.ok() || version == 0 || version > AliasRecord::kVersion)
    return corrupt("alias record: unknown version");
  uint32_t n = d.u32();
  // Each target takes at least its 4-byte length: bounds the reserve against garbage.
  if (!d.ok() || n > bytes.size() / 4) return corrupt("alias record: malformed");
  AliasRecord r;
  r.targets.reserve(n);
  for (uint32_t i = 0; i < n && d.ok(); ++i) r.targets.push_back(d.str());
  if (!d.ok() || !d.at_end()) return corrupt("alias record: malformed");
  return r;
}

}  // namespace mail::auth
