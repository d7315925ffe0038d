// Tests for parse_password_line: the rules every password source (file, pipe, terminal)
// goes through.
#include "ctl/password_input.h"

#include <gtest/gtest.h>

#include <string>

namespace mail::ctl {
namespace {

TEST(ParsePasswordLine, StripsNewline) {
  auto p = parse_password_line("secret\n");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, "secret");
}

TEST(ParsePasswordLine, StripsCrLf) {
  auto p = parse_password_line("secret\r\n");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, "secret");
}

TEST(ParsePasswordLine, AcceptsMissingNewlineAtEof) {
  auto p = parse_password_line("secret");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, "secret");
}

TEST(ParsePasswordLine, TakesOnlyTheFirstLine) {
  auto p = parse_password_line("first\nsecond\n");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, "first");
}

TEST(ParsePasswordLine, KeepsInnerAndTrailingSpaces) {
  auto p = parse_password_line(" pass word \n");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, " pass word ");
}

TEST(ParsePasswordLine, RefusesEmpty) {
  for (std::string input : {"", "\n", "\r\n", "\nsecret\n"}) {
    auto p = parse_password_line(input);
    ASSERT_FALSE(p.ok()) << input;
    EXPECT_EQ(p.error().kind, ErrorKind::Invalid);
  }
}

TEST(ParsePasswordLine, RefusesTooLong) {
  EXPECT_TRUE(parse_password_line(std::string(kMaxPasswordLength, 'a') + "\n").ok());
  EXPECT_FALSE(parse_password_line(std::string(kMaxPasswordLength + 1, 'a') + "\n").ok());
}

TEST(ParsePasswordLine, RefusesNul) {
  EXPECT_FALSE(parse_password_line(std::string("se\0cret\n", 8)).ok());
}

TEST(ParsePasswordLine, KeepsUtf8) {
  auto p = parse_password_line("p\xc3\xa4ss\n");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, "p\xc3\xa4ss");
}

}  // namespace
}  // namespace mail::ctl
