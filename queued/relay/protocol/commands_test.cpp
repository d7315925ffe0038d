#include "queued/relay/protocol/commands.h"

#include <gtest/gtest.h>

#include "queue/spool.h"

namespace mail::relay {
namespace {

TEST(CommandsTest, MailWithEveryParameter) {
  MailParameters p;
  p.size = 1234;
  p.body = "8BITMIME";
  p.smtputf8 = true;
  p.ret = "HDRS";
  p.envid = "id+1=x";
  EXPECT_EQ(
      mail_command("a@example.org", p),
      "MAIL FROM:<a@example.org> SIZE=1234 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=id+2B1+3Dx\r\n");
  EXPECT_EQ(mail_command("", MailParameters{}), "MAIL FROM:<>\r\n");
}

TEST(CommandsTest, EnvidLongerThan100IsDropped) {
  MailParameters p;
  p.envid = std::string(101, 'a');
  EXPECT_EQ(mail_command("a@b", p), "MAIL FROM:<a@b>\r\n");
  p.envid = std::string(100, 'a');
  EXPECT_NE(mail_command("a@b", p).find("ENVID="), std::string::npos);
}

TEST(CommandsTest, RcptWithDsn) {
  RcptParameters p{static_cast<uint8_t>(queue::kNotifySuccess | queue::kNotifyFailure),
                   "rfc822;b+tag@example.net"};
  EXPECT_EQ(rcpt_command("b@example.net", p, true),
            "RCPT TO:<b@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+2Btag@example.net\r\n");
  EXPECT_EQ(rcpt_command("b@example.net", p, false), "RCPT TO:<b@example.net>\r\n");
  EXPECT_EQ(rcpt_command("b@x", RcptParameters{queue::kNotifyNever, ""}, true),
            "RCPT TO:<b@x> NOTIFY=NEVER\r\n");
  EXPECT_EQ(notify_value(queue::kNotifyDelay | queue::kNotifyFailure), "FAILURE,DELAY");
}

TEST(CommandsTest, Utf8Orcpt) {
  EXPECT_EQ(orcpt_value("utf-8;j\xC3\xB6rg@example.net"), "utf-8;j\\x{F6}rg@example.net");
  EXPECT_EQ(orcpt_value("utf-8;a+b=c@x"), "utf-8;a\\x{2B}b\\x{3D}c@x");
  EXPECT_EQ(orcpt_value("utf-8;\xFF@x"), "");  // not UTF-8
}

TEST(CommandsTest, BadOrcptIsNotSent) {
  EXPECT_EQ(orcpt_value("no-semicolon"), "");
  EXPECT_EQ(orcpt_value(";x@y"), "");
  EXPECT_EQ(orcpt_value("rfc822;"), "");
  EXPECT_EQ(orcpt_value("rfc 822;x@y"), "");
  EXPECT_EQ(orcpt_value("rfc822;" + std::string(495, 'a')), "");
}

TEST(CommandsTest, StoredBytesCannotSplitACommand) {
  EXPECT_EQ(mail_command("a\r\nRCPT TO:<x>@b", MailParameters{}),
            "MAIL FROM:<a  RCPT TO:<x>@b>\r\n");
}

TEST(CommandsTest, AuthPlain) {
  // base64("\0user\0pass")
  EXPECT_EQ(auth_plain_response("user", "pass"), "AHVzZXIAcGFzcw==");
}

}  // namespace
}  // namespace mail::relay
