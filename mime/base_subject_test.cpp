// RFC 5256 section 2.1 base subjects and the RFC 5051 canonical form they are kept in.
#include <gtest/gtest.h>

#include "mime/base_subject.h"
#include "mime/unicode.h"

namespace mail::mime {
namespace {

struct Case {
  const char* subject;
  const char* base;
  bool refwd;
};

TEST(BaseSubject, FollowsRfc5256) {
  const Case cases[] = {
      {"Hello", "HELLO", false},
      {"Re: Hello", "HELLO", true},
      {"RE: re: Fwd: hello", "HELLO", true},
      {"Re[2]: hello", "HELLO", true},
      {"Re [list]: hello", "HELLO", true},
      {"[list] Re: hello", "HELLO", true},
      {"[list] hello", "HELLO", false},
      {"[only blob]", "[ONLY BLOB]", false},  // removing it would leave nothing
      {"hello (fwd)", "HELLO", true},
      {"hello (FWD) (fwd)  ", "HELLO", true},
      {"[Fwd: hello]", "HELLO", true},
      {"[fwd: Re: hello]", "HELLO", true},
      {"Fw: hello", "HELLO", true},
      {"  lots   of\t whitespace  ", "LOTS OF WHITESPACE", false},
      {"=?utf-8?q?Re=3A_caf=C3=A9?=", "CAFE\xCC\x81", true},  // decoded, titlecased, NFKD
      {"Re:", "", true},
      {"", "", false},
      {"Reply: not a prefix", "REPLY: NOT A PREFIX", false},
      {"re:re:re: x", "X", true},
  };
  for (const Case& c : cases) {
    BaseSubject b = base_subject(c.subject);
    EXPECT_EQ(b.text, c.base) << c.subject;
    EXPECT_EQ(b.reply_or_forward, c.refwd) << c.subject;
  }
}

TEST(Unicode, CasemapAndFold) {
  EXPECT_EQ(unicode_casemap("abc"), "ABC");
  EXPECT_EQ(unicode_casemap("\xC3\xA9"), "E\xCC\x81");  // e-acute -> E + combining acute
  EXPECT_EQ(unicode_casemap("\xEF\xAC\x81"), "fi");     // ligature fi: NFKD
  EXPECT_EQ(unicode_casemap("\xEA\xB0\x80"), "\xE1\x84\x80\xE1\x85\xA1");  // Hangul GA
  EXPECT_EQ(fold_case("ABC\xC3\x84\xCE\xA3"), "abc\xC3\xA4\xCF\x83");      // A-umlaut, Sigma
  EXPECT_EQ(fold_case("\xE2\x84\xAA"), "k");                               // KELVIN SIGN
  EXPECT_EQ(fold_case("\xC5\xBF"), "s");                                   // LONG S
  EXPECT_EQ(fold_case("\xE1\xBA\x9E"), "\xC3\x9F");  // capital sharp s: simple
  EXPECT_EQ(fold_case("bad\xFF"), "bad\xEF\xBF\xBD");
  size_t pos = 0;
  EXPECT_EQ(next_code_point("\xF0\x9F\x98\x80", pos), 0x1F600u);
  EXPECT_EQ(pos, 4u);
}

}  // namespace
}  // namespace mail::mime
