// RFC 5267 CONTEXT=SEARCH and CONTEXT=SORT through real sessions: RETURN (PARTIAL) for
// SEARCH, UID SEARCH, SORT and UID SORT; RETURN (UPDATE) with ADDTO/REMOVEFROM for this
// session's and another session's changes, deliveries and expunges; CANCELUPDATE; the
// limits imapd.max_update_contexts and imapd.max_update_changes.
#include <gtest/gtest.h>

#include <algorithm>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

// Lines of `r` that start with `prefix`.
std::vector<std::string> lines(const TestClient::Reply& r, std::string_view prefix) {
  std::vector<std::string> out;
  for (const auto& l : r.untagged)
    if (l.starts_with(prefix)) out.push_back(l);
  return out;
}

std::string esearch(const std::string& tag, std::string_view rest) {
  return "* ESEARCH (TAG \"" + tag + "\")" + std::string(rest);
}

class ContextTest : public ::testing::Test {
 protected:
  explicit ContextTest(void (*adjust)(Config&) = nullptr) : h(adjust) {
    for (int i = 1; i <= 5; ++i) h.deliver(make_message("m" + std::to_string(i)));
  }
  SessionHarness h;
};

TEST_F(ContextTest, PartialSearchAndSort) {
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  std::string t = c.next_tag();
  EXPECT_EQ(c.transact("ok", "SEARCH RETURN (PARTIAL 4:2) ALL").untagged[0],
            esearch(t, " PARTIAL (2:4 2:4)"));
  t = c.next_tag();
  EXPECT_EQ(c.transact("ok", "SEARCH RETURN (PARTIAL 2:10 COUNT MIN MAX) 1:2,4:5").untagged[0],
            esearch(t, " MIN 1 MAX 5 PARTIAL (2:10 2,4:5) COUNT 4"));
  t = c.next_tag();
  EXPECT_EQ(c.transact("ok", "SEARCH RETURN (PARTIAL 6:6) ALL").untagged[0],
            esearch(t, " PARTIAL (6:6 NIL)"));
  c.transact("ok", "STORE 2 +FLAGS.SILENT (\\Deleted)");
  c.transact("ok", "EXPUNGE");
  t = c.next_tag();  // UIDs 1 3 4 5 remain: the 2nd result is UID 3
  EXPECT_EQ(c.transact("ok", "UID SEARCH RETURN (PARTIAL 2:2) ALL").untagged[0],
            esearch(t, " UID PARTIAL (2:2 3)"));
  t = c.next_tag();
  EXPECT_EQ(c.transact("ok", "SORT RETURN (PARTIAL 1:3) (REVERSE SUBJECT) UTF-8 ALL").untagged[0],
            esearch(t, " PARTIAL (1:3 4,3,2)"));
  t = c.next_tag();
  EXPECT_EQ(
      c.transact("ok", "UID SORT RETURN (PARTIAL 2:9) (REVERSE SUBJECT) UTF-8 ALL").untagged[0],
      esearch(t, " UID PARTIAL (2:9 4,3,1)"));
  for (const char* bad : {"SEARCH RETURN (PARTIAL 1) ALL", "SEARCH RETURN (PARTIAL 1:*) ALL",
                          "SEARCH RETURN (PARTIAL *:1) ALL", "SEARCH RETURN (ALL PARTIAL 1:2) ALL",
                          "SORT RETURN (PARTIAL 1:*) (ARRIVAL) UTF-8 ALL"})
    c.transact("bad", bad);
  // SAVE keeps what PARTIAL returned.
  EXPECT_TRUE(c.transact("ok", "SEARCH RETURN (SAVE PARTIAL 2:3) ALL").untagged.size() == 1);
  EXPECT_EQ(c.transact("ok", "FETCH $ (UID)").untagged,
            (std::vector<std::string>{"* 2 FETCH (UID 3)", "* 3 FETCH (UID 4)"}));
}

TEST_F(ContextTest, SearchUpdateFollowsOwnChanges) {
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  const std::string t = c.next_tag();
  EXPECT_EQ(c.transact("ok", "SEARCH RETURN (UPDATE) SEEN").untagged[0], esearch(t, ""));
  auto r = c.transact("ok", "STORE 1,2,4 +FLAGS (\\Seen)");
  EXPECT_EQ(lines(r, "* ESEARCH"), (std::vector<std::string>{esearch(t, " ADDTO (0 1:2,4)")}));
  r = c.transact("ok", "STORE 1,2 -FLAGS (\\Seen)");
  EXPECT_EQ(lines(r, "* ESEARCH"), (std::vector<std::string>{esearch(t, " REMOVEFROM (0 1:2)")}));
  c.transact("ok", "STORE 3:5 +FLAGS.SILENT (\\Deleted)");
  r = c.transact("ok", "EXPUNGE");
  // Message 4 leaves the result before the EXPUNGEs (highest first) renumber anything.
  EXPECT_EQ(r.untagged, (std::vector<std::string>{esearch(t, " REMOVEFROM (0 4)"), "* 5 EXPUNGE",
                                                  "* 4 EXPUNGE", "* 3 EXPUNGE"}));
  // A delivery joins after its EXISTS.
  h.deliver(make_message("m6"), "INBOX", store::kSeen);
  r = c.transact("ok", "NOOP");
  auto exists = std::find(r.untagged.begin(), r.untagged.end(), "* 3 EXISTS");
  auto added = std::find(r.untagged.begin(), r.untagged.end(), esearch(t, " ADDTO (0 3)"));
  ASSERT_NE(exists, r.untagged.end());
  ASSERT_NE(added, r.untagged.end());
  EXPECT_LT(exists, added);
  c.transact("ok", "CANCELUPDATE \"" + t + "\"");
  r = c.transact("ok", "STORE 1 +FLAGS (\\Seen)");
  EXPECT_TRUE(lines(r, "* ESEARCH").empty());
  c.transact("bad", "CANCELUPDATE \"" + t + "\"");  // gone
  c.transact("bad", "CANCELUPDATE");
}

TEST_F(ContextTest, UidSearchUpdateSeesAnotherSession) {
  TestClient a = h.login();
  TestClient b = h.login();
  a.transact("ok", "SELECT INBOX");
  b.transact("ok", "SELECT INBOX");
  const std::string t = a.next_tag();
  EXPECT_EQ(a.transact("ok", "UID SEARCH RETURN (UPDATE ALL) OR SEEN FLAGGED").untagged[0],
            esearch(t, " UID"));
  b.transact("ok", "STORE 2,3 +FLAGS (\\Seen)");
  auto r = a.transact("ok", "NOOP");
  EXPECT_EQ(lines(r, "* ESEARCH"), (std::vector<std::string>{esearch(t, " UID ADDTO (0 2:3)")}));
  b.transact("ok", "STORE 2 -FLAGS (\\Seen)");
  b.transact("ok", "STORE 3 +FLAGS (\\Flagged)");  // still matches: no update
  r = a.transact("ok", "NOOP");
  EXPECT_EQ(lines(r, "* ESEARCH"), (std::vector<std::string>{esearch(t, " UID REMOVEFROM (0 2)")}));
  // Expunged by the other session: removed when this one hears of the expunge.
  b.transact("ok", "STORE 3 +FLAGS.SILENT (\\Deleted)");
  b.transact("ok", "EXPUNGE");
  r = a.transact("ok", "FETCH 1 UID");  // no EXPUNGE during FETCH, so no REMOVEFROM yet
  EXPECT_TRUE(lines(r, "* ESEARCH").empty());
  r = a.transact("ok", "NOOP");
  EXPECT_EQ(r.untagged,
            (std::vector<std::string>{esearch(t, " UID REMOVEFROM (0 3)"), "* 3 EXPUNGE"}));
}

TEST_F(ContextTest, SortUpdateReportsPositions) {
  TestClient a = h.login();
  a.transact("ok", "SELECT INBOX");
  const std::string t = a.next_tag();
  EXPECT_EQ(a.transact("ok", "SORT RETURN (UPDATE ALL) (REVERSE SUBJECT) UTF-8 UNSEEN").untagged[0],
            esearch(t, " ALL 5,4,3,2,1"));
  auto r = a.transact("ok", "STORE 2 +FLAGS (\\Seen)");  // result 5 4 3 1: 2 was 4th
  EXPECT_EQ(lines(r, "* ESEARCH"), (std::vector<std::string>{esearch(t, " REMOVEFROM (4 2)")}));
  r = a.transact("ok", "STORE 2 -FLAGS (\\Seen)");
  EXPECT_EQ(lines(r, "* ESEARCH"), (std::vector<std::string>{esearch(t, " ADDTO (4 2)")}));
  h.deliver(make_message("m6"));  // "test m6": first in REVERSE SUBJECT
  r = a.transact("ok", "NOOP");
  EXPECT_EQ(lines(r, "* ESEARCH"), (std::vector<std::string>{esearch(t, " ADDTO (1 6)")}));
  a.transact("ok", "STORE 1 +FLAGS.SILENT (\\Deleted)");
  r = a.transact("ok", "EXPUNGE");  // message 1 is last of six
  EXPECT_EQ(lines(r, "* ESEARCH"), (std::vector<std::string>{esearch(t, " REMOVEFROM (6 1)")}));
}

void two_contexts(Config& cfg) {
  cfg.imapd.max_update_contexts = 2;
  cfg.imapd.max_update_changes = 3;
}

class ContextLimitTest : public ContextTest {
 protected:
  ContextLimitTest() : ContextTest(two_contexts) {}
};

TEST_F(ContextLimitTest, ContextsAndChangesAreBounded) {
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  const std::string t1 = c.next_tag();
  c.transact("ok", "SEARCH RETURN (UPDATE) SEEN");
  const std::string t2 = c.next_tag();
  c.transact("ok", "SEARCH RETURN (UPDATE) FLAGGED");
  const std::string t3 = c.next_tag();
  auto r = c.transact("ok", "SEARCH RETURN (UPDATE COUNT) ALL");  // the third: refused
  EXPECT_EQ(r.untagged,
            (std::vector<std::string>{"* NO [NOUPDATE \"" + t3 + "\"] Too many update contexts",
                                      esearch(t3, " COUNT 5")}));
  r = c.transact("ok", "STORE 1:3 +FLAGS (\\Seen)");  // 3 changes: within the limit
  EXPECT_EQ(lines(r, "* ESEARCH"), (std::vector<std::string>{esearch(t1, " ADDTO (0 1:3)")}));
  r = c.transact("ok", "STORE 1:4 +FLAGS (\\Flagged)");  // 4: both contexts end
  EXPECT_EQ(lines(r, "* NO"),
            (std::vector<std::string>{"* NO [NOUPDATE \"" + t1 + "\"] Too many changes at once",
                                      "* NO [NOUPDATE \"" + t2 + "\"] Too many changes at once"}));
  c.transact("bad", "CANCELUPDATE \"" + t1 + "\"");
  // Ended contexts free their places.
  c.transact("ok", "SEARCH RETURN (UPDATE) DELETED");
  c.transact("ok", "UNSELECT");  // contexts end with the mailbox
  c.transact("ok", "SELECT INBOX");
  c.transact("bad", "CANCELUPDATE \"" + t1 + "\"");
}

TEST_F(ContextTest, DuplicateUpdateTagIsBad) {
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  c.send("dup SEARCH RETURN (UPDATE) SEEN\r\n");
  std::string line;
  do line = c.read_response();
  while (!line.starts_with("dup "));
  EXPECT_TRUE(line.starts_with("dup OK")) << line;
  c.send("dup SEARCH RETURN (UPDATE) FLAGGED\r\n");
  do line = c.read_response();
  while (!line.starts_with("dup "));
  EXPECT_TRUE(line.starts_with("dup BAD")) << line;
}

}  // namespace
}  // namespace mail::imapd::testing
