// Tests for the DNS record parsers and the answer classification (common/dns/rdata.h).
#include "common/dns/rdata.h"

#include <gtest/gtest.h>

namespace mail::dns {
namespace {

using namespace std::string_literals;

TEST(DnsName, WireToPresentation) {
  EXPECT_EQ(parse_name("\x03mx1\x07"
                       "example\x04test\x00"s),
            "mx1.example.test");
  EXPECT_EQ(parse_name("\x00"s), "");  // the root
  EXPECT_EQ(parse_name("\x03"
                       "a.b\x00"s),
            "a\\046b");
  EXPECT_EQ(parse_name("\x02"
                       "a\x01\x00"s),
            "a\\001");
  EXPECT_EQ(parse_name("\x06_dmarc\x00"s), "_dmarc");
  // Malformed: no end, past the end, trailing bytes, a compression pointer, labels > 63.
  EXPECT_FALSE(parse_name(""));
  EXPECT_FALSE(parse_name("\x03mx1"s));
  EXPECT_FALSE(parse_name("\x05mx1\x00"s));
  EXPECT_FALSE(parse_name("\x00\x00"s));
  EXPECT_FALSE(parse_name("\xc0\x0c"s));
  EXPECT_FALSE(parse_name("\x40"s + std::string(64, 'a') + "\x00"s));
  EXPECT_TRUE(parse_name("\x3f"s + std::string(63, 'a') + "\x00"s));
  // A name over 255 octets.
  std::string long_name;
  for (int i = 0; i < 5; ++i) long_name += "\x3f"s + std::string(63, 'a');
  EXPECT_FALSE(parse_name(long_name + "\x00"s));
}

TEST(DnsRecords, Mx) {
  auto mx = parse_mx(
      "\x00\x0a\x03mx1\x07"
      "example\x04test\x00"s);
  ASSERT_TRUE(mx);
  EXPECT_EQ(mx->preference, 10);
  EXPECT_EQ(mx->host, "mx1.example.test");
  EXPECT_FALSE(mx->null());
  auto null_mx = parse_mx("\x00\x00\x00"s);  // RFC 7505 "0 ."
  ASSERT_TRUE(null_mx);
  EXPECT_TRUE(null_mx->null());
  EXPECT_EQ(parse_mx("\xff\xff\x00"s)->preference, 65535);
  EXPECT_FALSE(parse_mx("\x00\x0a"s));
  EXPECT_FALSE(parse_mx("\x00\x0a\x03mx"s));
}

TEST(DnsRecords, AddressesAndTxt) {
  auto a = parse_a("\xc0\x00\x02\x01"s);
  ASSERT_TRUE(a);
  EXPECT_EQ((*a)[0], 192);
  EXPECT_EQ((*a)[3], 1);
  EXPECT_FALSE(parse_a("\x01\x02\x03"s));
  EXPECT_FALSE(parse_a("\x01\x02\x03\x04\x05"s));
  EXPECT_TRUE(parse_aaaa(std::string(16, '\x01')));
  EXPECT_FALSE(parse_aaaa(std::string(15, '\x01')));

  EXPECT_EQ(parse_txt("\x0bv=spf1 -all"s), "v=spf1 -all");
  EXPECT_EQ(parse_txt("\x05hello\x06 world"s), "hello world");  // strings concatenated
  EXPECT_EQ(parse_txt("\x00"s), "");
  EXPECT_FALSE(parse_txt(""));
  EXPECT_FALSE(parse_txt("\x05hell"s));
}

TEST(DnsStatus, Classification) {
  AnswerFlags ok{.havedata = true};
  EXPECT_EQ(classify(ok), Status::Ok);
  EXPECT_EQ(classify(AnswerFlags{}), Status::NoData);
  EXPECT_EQ(classify(AnswerFlags{.rcode = 3}), Status::NxDomain);
  EXPECT_EQ(classify(AnswerFlags{.nxdomain = true}), Status::NxDomain);
  EXPECT_EQ(classify(AnswerFlags{.rcode = 2}), Status::ServFail);
  EXPECT_EQ(classify(AnswerFlags{.rcode = 5}), Status::ServFail);  // REFUSED
  EXPECT_EQ(classify(AnswerFlags{.error = 1}), Status::Error);
  EXPECT_EQ(classify(AnswerFlags{.error = 1, .syntax_error = true}), Status::BadName);
  EXPECT_EQ(classify(AnswerFlags{.timeout = true}), Status::Timeout);
  for (Status s : {Status::ServFail, Status::Timeout, Status::Error}) EXPECT_TRUE(is_temporary(s));
  for (Status s : {Status::Ok, Status::NoData, Status::NxDomain, Status::BadName})
    EXPECT_FALSE(is_temporary(s));
  EXPECT_EQ(security_of(AnswerFlags{.secure = true}), Security::Secure);
  EXPECT_EQ(security_of(AnswerFlags{.bogus = true}), Security::Bogus);
  EXPECT_EQ(security_of(AnswerFlags{}), Security::Insecure);
  EXPECT_STREQ(status_name(Status::NxDomain), "nxdomain");
  EXPECT_STREQ(security_name(Security::Bogus), "bogus");
}

}  // namespace
}  // namespace mail::dns
