// EXPUNGE and UID EXPUNGE through real sessions, and when another session hears of it
// (RFC 9051 section 7.5.1: never during FETCH, STORE or SEARCH).
#include <gtest/gtest.h>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

TEST(Expunge, ReportsEachRemoval) {
  SessionHarness h;
  for (int i = 0; i < 4; ++i) h.deliver(make_message(std::to_string(i)));
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  c.transact("ok", "STORE 2,4 +FLAGS.SILENT (\\Deleted)");
  auto r = c.transact("ok", "EXPUNGE");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 4 EXPUNGE", "* 2 EXPUNGE"}));
  r = c.transact("ok", "FETCH 1:* UID");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 1 FETCH (UID 1)", "* 2 FETCH (UID 3)"}));
}

TEST(Expunge, UidExpungeOnlyItsSet) {
  SessionHarness h;
  for (int i = 0; i < 3; ++i) h.deliver(make_message(std::to_string(i)), "INBOX", store::kDeleted);
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  auto r = c.transact("ok", "UID EXPUNGE 2:3");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 3 EXPUNGE", "* 2 EXPUNGE"}));
  c.transact("ok", "EXAMINE INBOX");
  c.transact("no", "EXPUNGE");  // read-only
}

TEST(Expunge, OtherSessionsHearAtTheRightTime) {
  SessionHarness h;
  for (int i = 0; i < 3; ++i) h.deliver(make_message(std::to_string(i)));
  TestClient a = h.login();
  TestClient b = h.login();
  a.transact("ok", "SELECT INBOX");
  b.transact("ok", "SELECT INBOX");
  a.transact("ok", "STORE 2 +FLAGS.SILENT (\\Deleted)");
  a.transact("ok", "EXPUNGE");
  h.deliver(make_message("new"));
  // FETCH: no EXPUNGE, sequence numbers unchanged, the new message announced; the
  // expunged message is left out and named by [EXPUNGEISSUED] (RFC 5530, as Dovecot).
  auto r = b.transact("no", "FETCH 1:3 UID");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 1 FETCH (UID 1)", "* 3 FETCH (UID 3)",
                                                  "* 4 EXISTS", "* 1 RECENT"}));
  EXPECT_NE(r.tagged.find("[EXPUNGEISSUED]"), std::string::npos) << r.tagged;
  r = b.transact("ok", "STORE 3 +FLAGS.SILENT (\\Seen)");
  EXPECT_TRUE(r.untagged.empty());
  r = b.transact("ok", "NOOP");  // now
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 2 EXPUNGE"}));
  r = b.transact("ok", "FETCH 1:* UID");
  EXPECT_EQ(r.untagged.size(), 3u);
}

}  // namespace
}  // namespace mail::imapd::testing
