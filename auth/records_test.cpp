// The directory's versioned records: version 2 account records round-trip with SCRAM
// keys, version 1 records (written before SCRAM) still read, garbage is Corrupt.
#include "auth/records.h"

#include <gtest/gtest.h>

#include "common/codec.h"

namespace mail::auth {
namespace {

std::string version1(std::string_view hash, bool enabled) {
  Encoder e;
  e.u8(1).str(hash).u8(enabled ? 1 : 0);
  return std::move(e).bytes();
}

TEST(AccountRecord, Version1StillReads) {
  auto r = decode_account(version1("$argon2id$v=19$x", false));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->password_hash, "$argon2id$v=19$x");
  EXPECT_FALSE(r->enabled);
  EXPECT_TRUE(r->scram.empty());
  // Re-encoding writes the current version, which reads back the same.
  auto again = decode_account(encode(*r));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->password_hash, r->password_hash);
  EXPECT_EQ(static_cast<uint8_t>(encode(*r)[0]), AccountRecord::kVersion);
}

TEST(AccountRecord, Version2RoundTripsScramKeys) {
  AccountRecord rec;
  rec.password_hash = "$argon2id$h";
  rec.scram = sasl::derive_scram_credentials("pw", "0123456789abcdef", 4096);
  auto r = decode_account(encode(rec));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->scram, rec.scram);
  EXPECT_TRUE(r->enabled);
}

TEST(AccountRecord, GarbageIsCorrupt) {
  EXPECT_EQ(decode_account("").error().kind, ErrorKind::Corrupt);
  EXPECT_EQ(decode_account(std::string(1, '\3')).error().kind, ErrorKind::Corrupt);
  EXPECT_EQ(decode_account(version1("h", true) + "x").error().kind, ErrorKind::Corrupt);
  AccountRecord rec;
  rec.password_hash = "h";
  rec.scram = sasl::derive_scram_credentials("pw", "salt", 4096);
  std::string bytes = encode(rec);
  EXPECT_EQ(decode_account(bytes.substr(0, bytes.size() - 1)).error().kind, ErrorKind::Corrupt);
  // A half-filled key set (salt without keys) is refused.
  Encoder e;
  e.u8(2).str("h").u8(1).str("salt").u32(4096).str("").str("");
  EXPECT_EQ(decode_account(e.bytes()).error().kind, ErrorKind::Corrupt);
}

}  // namespace
}  // namespace mail::auth
