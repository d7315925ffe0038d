#include "queued/relay/protocol/capabilities.h"

#include <gtest/gtest.h>

namespace mail::relay {
namespace {

smtp::Reply ehlo(std::vector<std::string> lines) {
  return smtp::Reply(250, "", std::move(lines));
}

TEST(CapabilitiesTest, PostfixLikeReply) {
  auto caps =
      parse_ehlo(ehlo({"mx.example.net", "PIPELINING", "SIZE 10240000", "VRFY", "ETRN", "STARTTLS",
                       "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING"}));
  EXPECT_TRUE(caps.esmtp);
  EXPECT_TRUE(caps.pipelining);
  EXPECT_TRUE(caps.size);
  EXPECT_EQ(caps.max_size, 10240000u);
  EXPECT_TRUE(caps.starttls);
  EXPECT_TRUE(caps.enhanced_status);
  EXPECT_TRUE(caps.eight_bit_mime);
  EXPECT_TRUE(caps.dsn);
  EXPECT_TRUE(caps.smtputf8);
  EXPECT_TRUE(caps.chunking);
  EXPECT_FALSE(caps.binary_mime);
  EXPECT_TRUE(caps.auth.empty());
}

TEST(CapabilitiesTest, KeywordsAreCaseInsensitiveAndTheFirstLineIsTheName) {
  auto caps = parse_ehlo(ehlo({"PIPELINING", "pipelining", "starttls", "auth plain Login"}));
  EXPECT_TRUE(caps.pipelining);  // from the second line only: the first is the name
  EXPECT_TRUE(caps.starttls);
  EXPECT_TRUE(caps.has_auth("PLAIN"));
  EXPECT_TRUE(caps.has_auth("login"));
  EXPECT_FALSE(caps.has_auth("CRAM-MD5"));
}

TEST(CapabilitiesTest, OldAuthEqualsForm) {
  auto caps = parse_ehlo(ehlo({"x", "AUTH=LOGIN PLAIN", "AUTH="}));
  EXPECT_TRUE(caps.has_auth("LOGIN"));
  EXPECT_TRUE(caps.has_auth("PLAIN"));
  EXPECT_EQ(caps.auth.size(), 2u);
}

TEST(CapabilitiesTest, SizeWithoutOrWithBadValue) {
  EXPECT_EQ(parse_ehlo(ehlo({"x", "SIZE"})).max_size, 0u);
  EXPECT_TRUE(parse_ehlo(ehlo({"x", "SIZE"})).size);
  EXPECT_EQ(parse_ehlo(ehlo({"x", "SIZE lots"})).max_size, 0u);
  EXPECT_EQ(parse_ehlo(ehlo({"x", "SIZE 99999999999999999999999"})).max_size, 0u);
  EXPECT_EQ(parse_ehlo(ehlo({"x", "SIZE 0"})).max_size, 0u);
}

}  // namespace
}  // namespace mail::relay
