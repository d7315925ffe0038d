// SEARCH matching: the case-insensitive matcher (ASCII fast path, Unicode folding) and
// which parts of a message TEXT, BODY and header searches look at, decoded.
#include <gtest/gtest.h>

#include "mime/search.h"

namespace mail::mime {
namespace {

struct SearchCase {
  const char* key;
  const char* text;
  bool found;
};

TEST(TextMatcher, FoldsCase) {
  const SearchCase cases[] = {
      {"zephyranthes", "a ZephyRanthes b", true},
      {"ZEPHYR", "zephyr", true},
      {"zephyr", "zephy", false},
      {"x", "X", true},
      {"ab", "xxAB", true},
      {"a1!", "A1!", true},
      {"@", "`", false},  // '@' | 0x20 == '`' must not match
      {"[", "{", false},
      {"", "anything", true},
      {"k", "\xE2\x84\xAA", true},    // KELVIN SIGN folds to k
      {"mass", "MA\xC5\xBFS", true},  // LONG S folds to s
      {"caf\xC3\xA9", "CAF\xC3\x89 au lait", true},
      {"\xC3\x84rger", "\xC3\xA4RGER", true},
      {"\xCF\x83", "\xCE\xA3", true},  // sigma
      {"\xC3\xA9", "e", false},
      // Long texts cross the 16-byte blocks of the vector loop.
      {"needle", "0123456789abcdef0123456789abcdefNEEDLE0123456789", true},
      {"needle", "0123456789abcdef0123456789abcdefneedl", false},
      {"needle", "0123456789abcdef0123456789abcdef0123456789abcdneedle", true},
  };
  for (const SearchCase& c : cases)
    EXPECT_EQ(TextMatcher(c.key).find_in(c.text), c.found) << c.key << " in " << c.text;
  EXPECT_TRUE(TextMatcher("caf").find_in_ascii_compatible("CAF\xE9"));
}

const std::string kMessage =
    "From: =?utf-8?q?J=C3=BCrgen?= <j@example.org>\r\n"
    "Subject: =?iso-8859-1?q?Gr=FC=DFe?=\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n"
    "\r\n"
    "preamble-word\r\n"
    "--b\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "soft=\r\nbreak caf=E9\r\n"
    "--b\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "X-Part-Header: partheaderword\r\n"
    "\r\n"
    "PGI+aGlkZGVuIHdvcmQ8L2I+\r\n"
    "--b\r\n"
    "Content-Type: application/octet-stream\r\n"
    "\r\n"
    "attachmentword\r\n"
    "--b--\r\n";

TEST(MessageSearch, TextAndBodyLookAtDecodedContent) {
  MessageSummary s = analyze(kMessage);
  auto text = [&](const char* key) { return message_text_contains(kMessage, s, TextMatcher(key)); };
  auto body = [&](const char* key) { return message_body_contains(kMessage, s, TextMatcher(key)); };
  EXPECT_TRUE(text("softbreak"));      // QP soft break undone
  EXPECT_TRUE(text("CAF\xC3\x89"));    // latin-1 converted, case folded
  EXPECT_TRUE(text("hidden word"));    // base64 decoded
  EXPECT_TRUE(text("j\xC3\xBCrgen"));  // encoded word in a header
  EXPECT_TRUE(
      text("gr\xC3\xBC\xC3\x9F"
           "e"));
  EXPECT_TRUE(text("partheaderword"));   // headers of every part
  EXPECT_FALSE(text("attachmentword"));  // not text: not searched (as Dovecot)
  EXPECT_FALSE(text("preamble-word"));
  EXPECT_FALSE(text("PGI+aGlk"));  // the encoded form is not the text
  EXPECT_TRUE(body("hidden word"));
  EXPECT_FALSE(body("partheaderword"));
  EXPECT_FALSE(body("j\xC3\xBCrgen"));
}

TEST(MessageSearch, HeaderFields) {
  MessageSummary s = analyze(kMessage);
  EXPECT_TRUE(header_field_contains(kMessage, s, "from", TextMatcher("J\xC3\x9CRGEN")));
  EXPECT_TRUE(header_field_contains(kMessage, s, "subject", TextMatcher("gr\xC3\xBC")));
  EXPECT_FALSE(header_field_contains(kMessage, s, "subject", TextMatcher("jurgen")));
  EXPECT_TRUE(header_field_contains(kMessage, s, "Subject", TextMatcher("")));
  EXPECT_FALSE(header_field_contains(kMessage, s, "X-Absent", TextMatcher("")));
  EXPECT_EQ(decoded_header_values("A: =?utf-8?q?x?=\r\nA: y\r\n\r\n", "a"),
            (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(decoded_part_text(kMessage, s.parts[1]), "softbreak caf\xC3\xA9");
}

}  // namespace
}  // namespace mail::mime
