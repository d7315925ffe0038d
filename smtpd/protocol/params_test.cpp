// Tests for MAIL/RCPT parameter values (params.h) and xtext (xtext.h): tables of command
// lines with what each parses to, or the reply refusing it.
#include "smtpd/protocol/params.h"

#include <gtest/gtest.h>

#include "smtpd/protocol/xtext.h"

namespace mail::smtp {
namespace {

const Extensions kAll{.esmtp = true, .smtputf8 = true, .dsn = true, .chunking = true, .auth = true};

std::vector<Param> params_of(const std::string& line) {
  auto parsed = parse_command(line);
  EXPECT_TRUE(std::holds_alternative<Command>(parsed)) << line;
  if (!std::holds_alternative<Command>(parsed)) return {};
  return std::get<Command>(parsed).params;
}

// "size=10 body=8 utf8 ret=F envid=x auth=y" or "501 5.5.4".
std::string mail(const std::string& params, const Extensions& offered = kAll) {
  auto r = parse_mail_params(params_of("MAIL FROM:<a@b.test> " + params), offered);
  if (auto* reply = std::get_if<Reply>(&r))
    return std::to_string(reply->code) + " " + reply->enhanced;
  const MailParams& p = std::get<MailParams>(r);
  std::string out;
  if (p.size) out += "size=" + std::to_string(*p.size) + " ";
  out += "body=" + std::string(p.body == Body::SevenBit       ? "7"
                               : p.body == Body::EightBitMime ? "8"
                                                              : "B");
  if (p.smtputf8) out += " utf8";
  if (p.ret != Ret::Unspecified) out += p.ret == Ret::Full ? " ret=F" : " ret=H";
  if (!p.envid.empty()) out += " envid=" + p.envid;
  if (p.auth) out += " auth=" + *p.auth;
  return out;
}

std::string rcpt(const std::string& params, bool smtputf8 = false,
                 const Extensions& offered = kAll) {
  auto r = parse_rcpt_params(params_of("RCPT TO:<a@b.test> " + params), offered, smtputf8);
  if (auto* reply = std::get_if<Reply>(&r))
    return std::to_string(reply->code) + " " + reply->enhanced;
  const RcptParams& p = std::get<RcptParams>(r);
  return "notify=" + std::to_string(p.notify) + " orcpt=" + p.orcpt;
}

TEST(ParamsTest, MailValues) {
  EXPECT_EQ(mail(""), "body=7");
  EXPECT_EQ(mail("SIZE=0"), "size=0 body=7");
  EXPECT_EQ(mail("SIZE=18446744073709551615"), "size=18446744073709551615 body=7");
  EXPECT_EQ(mail("size=10 body=8bitmime"), "size=10 body=8");
  EXPECT_EQ(mail("BODY=7BIT"), "body=7");
  EXPECT_EQ(mail("BODY=BinaryMime"), "body=B");
  EXPECT_EQ(mail("SMTPUTF8"), "body=7 utf8");
  EXPECT_EQ(mail("RET=full"), "body=7 ret=F");
  EXPECT_EQ(mail("RET=HDRS ENVID=QQ314159"), "body=7 ret=H envid=QQ314159");
  EXPECT_EQ(mail("ENVID=a+2Bb+3Dc"), "body=7 envid=a+b=c");
  EXPECT_EQ(mail("ENVID=" + std::string(100, 'x')), "body=7 envid=" + std::string(100, 'x'));
  EXPECT_EQ(mail("AUTH=<>"), "body=7 auth=<>");
  EXPECT_EQ(mail("AUTH=e+3Dmc2@example.com"), "body=7 auth=e=mc2@example.com");
}

TEST(ParamsTest, MailBadValuesAre501) {
  for (const char* p :
       {"SIZE", "SIZE=abc", "SIZE=-1", "SIZE=99999999999999999999999", "SIZE=1x", "BODY",
        "BODY=9BIT", "SMTPUTF8=yes", "RET", "RET=ALL", "ENVID", "ENVID=a+2b", "ENVID=a+2",
        "ENVID=a+", "ENVID=+00x", "ENVID=+7F", "ENVID=\xC3\xA9", "AUTH", "AUTH=+0A"}) {
    EXPECT_EQ(mail(p), "501 5.5.4") << p;
  }
  EXPECT_EQ(mail("ENVID=" + std::string(101, 'x')), "501 5.5.4");
  // Duplicates are refused by the command parser already.
  EXPECT_TRUE(
      std::holds_alternative<Reply>(parse_command("MAIL FROM:<a@b.test> RET=FULL ret=HDRS")));
}

TEST(ParamsTest, MailParametersNotOfferedAre555) {
  Extensions plain = kAll;
  plain.smtputf8 = plain.dsn = plain.chunking = plain.auth = false;
  EXPECT_EQ(mail("SMTPUTF8", plain), "555 5.5.4");
  EXPECT_EQ(mail("RET=FULL", plain), "555 5.5.4");
  EXPECT_EQ(mail("ENVID=x", plain), "555 5.5.4");
  EXPECT_EQ(mail("AUTH=<>", plain), "555 5.5.4");
  EXPECT_EQ(mail("BODY=BINARYMIME", plain), "555 5.5.4");  // RFC 3030 3: needs CHUNKING
  EXPECT_EQ(mail("BODY=8BITMIME SIZE=5", plain), "size=5 body=8");
  EXPECT_EQ(mail("X-FOO=bar"), "555 5.5.4");
  EXPECT_EQ(mail("NOTIFY=NEVER"), "555 5.5.4");  // an RCPT parameter
  EXPECT_EQ(mail("ORCPT=rfc822;a@b"), "555 5.5.4");
  // After HELO there are no extensions at all.
  EXPECT_EQ(mail("SIZE=10", Extensions{}), "555 5.5.4");
  EXPECT_EQ(mail("BODY=8BITMIME", Extensions{}), "555 5.5.4");
}

TEST(ParamsTest, RcptValues) {
  EXPECT_EQ(rcpt(""), "notify=0 orcpt=");
  EXPECT_EQ(rcpt("NOTIFY=NEVER"), "notify=1 orcpt=");
  EXPECT_EQ(rcpt("notify=success,failure"), "notify=6 orcpt=");
  EXPECT_EQ(rcpt("NOTIFY=DELAY,SUCCESS,FAILURE"), "notify=14 orcpt=");
  EXPECT_EQ(rcpt("ORCPT=rfc822;bob@example.test"), "notify=0 orcpt=rfc822;bob@example.test");
  EXPECT_EQ(rcpt("ORCPT=RFC822;b+2Bbob@example.test NOTIFY=FAILURE"),
            "notify=4 orcpt=RFC822;b+bob@example.test");
  EXPECT_EQ(rcpt("ORCPT=rfc822;a+20b@x"), "notify=0 orcpt=rfc822;a b@x");
  EXPECT_EQ(rcpt("ORCPT=x400;c+3Dus"), "notify=0 orcpt=x400;c=us");
  // RFC 6533: utf-8 addresses, as xtext (\x{...} escapes) or, with SMTPUTF8, raw.
  EXPECT_EQ(rcpt("ORCPT=utf-8;j\\x{F6}rg@x.test"), "notify=0 orcpt=utf-8;j\xC3\xB6rg@x.test");
  EXPECT_EQ(rcpt("ORCPT=utf-8;j\xC3\xB6rg@x.test", true),
            "notify=0 orcpt=utf-8;j\xC3\xB6rg@x.test");
  EXPECT_EQ(rcpt("ORCPT=utf-8;a\\x{2B}b@x"), "notify=0 orcpt=utf-8;a+b@x");
}

TEST(ParamsTest, RcptBadValuesAre501) {
  for (const char* p : {"NOTIFY",
                        "NOTIFY=SOMETIMES",
                        "NOTIFY=SUCCESS,",
                        "NOTIFY=,SUCCESS",
                        "NOTIFY=NEVER,SUCCESS",
                        "NOTIFY=SUCCESS,NEVER",
                        "NOTIFY=SUCCESS,SUCCESS",
                        "NOTIFY=SUCCESS,,DELAY",
                        "ORCPT",
                        "ORCPT=bob",
                        "ORCPT=rfc822;",
                        "ORCPT=;bob@x",
                        "ORCPT=rfc(822;bob@x",
                        "ORCPT=rfc822;a+2",
                        "ORCPT=rfc822;+0D",
                        "ORCPT=rfc822;a+zzb",
                        "ORCPT=utf-8;a+2Bb@x",
                        "ORCPT=utf-8;\\x{}",
                        "ORCPT=utf-8;\\x{D800}",
                        "ORCPT=utf-8;\\x{110000}",
                        "ORCPT=utf-8;\\x{0A}",
                        "ORCPT=utf-8;\\x{41",
                        "ORCPT=utf-8;\\y{41}",
                        "ORCPT=rfc822;j\xC3\xB6rg@x"}) {
    EXPECT_EQ(rcpt(p), "501 5.5.4") << p;
  }
  EXPECT_EQ(rcpt("ORCPT=utf-8;j\xC3\xB6rg@x.test", false), "501 5.5.4");  // raw needs SMTPUTF8
  EXPECT_EQ(rcpt("ORCPT=utf-8;j\xC3rg@x.test", true), "501 5.5.4");       // invalid UTF-8
  EXPECT_EQ(rcpt("ORCPT=rfc822;" + std::string(494, 'a')), "501 5.5.4");  // 501 > 500 octets
  EXPECT_EQ(rcpt("ORCPT=rfc822;" + std::string(493, 'a')),
            "notify=0 orcpt=rfc822;" + std::string(493, 'a'));
}

TEST(ParamsTest, RcptParametersNotOfferedAre555) {
  Extensions plain = kAll;
  plain.dsn = false;
  EXPECT_EQ(rcpt("NOTIFY=NEVER", false, plain), "555 5.5.4");
  EXPECT_EQ(rcpt("ORCPT=rfc822;a@b", false, plain), "555 5.5.4");
  EXPECT_EQ(rcpt("RET=FULL"), "555 5.5.4");  // a MAIL parameter
  EXPECT_EQ(rcpt("SIZE=1"), "555 5.5.4");
  EXPECT_EQ(rcpt("NOTIFY=NEVER", false, Extensions{}), "555 5.5.4");
}

TEST(XtextTest, DecodeAndEncode) {
  EXPECT_EQ(xtext_decode(""), "");
  EXPECT_EQ(xtext_decode("abc"), "abc");
  EXPECT_EQ(xtext_decode("a+2Bb+3D"), "a+b=");
  EXPECT_EQ(xtext_decode("+00"), std::string(1, '\0'));
  EXPECT_EQ(xtext_decode("+FF"), "\xFF");
  for (const char* bad : {"+", "+2", "+2b", "a=b", "a b", "+G0", "\xC3\xA9", "a\x7f"})
    EXPECT_FALSE(xtext_decode(bad).has_value()) << bad;
  EXPECT_EQ(xtext_encode("a+b=c d\xC3\xA9"), "a+2Bb+3Dc+20d+C3+A9");
  const std::string all = [] {
    std::string s;
    for (int c = 0; c < 256; ++c) s += static_cast<char>(c);
    return s;
  }();
  EXPECT_EQ(xtext_decode(xtext_encode(all)), all);
}

}  // namespace
}  // namespace mail::smtp
