// FETCH and UID FETCH through a real session: items, \Seen, deduplication, streaming.
#include <gtest/gtest.h>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

TEST(Fetch, Items) {
  SessionHarness h;
  const std::string m = make_message("items");
  h.deliver(m, "INBOX", store::kFlagged);
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  auto r = c.transact("ok", "FETCH 1 (UID FLAGS RFC822.SIZE INTERNALDATE)");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_EQ(r.untagged[0], "* 1 FETCH (UID 1 FLAGS (\\Recent \\Flagged) RFC822.SIZE " +
                               std::to_string(m.size()) +
                               " INTERNALDATE \"14-Nov-2023 22:13:20 +0000\")");
  r = c.transact("ok", "FETCH 1 BODY.PEEK[HEADER.FIELDS (Subject)]");
  EXPECT_EQ(r.untagged[0],
            "* 1 FETCH (BODY[HEADER.FIELDS (Subject)] {23}\r\nSubject: test items\r\n\r\n)");
  r = c.transact("ok", "UID FETCH 1 (BODY.PEEK[]<0.4>)");  // UID FETCH adds UID
  EXPECT_EQ(r.untagged[0], "* 1 FETCH (UID 1 BODY[]<0> {4}\r\nFrom)");
  r = c.transact("ok", "FETCH 1 BODY.PEEK[1]");  // part 1 of a single-part message
  const std::string text = m.substr(m.find("\r\n\r\n") + 4);
  EXPECT_EQ(r.untagged[0],
            "* 1 FETCH (BODY[1] {" + std::to_string(text.size()) + "}\r\n" + text + ")");
  r = c.transact("ok", "FETCH 1 ENVELOPE");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_EQ(r.untagged[0].rfind("* 1 FETCH (ENVELOPE (", 0), 0u) << r.untagged[0];
  EXPECT_NE(r.untagged[0].find("\"test items\""), std::string::npos) << r.untagged[0];
}

TEST(Fetch, BodySetsSeenAndSaysSo) {
  SessionHarness h;
  const std::string m = make_message("seen");
  h.deliver(m);
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  auto r = c.transact("ok", "FETCH 1 RFC822");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_EQ(r.untagged[0], "* 1 FETCH (RFC822 {" + std::to_string(m.size()) + "}\r\n" + m +
                               " FLAGS (\\Recent \\Seen))");
  r = c.transact("ok", "FETCH 1 (FLAGS BODY[TEXT]<0.4>)");
  EXPECT_EQ(r.untagged[0], "* 1 FETCH (FLAGS (\\Recent \\Seen) BODY[TEXT]<0> {4}\r\nline)");
}

TEST(Fetch, SequenceNumbersAndUids) {
  SessionHarness h;
  for (int i = 0; i < 3; ++i) h.deliver(make_message("n" + std::to_string(i)));
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  c.transact("bad", "FETCH 4 FLAGS");                 // beyond the mailbox
  auto r = c.transact("ok", "UID FETCH 2:99 FLAGS");  // UIDs beyond it are just absent
  ASSERT_EQ(r.untagged.size(), 2u);
  EXPECT_EQ(r.untagged[0], "* 2 FETCH (UID 2 FLAGS (\\Recent))");
  r = c.transact("ok", "FETCH 2:* UID");
  ASSERT_EQ(r.untagged.size(), 2u);
  EXPECT_EQ(r.untagged[1], "* 3 FETCH (UID 3)");
}

// Issue 14 finding 5: a repeated item is answered once per message.
TEST(Fetch, RepeatedItemsAnsweredOnce) {
  SessionHarness h;
  const std::string m = make_message("dup");
  h.deliver(m);
  h.deliver(m);
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  std::string items = "(";
  for (int i = 0; i < 2000; ++i) items += i ? " BODY.PEEK[]" : "BODY.PEEK[]";
  auto r = c.transact("ok", "FETCH 1:* " + items + ")");
  ASSERT_EQ(r.untagged.size(), 2u);
  EXPECT_EQ(r.untagged[1], "* 2 FETCH (BODY[] {" + std::to_string(m.size()) + "}\r\n" + m + ")");
}

// Large messages are streamed whole and in order, batch after batch.
TEST(Fetch, LargeMessagesStreamed) {
  SessionHarness h;
  std::vector<std::string> messages;
  for (int i = 0; i < 3; ++i) {
    messages.push_back(make_message("big" + std::to_string(i), 1500 * 1024));
    h.deliver(messages.back());
  }
  for (int i = 0; i < 20; ++i) h.deliver(make_message("small" + std::to_string(i)));
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  auto r = c.transact("ok", "FETCH 1:* BODY.PEEK[]");
  ASSERT_EQ(r.untagged.size(), 23u);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(r.untagged[i], "* " + std::to_string(i + 1) + " FETCH (BODY[] {" +
                                 std::to_string(messages[i].size()) + "}\r\n" + messages[i] + ")");
  EXPECT_NE(r.untagged[22].find("small19"), std::string::npos);
}

// RFC 2180 section 4.1: a message another session expunged is still known to this one
// until it hears the EXPUNGE; what the view holds is answered, its content is not.
TEST(Fetch, ExpungedElsewhere) {
  SessionHarness h;
  for (int i = 0; i < 3; ++i) h.deliver(make_message("x" + std::to_string(i)));
  TestClient a = h.login();
  TestClient b = h.login();
  a.transact("ok", "SELECT INBOX");
  b.transact("ok", "SELECT INBOX");
  a.transact("ok", "STORE 2 +FLAGS.SILENT (\\Deleted)");
  a.transact("ok", "EXPUNGE");
  // The view keeps no per-message records (imapsync's MailboxView): even record items of
  // a message expunged elsewhere are answered NO [EXPUNGEISSUED], as Dovecot does.
  auto r = b.transact("no", "FETCH 2 (UID RFC822.SIZE)");
  EXPECT_EQ(r.untagged.size(), 0u);
  EXPECT_NE(r.tagged.find("[EXPUNGEISSUED]"), std::string::npos) << r.tagged;
  r = b.transact("no", "FETCH 1:3 BODY.PEEK[HEADER.FIELDS (Subject)]");
  EXPECT_EQ(r.untagged.size(), 2u);
  EXPECT_NE(r.tagged.find("[EXPUNGEISSUED]"), std::string::npos) << r.tagged;
}

}  // namespace
}  // namespace mail::imapd::testing
