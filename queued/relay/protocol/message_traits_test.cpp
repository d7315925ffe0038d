#include "queued/relay/protocol/message_traits.h"

#include <gtest/gtest.h>

namespace mail::relay {
namespace {

TEST(MessageTraitsTest, CountsReceivedFieldsInTheHeaderOnly) {
  const std::string m =
      "Received: from a\r\n\tby b\r\nreceived : from c\r\nRECEIVED:x\r\nX-Received: no\r\n"
      "Subject: hi\r\n\r\nReceived: in the body does not count\r\n";
  auto t = inspect_message(m);
  EXPECT_EQ(t.received_fields, 3u);
  EXPECT_FALSE(t.eight_bit);
  EXPECT_EQ(header_section(m).substr(header_section(m).size() - 13), "Subject: hi\r\n");
}

TEST(MessageTraitsTest, EightBitBodyAndUtf8Headers) {
  auto body = inspect_message("Subject: x\r\n\r\ncaf\xC3\xA9\r\n");
  EXPECT_TRUE(body.eight_bit);
  EXPECT_FALSE(body.non_ascii_headers);
  auto header = inspect_message("Subject: caf\xC3\xA9\r\n\r\nplain\r\n");
  EXPECT_TRUE(header.eight_bit);
  EXPECT_TRUE(header.non_ascii_headers);
}

TEST(MessageTraitsTest, NoBodyMeansAllHeader) {
  EXPECT_EQ(header_section("Subject: x\r\n"), "Subject: x\r\n");
  EXPECT_EQ(header_section("\r\nbody"), "");
}

TEST(MessageTraitsTest, DotStuffing) {
  EXPECT_EQ(dot_stuff("a\r\n.b\r\n..c\r\n"), "a\r\n..b\r\n...c\r\n.\r\n");
  EXPECT_EQ(dot_stuff(".\r\n"), "..\r\n.\r\n");
  EXPECT_EQ(dot_stuff("no end"), "no end\r\n.\r\n");
  EXPECT_EQ(dot_stuff(""), ".\r\n");
}

TEST(MessageTraitsTest, BareLineEndsBecomeCrlfSoNothingSmugglesAnEndOfData) {
  // "\n.\n" could end the data at a lax server: it must leave as a stuffed line.
  EXPECT_EQ(dot_stuff("a\n.\nb\r.\rc\r\n"), "a\r\n..\r\nb\r\n..\r\nc\r\n.\r\n");
}

}  // namespace
}  // namespace mail::relay
