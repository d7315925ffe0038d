// Tests for argon2id hashing (auth/password.h).
#include "auth/password.h"

#include <gtest/gtest.h>

namespace mail::auth {
namespace {

TEST(PasswordTest, HashIsPhcWithConfiguredParameters) {
  std::string h = hash_password("secret");
  EXPECT_TRUE(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << h;
  EXPECT_EQ(h.find('\0'), std::string::npos);
}

TEST(PasswordTest, RoundTrip) {
  std::string h = hash_password("correct horse battery staple");
  EXPECT_TRUE(verify_password(h, "correct horse battery staple"));
}

TEST(PasswordTest, WrongPasswordRefused) {
  std::string h = hash_password("secret");
  EXPECT_FALSE(verify_password(h, "Secret"));
  EXPECT_FALSE(verify_password(h, ""));
  EXPECT_FALSE(verify_password(h, "secret "));
}

TEST(PasswordTest, SaltIsRandom) {
  EXPECT_NE(hash_password("same"), hash_password("same"));
}

TEST(PasswordTest, BinaryPasswordsWork) {
  std::string pw("a\0b\xff", 4);
  std::string h = hash_password(pw);
  EXPECT_TRUE(verify_password(h, pw));
  EXPECT_FALSE(verify_password(h, "a"));
}

TEST(PasswordTest, MalformedHashesRefusedWithoutCrash) {
  std::string good = hash_password("pw");
  const std::string cases[] = {
      "",
      "$",
      "plaintext",
      "$argon2id$",
      "$argon2id$v=19$",
      "$argon2id$v=19$m=19456,t=2,p=1$",
      "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$",
      "$argon2i$v=19$m=19456,t=2,p=1$ZHVtbXlzYWx0ZHVtbXlzYQ$ZHVtbXloYXNo",
      "$argon2id$v=19$m=x,t=2,p=1$ZHVtbXlzYWx0ZHVtbXlzYQ$ZHVtbXloYXNo",
      "$argon2id$v=19$m=19456,t=0,p=1$ZHVtbXlzYWx0ZHVtbXlzYQ$ZHVtbXloYXNo",
      "$argon2id$v=19$m=19456,t=2,p=1$!!!!$????",
      good.substr(0, good.size() - 5),
      good + "AAAA",
      std::string(good).insert(20, 1, '\0'),
      std::string(10000, '$'),
  };
  for (const auto& phc : cases) EXPECT_FALSE(verify_password(phc, "pw")) << phc;
}

TEST(PasswordTest, DummyHashIsWellFormedAndMatchesNothingObvious) {
  const std::string& d = dummy_password_hash();
  EXPECT_TRUE(d.starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << d;
  EXPECT_FALSE(verify_password(d, ""));
  EXPECT_FALSE(verify_password(d, "password"));
}

}  // namespace
}  // namespace mail::auth
