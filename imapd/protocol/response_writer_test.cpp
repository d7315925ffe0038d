// Tests for the reply formatting helpers.
#include "imapd/protocol/response.h"

#include <gtest/gtest.h>

namespace mail::imap {
namespace {

TEST(Response, Astring) {
  struct Case {
    std::string_view in;
    std::string_view out;
  };
  const Case cases[] = {
      {"INBOX", "INBOX"},
      {"a]b", "a]b"},
      {"", "\"\""},
      {"NIL", "\"NIL\""},
      {"nil", "\"nil\""},
      {"two words", "\"two words\""},
      {"a\"b\\c", "\"a\\\"b\\\\c\""},
      {"a*", "\"a*\""},
      {"line\r\nbreak", "{11}\r\nline\r\nbreak"},
      {"caf\xc3\xa9", "{5}\r\ncaf\xc3\xa9"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.in));
    EXPECT_EQ(format_astring(c.in), c.out);
  }
  EXPECT_EQ(format_astring("caf\xc3\xa9", /*utf8=*/true), "\"caf\xc3\xa9\"");
  EXPECT_EQ(format_string("INBOX"), "\"INBOX\"");
  EXPECT_EQ(format_nstring(std::nullopt), "NIL");
  EXPECT_EQ(format_nstring(std::string("x")), "\"x\"");
  EXPECT_EQ(format_string(std::string_view("a\0b", 3)), std::string("{3}\r\na\0b", 8));
}

TEST(Response, Flags) {
  EXPECT_EQ(format_flags({}), "()");
  EXPECT_EQ(format_flags({"\\Seen", "$Junk"}), "(\\Seen $Junk)");
}

TEST(Response, StatusLines) {
  EXPECT_EQ(format_tagged("A1", Status::Ok, "READ-WRITE", "SELECT completed"),
            "A1 OK [READ-WRITE] SELECT completed\r\n");
  EXPECT_EQ(format_tagged("A2", Status::No, "", "no such mailbox"), "A2 NO no such mailbox\r\n");
  EXPECT_EQ(format_tagged("*", Status::Bad, "", "missing tag"), "* BAD missing tag\r\n");
  EXPECT_EQ(format_untagged_status(Status::Ok, "UIDVALIDITY 3", "UIDs valid"),
            "* OK [UIDVALIDITY 3] UIDs valid\r\n");
  EXPECT_EQ(format_untagged_status(Status::Bye, "", "logging out"), "* BYE logging out\r\n");
  EXPECT_EQ(format_continuation(""), "+ OK\r\n");
  EXPECT_EQ(format_continuation("idling"), "+ idling\r\n");
}

}  // namespace
}  // namespace mail::imap
