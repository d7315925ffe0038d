// IMAP4rev1 \Recent and RECENT through real sessions (RFC 3501 2.3.2, 6.3.1, 6.3.10,
// 7.3.2): a message is \Recent in exactly one session, the first to SELECT its mailbox
// (or, already selected, to refresh) after it arrived; EXAMINE sees what nobody claimed
// and claims nothing; STATUS RECENT counts what nobody claimed; IMAP4rev2 has none.
#include <gtest/gtest.h>

#include <algorithm>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

bool has(const std::vector<std::string>& lines, std::string_view line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

bool mentions_recent(const std::vector<std::string>& lines) {
  for (const auto& l : lines)
    if (l.find("RECENT") != std::string::npos || l.find("\\Recent") != std::string::npos)
      return true;
  return false;
}

TEST(Recent, OnlyTheFirstSelectingSessionSeesThem) {
  SessionHarness h;
  h.deliver(make_message("a"), "INBOX", store::kSeen);
  h.deliver(make_message("b"));
  TestClient first = h.login();
  auto r = first.transact("ok", "SELECT INBOX");
  EXPECT_TRUE(has(r.untagged, "* 2 RECENT"));
  r = first.transact("ok", "FETCH 1:2 FLAGS");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 1 FETCH (FLAGS (\\Recent \\Seen))",
                                                  "* 2 FETCH (FLAGS (\\Recent))"}));
  r = first.transact("ok", "SEARCH RECENT");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* SEARCH 1 2"}));
  r = first.transact("ok", "SEARCH NEW");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* SEARCH 2"}));
  r = first.transact("ok", "SEARCH OLD");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* SEARCH"}));

  TestClient second = h.login();
  r = second.transact("ok", "SELECT INBOX");
  EXPECT_TRUE(has(r.untagged, "* 0 RECENT"));
  r = second.transact("ok", "FETCH 1:2 FLAGS");
  EXPECT_EQ(r.untagged,
            (std::vector<std::string>{"* 1 FETCH (FLAGS (\\Seen))", "* 2 FETCH (FLAGS ())"}));
  r = second.transact("ok", "SEARCH OLD");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* SEARCH 1 2"}));
  // The first session keeps them until it leaves the mailbox.
  r = first.transact("ok", "FETCH 2 FLAGS");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 2 FETCH (FLAGS (\\Recent))"}));
  first.transact("ok", "CLOSE");
  r = first.transact("ok", "SELECT INBOX");
  EXPECT_TRUE(has(r.untagged, "* 0 RECENT"));
}

TEST(Recent, ExamineSeesUnclaimedAndClaimsNothing) {
  SessionHarness h;
  h.deliver(make_message("a"));
  TestClient c = h.login();
  auto r = c.transact("ok", "EXAMINE INBOX");
  EXPECT_TRUE(has(r.untagged, "* 1 RECENT"));
  r = c.transact("ok", "FETCH 1 FLAGS");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 1 FETCH (FLAGS (\\Recent))"}));
  c.transact("ok", "CLOSE");
  r = c.transact("ok", "STATUS INBOX (MESSAGES RECENT)");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* STATUS INBOX (MESSAGES 1 RECENT 1)"}));
  r = c.transact("ok", "SELECT INBOX");
  EXPECT_TRUE(has(r.untagged, "* 1 RECENT"));
  c.transact("ok", "CLOSE");
  r = c.transact("ok", "STATUS INBOX (RECENT)");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* STATUS INBOX (RECENT 0)"}));
}

TEST(Recent, ArrivalsAreClaimedAtRefresh) {
  SessionHarness h;
  h.deliver(make_message("a"));
  TestClient c = h.login();
  TestClient other = h.login();
  c.transact("ok", "SELECT INBOX");
  h.deliver(make_message("b"));
  h.deliver(make_message("c"));
  auto r = c.transact("ok", "NOOP");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 3 EXISTS", "* 3 RECENT"}));
  r = c.transact("ok", "FETCH 3 FLAGS");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 3 FETCH (FLAGS (\\Recent))"}));
  // Claimed: another session (or STATUS) no longer counts them.
  r = other.transact("ok", "STATUS INBOX (RECENT)");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* STATUS INBOX (RECENT 0)"}));
  r = other.transact("ok", "SELECT INBOX");
  EXPECT_TRUE(has(r.untagged, "* 0 RECENT"));
  // A message the other session learns of first is its own.
  h.deliver(make_message("d"));
  r = other.transact("ok", "NOOP");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 4 EXISTS", "* 1 RECENT"}));
  r = c.transact("ok", "NOOP");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 4 EXISTS", "* 3 RECENT"}));
  r = c.transact("ok", "SEARCH RECENT");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* SEARCH 1 2 3"}));
  // Expunging a recent message: the client counts it down itself (RFC 3501 7.4.1).
  c.transact("ok", "STORE 2 +FLAGS.SILENT (\\Deleted)");
  r = c.transact("ok", "EXPUNGE");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 2 EXPUNGE"}));
  r = c.transact("ok", "SEARCH RECENT");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* SEARCH 1 2"}));
}

TEST(Recent, CopiesAndAppendsAreRecentForTheNextSession) {
  SessionHarness h;
  h.deliver(make_message("a"));
  TestClient c = h.login();
  TestClient archive = h.login();
  archive.transact("ok", "SELECT Archive");
  c.transact("ok", "SELECT INBOX");
  c.transact("ok", "COPY 1 Archive");
  auto r = archive.transact("ok", "NOOP");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 1 EXISTS", "* 1 RECENT"}));
  // APPEND into the selected mailbox: \Recent in this session (it learns of it first).
  const std::string msg = make_message("appended");
  r = archive.transact("ok", "APPEND Archive {" + std::to_string(msg.size()) + "+}\r\n" + msg);
  EXPECT_TRUE(has(r.untagged, "* 2 EXISTS"));
  EXPECT_TRUE(has(r.untagged, "* 2 RECENT"));
  // APPEND elsewhere: recent for whoever selects it next.
  c.transact("ok", "APPEND Drafts {" + std::to_string(msg.size()) + "+}\r\n" + msg);
  r = c.transact("ok", "STATUS Drafts (RECENT)");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* STATUS Drafts (RECENT 1)"}));
}

TEST(Recent, NoneUnderImap4rev2AndNothingClaimed) {
  SessionHarness h;
  h.deliver(make_message("a"));
  TestClient rev2 = h.login();
  rev2.transact("ok", "ENABLE IMAP4rev2");
  auto r = rev2.transact("ok", "SELECT INBOX");
  EXPECT_FALSE(mentions_recent(r.untagged));
  h.deliver(make_message("b"));
  r = rev2.transact("ok", "NOOP");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 2 EXISTS"}));
  r = rev2.transact("ok", "FETCH 1:2 FLAGS");
  EXPECT_FALSE(mentions_recent(r.untagged));
  // An IMAP4rev1 session still gets them.
  TestClient rev1 = h.login();
  r = rev1.transact("ok", "SELECT INBOX");
  EXPECT_TRUE(has(r.untagged, "* 2 RECENT"));
}

}  // namespace
}  // namespace mail::imapd::testing
