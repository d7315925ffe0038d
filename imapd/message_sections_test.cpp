#include "imapd/message_sections.h"

#include <gtest/gtest.h>

namespace mail::imapd {
namespace {

const std::string kMessage =
    "From: Alice <alice@example.test>\r\n"
    "To: bob@example.test\r\n"
    "Subject: a long\r\n"
    "\tfolded subject\r\n"
    "X-Other: 1\r\n"
    "\r\n"
    "Body line 1\r\n"
    "Body line 2\r\n";
const uint32_t kHeaderSize = static_cast<uint32_t>(kMessage.find("\r\n\r\n") + 4);

TEST(MessageSectionsTest, HeaderAndText) {
  EXPECT_EQ(header_section(kMessage, kHeaderSize).substr(0, 5), "From:");
  EXPECT_TRUE(header_section(kMessage, kHeaderSize).ends_with("X-Other: 1\r\n\r\n"));
  EXPECT_EQ(text_section(kMessage, kHeaderSize), "Body line 1\r\nBody line 2\r\n");
  EXPECT_EQ(header_section(kMessage, 100000), kMessage);  // a bad size never reads past the end
  EXPECT_EQ(text_section(kMessage, 100000), "");
}

TEST(MessageSectionsTest, HeaderFieldsKeepsContinuationsAndIgnoresCase) {
  auto header = header_section(kMessage, kHeaderSize);
  EXPECT_EQ(header_fields(header, {"subject", "TO"}, false),
            "To: bob@example.test\r\nSubject: a long\r\n\tfolded subject\r\n\r\n");
  EXPECT_EQ(header_fields(header, {"Subject", "From", "To"}, true), "X-Other: 1\r\n\r\n");
  EXPECT_EQ(header_fields(header, {"Missing"}, false), "\r\n");
}

TEST(MessageSectionsTest, Partial) {
  EXPECT_EQ(partial("0123456789", 2, 3), "234");
  EXPECT_EQ(partial("0123456789", 8, 100), "89");
  EXPECT_EQ(partial("0123456789", 10, 1), "");
}

TEST(MessageSectionsTest, InternalDate) {
  EXPECT_EQ(internal_date(0), "01-Jan-1970 00:00:00 +0000");
  EXPECT_EQ(internal_date(1796130370), "01-Dec-2026 13:06:10 +0000");
}

}  // namespace
}  // namespace mail::imapd
