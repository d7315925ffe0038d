#include "queued/relay/protocol/reply_parser.h"

#include <gtest/gtest.h>

namespace mail::relay {
namespace {

TEST(ReplyParserTest, SingleLineWithEnhancedCode) {
  auto r = parse_replies("250 2.1.5 Ok\r\n", 10);
  ASSERT_FALSE(r.malformed);
  ASSERT_EQ(r.replies.size(), 1u);
  EXPECT_EQ(r.replies[0].code, 250);
  EXPECT_EQ(r.replies[0].enhanced, "2.1.5");
  EXPECT_EQ(r.replies[0].lines, std::vector<std::string>{"Ok"});
}

TEST(ReplyParserTest, MultiLineEhloReply) {
  auto r = parse_replies(
      "250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n", 10);
  ASSERT_FALSE(r.malformed);
  ASSERT_EQ(r.replies.size(), 1u);
  EXPECT_EQ(r.replies[0].enhanced, "");
  EXPECT_EQ(r.replies[0].lines.size(), 4u);
  EXPECT_EQ(r.replies[0].lines[2], "SIZE 10240000");
}

TEST(ReplyParserTest, EnhancedCodeStrippedFromEveryLine) {
  auto r = parse_replies(
      "550-5.1.1 The email account that you tried\r\n550 5.1.1 does not exist\r\n", 10);
  ASSERT_EQ(r.replies.size(), 1u);
  EXPECT_EQ(r.replies[0].enhanced, "5.1.1");
  EXPECT_EQ(r.replies[0].lines[0], "The email account that you tried");
  EXPECT_EQ(r.replies[0].lines[1], "does not exist");
  EXPECT_EQ(reply_text(r.replies[0]), "550 5.1.1 The email account that you tried does not exist");
}

TEST(ReplyParserTest, BareCodeAndEmptyContinuation) {
  auto r = parse_replies("250-\r\n250\r\n354\r\n", 10);
  ASSERT_FALSE(r.malformed) << r.error;
  ASSERT_EQ(r.replies.size(), 2u);
  EXPECT_EQ(r.replies[0].code, 250);
  EXPECT_EQ(r.replies[1].code, 354);
}

TEST(ReplyParserTest, PipelinedRepliesInOneBuffer) {
  auto r = parse_replies("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 No\r\n354 go\r\n", 10);
  ASSERT_EQ(r.replies.size(), 4u);
  EXPECT_EQ(r.replies[2].code, 550);
  EXPECT_EQ(r.replies[3].enhanced, "");  // 354 carries none
}

TEST(ReplyParserTest, EnhancedCodeClassMustMatch) {
  auto r = parse_replies("250 5.1.1 odd\r\n", 10);
  ASSERT_EQ(r.replies.size(), 1u);
  EXPECT_EQ(r.replies[0].enhanced, "");
  EXPECT_EQ(r.replies[0].lines[0], "5.1.1 odd");
  // Subject or detail of more than three digits is not a code.
  r = parse_replies("550 5.1234.1 text\r\n", 10);
  EXPECT_EQ(r.replies[0].enhanced, "");
  r = parse_replies("451 4.7.1\r\n", 10);
  EXPECT_EQ(r.replies[0].enhanced, "4.7.1");
}

struct Malformed {
  const char* input;
  const char* why;
};

TEST(ReplyParserTest, MalformedInputIsReported) {
  const Malformed cases[] = {
      {"hello\r\n", "malformed reply line"},  {"25\r\n", "malformed reply line"},
      {"2500 x\r\n", "malformed reply line"}, {"150 old\r\n", "malformed reply line"},
      {"600 x\r\n", "malformed reply line"},  {"250-a\r\n550 b\r\n", "reply code changed"},
      {"250_x\r\n", "malformed reply line"},
  };
  for (const auto& c : cases) {
    auto r = parse_replies(c.input, 10);
    EXPECT_TRUE(r.malformed) << c.input;
    EXPECT_NE(r.error.find(c.why), std::string::npos) << c.input << ": " << r.error;
  }
}

TEST(ReplyParserTest, LineLimitAtTheEdge) {
  std::string ten;
  for (int i = 0; i < 9; ++i) ten += "250-line\r\n";
  ten += "250 last\r\n";
  EXPECT_FALSE(parse_replies(ten, 10).malformed);
  auto over = parse_replies("250-x\r\n" + ten, 10);
  EXPECT_TRUE(over.malformed);
  EXPECT_NE(over.error.find("longer than 10 lines"), std::string::npos);
}

TEST(ReplyParserTest, MalformedParserStaysMalformed) {
  ReplyParser p(5);
  EXPECT_EQ(p.feed("junk"), ReplyParser::Status::Malformed);
  EXPECT_EQ(p.feed("250 ok"), ReplyParser::Status::Malformed);
}

TEST(ReplyParserTest, ReplyTextScrubsAndCuts) {
  smtp::Reply r(550, "5.7.1", std::vector<std::string>{"bad\x01thing", "more"});
  EXPECT_EQ(reply_text(r), "550 5.7.1 bad thing more");
  smtp::Reply utf8(550, "", std::string("\xC3\xA9\xC3\xA9\xC3\xA9"));  // "ééé"
  const std::string cut = reply_text(utf8, 6);  // "550 " + 2 octets: cut before the é's tail
  EXPECT_EQ(cut, "550 \xC3\xA9");
}

}  // namespace
}  // namespace mail::relay
