// Tests for reply formatting (RFC 5321 4.2) and the reply table.
#include "smtpd/protocol/reply.h"

#include <gtest/gtest.h>

namespace mail::smtp {
namespace {

TEST(ReplyTest, SingleLine) {
  EXPECT_EQ(replies::ok().to_wire(), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(replies::user_unknown().to_wire(),
            "550 5.1.1 Recipient address rejected: User unknown\r\n");
  EXPECT_EQ(replies::relay_denied().to_wire(), "554 5.7.1 Relay access denied\r\n");
  EXPECT_EQ(replies::queued("4F2A").to_wire(), "250 2.0.0 Ok: queued as 4F2A\r\n");
}

TEST(ReplyTest, NoEnhancedCodeOnGreetingHeloAndIntermediates) {
  EXPECT_EQ(replies::greeting("mx.example.test").to_wire(), "220 mx.example.test ESMTP ready\r\n");
  EXPECT_EQ(replies::helo("mx.example.test").to_wire(), "250 mx.example.test\r\n");
  EXPECT_EQ(replies::start_data().to_wire(), "354 End data with <CR><LF>.<CR><LF>\r\n");
  EXPECT_EQ(replies::auth_challenge("").to_wire(), "334 \r\n");
  EXPECT_EQ(replies::auth_challenge("VXNlcm5hbWU6").to_wire(), "334 VXNlcm5hbWU6\r\n");
}

TEST(ReplyTest, MultiLine) {
  const Reply r = replies::ehlo("mx.example.test", {"PIPELINING", "SIZE 1000", "STARTTLS"});
  EXPECT_EQ(r.to_wire(),
            "250-mx.example.test\r\n"
            "250-PIPELINING\r\n"
            "250-SIZE 1000\r\n"
            "250 STARTTLS\r\n");
  const Reply e{550, "5.7.1", std::vector<std::string>{"first", "second"}};
  EXPECT_EQ(e.to_wire(), "550-5.7.1 first\r\n550 5.7.1 second\r\n");
}

TEST(ReplyTest, EmptyLinesAndCrLfScrubbed) {
  EXPECT_EQ((Reply{250, "2.0.0", std::vector<std::string>{}}).to_wire(), "250 2.0.0\r\n");
  EXPECT_EQ((Reply{250, "", std::vector<std::string>{}}).to_wire(), "250 \r\n");
  EXPECT_EQ(replies::helo("evil\r\n250 injected").to_wire(), "250 evil  250 injected\r\n");
}

TEST(ReplyTest, Classification) {
  EXPECT_TRUE(replies::ok().positive());
  EXPECT_TRUE(replies::start_data().positive());
  EXPECT_TRUE(replies::too_many_recipients().transient_failure());
  EXPECT_TRUE(replies::message_too_big().permanent_failure());
  EXPECT_TRUE(replies::bye().closes_connection());
  EXPECT_TRUE(replies::service_unavailable("mx").closes_connection());
  EXPECT_FALSE(replies::ok().closes_connection());
}

TEST(ReplyTest, TableCodes) {
  struct Case {
    Reply reply;
    int code;
    const char* enhanced;
  };
  const Case cases[] = {
      {replies::bad_sequence(), 503, "5.5.1"},
      {replies::syntax_error(), 501, "5.5.4"},
      {replies::unknown_command(), 500, "5.5.2"},
      {replies::line_too_long(), 500, "5.5.2"},
      {replies::too_many_recipients(), 452, "4.5.3"},
      {replies::message_too_big(), 552, "5.3.4"},
      {replies::user_unknown(), 550, "5.1.1"},
      {replies::relay_denied(), 554, "5.7.1"},
      {replies::tls_not_available(), 454, "4.7.0"},
      {replies::service_unavailable("h"), 421, "4.3.2"},
      {replies::too_many_errors(), 421, "4.7.0"},
      {replies::timeout(), 421, "4.4.2"},
      {replies::local_error(), 451, "4.3.0"},
      {replies::bare_line_ending(), 550, "5.5.2"},
      {replies::bad_sender_syntax(), 501, "5.1.7"},
      {replies::bad_recipient_syntax(), 501, "5.1.3"},
      {replies::utf8_required(), 553, "5.6.7"},
      {replies::auth_failed(), 535, "5.7.8"},
      {replies::auth_encryption_required(), 538, "5.7.11"},
      {replies::auth_cancelled(), 501, "5.7.0"},
      {replies::auth_malformed(), 501, "5.5.2"},
      {replies::auth_line_too_long(), 500, "5.5.6"},
      {replies::auth_temporary(), 454, "4.7.0"},
      {replies::already_authenticated(), 503, "5.5.1"},
      {replies::too_many_auth_failures(), 421, "4.7.0"},
      {replies::sender_not_owned("a@b"), 553, "5.7.1"},
      {replies::author_not_owned("a@b"), 550, "5.7.1"},
      {replies::param_not_supported(), 555, "5.5.4"},
      {replies::bye(), 221, "2.0.0"},
      {replies::ready_for_tls(), 220, "2.0.0"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.reply.code, c.code) << c.reply.to_wire();
    EXPECT_EQ(c.reply.enhanced, c.enhanced) << c.reply.to_wire();
  }
}

}  // namespace
}  // namespace mail::smtp
