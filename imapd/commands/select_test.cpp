// SELECT, EXAMINE, CLOSE and UNSELECT through a real session.
#include <gtest/gtest.h>

#include "imapd/commands/testing/session_harness.h"
#include "store/mail_store.h"

namespace mail::imapd::testing {
namespace {

TEST(Select, AnnouncesTheMailbox) {
  SessionHarness h;
  h.deliver(make_message("a"), "INBOX", store::kSeen);
  h.deliver(make_message("b"));
  TestClient c = h.login();
  auto r = c.transact("ok", "SELECT inbox");
  const std::vector<std::string> expected = {
      "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
      "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted",
      "* 2 EXISTS",
      "* 2 RECENT",  // this session is the first to select them (RFC 3501 2.3.2)
      "* OK [UNSEEN 2] First unseen",
  };
  ASSERT_GE(r.untagged.size(), expected.size() + 2);
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(r.untagged[i], expected[i]);
  EXPECT_EQ(r.untagged[5].rfind("* OK [UIDVALIDITY ", 0), 0u);
  EXPECT_EQ(r.untagged[6], "* OK [UIDNEXT 3] Predicted next UID");
  EXPECT_EQ(r.tagged, "t2 OK [READ-WRITE] SELECT completed");
}

TEST(Select, NoRecentAfterEnableImap4rev2) {
  SessionHarness h;
  h.deliver(make_message("a"));
  TestClient c = h.login();
  EXPECT_EQ(c.transact("ok", "ENABLE IMAP4rev2").untagged.at(0), "* ENABLED IMAP4rev2");
  auto r = c.transact("ok", "SELECT INBOX");
  bool exists = false;
  for (const std::string& line : r.untagged) {
    EXPECT_EQ(line.find("RECENT"), std::string::npos) << line;  // RFC 9051 appendix E
    exists = exists || line == "* 1 EXISTS";
  }
  EXPECT_TRUE(exists);
}

TEST(Select, ExamineIsReadOnly) {
  SessionHarness h;
  h.deliver(make_message("a"));
  TestClient c = h.login();
  auto r = c.transact("ok", "EXAMINE INBOX");
  EXPECT_EQ(r.tagged, "t2 OK [READ-ONLY] EXAMINE completed");
  r = c.transact("no", "STORE 1 +FLAGS (\\Seen)");
  EXPECT_NE(r.tagged.find("[READ-ONLY]"), std::string::npos);
  // BODY[] does not set \Seen in a read-only mailbox.
  c.transact("ok", "FETCH 1 BODY[]");
  r = c.transact("ok", "FETCH 1 FLAGS");
  EXPECT_EQ(r.untagged.back(), "* 1 FETCH (FLAGS (\\Recent))");  // not claimed, still new
}

TEST(Select, MissingMailboxLeavesNothingSelected) {
  SessionHarness h;
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  auto r = c.transact("no", "SELECT Nowhere");
  EXPECT_NE(r.tagged.find("[NONEXISTENT]"), std::string::npos);
  c.transact("bad", "FETCH 1 FLAGS");  // RFC 9051 section 6.3.2: no mailbox selected now
}

TEST(Select, CloseExpungesSilentlyUnselectDoesNot) {
  SessionHarness h;
  h.deliver(make_message("a"), "INBOX", store::kDeleted);
  h.deliver(make_message("b"));
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  auto r = c.transact("ok", "UNSELECT");
  EXPECT_TRUE(r.untagged.empty());
  c.transact("bad", "UNSELECT");
  r = c.transact("ok", "SELECT INBOX");
  EXPECT_EQ(r.untagged[2], "* 2 EXISTS");
  r = c.transact("ok", "CLOSE");
  EXPECT_TRUE(r.untagged.empty());  // no EXPUNGE responses from CLOSE
  r = c.transact("ok", "SELECT INBOX");
  EXPECT_EQ(r.untagged[2], "* 1 EXISTS");
}

}  // namespace
}  // namespace mail::imapd::testing
