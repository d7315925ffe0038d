#include "common/base64.h"

#include <gtest/gtest.h>

namespace mail {
namespace {

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (auto [plain, encoded] : cases) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), std::optional<std::string>(plain));
  }
}

TEST(Base64Test, SaslPlainWithNuls) {
  std::string plain("\0alice@example.test\0secret", 26);
  EXPECT_EQ(base64_decode(base64_encode(plain)), plain);
}

TEST(Base64Test, RejectsBadInput) {
  for (const char* bad : {"Zg=", "Zg=a", "Z===", "Zm9v!", "=Zm9", "Zg==Zg==", "Zm9v\r\n"})
    EXPECT_EQ(base64_decode(bad), std::nullopt) << bad;
}

}  // namespace
}  // namespace mail
