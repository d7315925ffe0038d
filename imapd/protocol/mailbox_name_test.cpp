// Mailbox names from the client in both forms, and ResponseWriter::mailbox() back.
#include "imapd/protocol/mailbox_name.h"

#include <gtest/gtest.h>

#include "imapd/protocol/response_writer.h"

namespace mail::imap {
namespace {

using Name = std::optional<std::string>;

TEST(MailboxName, ModifiedUtf7FromRev1Clients) {
  EXPECT_EQ(mailbox_from_client("INBOX", false), Name("INBOX"));
  EXPECT_EQ(mailbox_from_client("p&AOQA5A-", false), Name("p\xc3\xa4\xc3\xa4"));
  EXPECT_EQ(mailbox_from_client("Q&-A", false), Name("Q&A"));
  EXPECT_EQ(mailbox_from_client("a/%/*", false), Name("a/%/*"));        // patterns too
  EXPECT_EQ(mailbox_from_client("Q&A", false), std::nullopt);           // "&" must be "&-"
  EXPECT_EQ(mailbox_from_client("p\xc3\xa4", false), std::nullopt);     // 8-bit is not mUTF-7
  EXPECT_EQ(mailbox_from_client("tab&AAk-here", false), std::nullopt);  // a control
}

TEST(MailboxName, Utf8AfterEnable) {
  EXPECT_EQ(mailbox_from_client("p\xc3\xa4", true), Name("p\xc3\xa4"));
  EXPECT_EQ(mailbox_from_client("p&AOQ-", true), Name("p&AOQ-"));  // no decoding
  EXPECT_EQ(mailbox_from_client("bad\xc3", true), std::nullopt);
  EXPECT_EQ(mailbox_from_client("\xc0\xafx", true), std::nullopt);  // overlong
  EXPECT_EQ(mailbox_from_client(std::string_view("a\0b", 3), true), std::nullopt);
  EXPECT_EQ(mailbox_from_client("a\x7f", true), std::nullopt);
}

TEST(MailboxName, WriterEncodesForTheClient) {
  StringSink sink;
  ResponseWriter w(sink);
  w.untagged().mailbox("INBOX").mailbox("p\xc3\xa4\xc3\xa4").mailbox("Q&A").mailbox("a b").end();
  EXPECT_EQ(sink.data, "* INBOX p&AOQA5A- Q&-A \"a b\"\r\n");
  sink.data.clear();
  w.set_utf8(true);
  w.untagged().mailbox("p\xc3\xa4").mailbox("Q&A").end();
  EXPECT_EQ(sink.data, "* \"p\xc3\xa4\" Q&A\r\n");
}

}  // namespace
}  // namespace mail::imap
