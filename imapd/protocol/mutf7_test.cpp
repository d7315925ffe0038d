// Tests for the modified UTF-7 codec (RFC 3501 section 5.1.3 examples and error cases).
#include "imapd/protocol/mutf7.h"

#include <gtest/gtest.h>

namespace mail::imap {
namespace {

TEST(Mutf7, RoundTripTable) {
  struct Case {
    std::string_view utf8;
    std::string_view mutf7;
  };
  const Case cases[] = {
      {"INBOX", "INBOX"},
      {"", ""},
      {"a&b", "a&-b"},
      {"&", "&-"},
      {"~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
       "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},  // RFC 3501 example
      {"Entw\xc3\xbc"
       "rfe",
       "Entw&APw-rfe"},
      {"\xc3\xa9t\xc3\xa9", "&AOk-t&AOk-"},
      {"\xf0\x9f\x98\x80", "&2D3eAA-"},  // U+1F600, a surrogate pair
      {"tab\there", "tab&AAk-here"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.mutf7));
    EXPECT_EQ(mutf7_encode(c.utf8), std::optional<std::string>(c.mutf7));
    EXPECT_EQ(mutf7_decode(c.mutf7), std::optional<std::string>(c.utf8));
  }
}

TEST(Mutf7, DecodeRejects) {
  const std::string_view bad[] = {
      "&",            // unterminated
      "&U,BTFw",      // unterminated
      "&U,BT*w-",     // bad base64 character
      "&AGE-",        // encodes printable "a"
      "&2D0-",        // lone high surrogate
      "&3gA-",        // lone low surrogate
      "&AOl-",        // non-zero padding bits
      "&AOkA-",       // too many leftover bits
      "caf\xc3\xa9",  // 8-bit byte
      "a\nb",         // control character
  };
  for (std::string_view s : bad) {
    SCOPED_TRACE(std::string(s));
    EXPECT_FALSE(mutf7_decode(s).has_value());
  }
}

TEST(Mutf7, EncodeRejectsInvalidUtf8) {
  EXPECT_FALSE(mutf7_encode("\xff").has_value());
  EXPECT_FALSE(mutf7_encode("\xc3").has_value());
  EXPECT_FALSE(mutf7_encode("\xc0\xaf").has_value());      // overlong
  EXPECT_FALSE(mutf7_encode("\xed\xa0\x80").has_value());  // encoded surrogate
}

}  // namespace
}  // namespace mail::imap
