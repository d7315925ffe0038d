// COPY, UID COPY, MOVE and UID MOVE through real sessions: COPYUID, TRYCREATE, OVERQUOTA,
// EXPUNGEISSUED, and MOVE's untagged COPYUID then EXPUNGE (or VANISHED).
#include <gtest/gtest.h>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

std::string uidvalidity(SessionHarness& h, std::string_view name) {
  return std::to_string(h.store().mailbox(kUser, name)->uid_validity);
}

TEST(Copy, CopyUidAndTryCreate) {
  SessionHarness h;
  for (int i = 0; i < 3; ++i) h.deliver(make_message(std::to_string(i)), "INBOX", store::kFlagged);
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  auto r = c.transact("ok", "COPY 2:3 Archive");
  EXPECT_EQ(r.tagged, "t3 OK [COPYUID " + uidvalidity(h, "Archive") + " 2:3 1:2] COPY completed");
  r = c.transact("ok", "UID COPY 1 Archive");
  EXPECT_EQ(r.tagged, "t4 OK [COPYUID " + uidvalidity(h, "Archive") + " 1 3] UID COPY completed");
  r = c.transact("no", "COPY 1 Nowhere");
  EXPECT_NE(r.tagged.find("[TRYCREATE]"), std::string::npos);
  c.transact("bad", "COPY 9 Archive");
  c.transact("ok", "UID COPY 9 Archive");  // no such UID: nothing to copy
  // Copies keep flags.
  c.transact("ok", "SELECT Archive");
  r = c.transact("ok", "FETCH 1:* FLAGS");
  ASSERT_EQ(r.untagged.size(), 3u);
  EXPECT_EQ(r.untagged[0], "* 1 FETCH (FLAGS (\\Recent \\Flagged))");  // new here
}

TEST(Copy, IntoTheSelectedMailboxAnnouncesExists) {
  SessionHarness h;
  h.deliver(make_message("a"));
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  auto r = c.transact("ok", "COPY 1 INBOX");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 2 EXISTS", "* 2 RECENT"}));
}

TEST(Copy, OverQuota) {
  SessionHarness h;
  h.deliver(make_message("a", 4000));
  ASSERT_TRUE(h.store().set_quota(kUser, store::QuotaLimits{std::nullopt, 1}).ok());
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  auto r = c.transact("no", "COPY 1 Archive");
  EXPECT_NE(r.tagged.find("[OVERQUOTA]"), std::string::npos);
  // MOVE does not add to the usage: allowed.
  r = c.transact("ok", "MOVE 1 Archive");
}

TEST(Move, CopyUidThenExpunge) {
  SessionHarness h;
  for (int i = 0; i < 4; ++i) h.deliver(make_message(std::to_string(i)));
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  auto r = c.transact("ok", "MOVE 2,4 Trash");
  const std::string v = uidvalidity(h, "Trash");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* OK [COPYUID " + v + " 2,4 1:2] Moved UIDs",
                                                  "* 4 EXPUNGE", "* 2 EXPUNGE"}));
  r = c.transact("ok", "UID MOVE 3 Trash");
  EXPECT_EQ(r.untagged,
            (std::vector<std::string>{"* OK [COPYUID " + v + " 3 3] Moved UIDs", "* 2 EXPUNGE"}));
  r = c.transact("ok", "FETCH 1:* UID");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 1 FETCH (UID 1)"}));
  c.transact("ok", "EXAMINE INBOX");
  r = c.transact("no", "MOVE 1 Trash");
  EXPECT_NE(r.tagged.find("[READ-ONLY]"), std::string::npos);
}

TEST(Move, VanishedWithQresync) {
  SessionHarness h;
  for (int i = 0; i < 3; ++i) h.deliver(make_message(std::to_string(i)));
  TestClient c = h.login();
  c.transact("ok", "ENABLE QRESYNC");
  c.transact("ok", "SELECT INBOX");
  auto r = c.transact("ok", "UID MOVE 1:2 Trash");
  ASSERT_EQ(r.untagged.size(), 2u);
  EXPECT_EQ(r.untagged[1], "* VANISHED 1:2");
  EXPECT_NE(r.tagged.find("OK [HIGHESTMODSEQ "), std::string::npos);
}

TEST(Copy, MessageExpungedByAnotherSession) {
  SessionHarness h;
  for (int i = 0; i < 2; ++i) h.deliver(make_message(std::to_string(i)));
  TestClient a = h.login();
  TestClient b = h.login();
  a.transact("ok", "SELECT INBOX");
  b.transact("ok", "SELECT INBOX");
  b.transact("ok", "STORE 1 +FLAGS.SILENT (\\Deleted)");
  b.transact("ok", "EXPUNGE");
  auto r = a.transact("no", "COPY 1:2 Archive");  // nothing copied, and the expunge is told
  EXPECT_NE(r.tagged.find("[EXPUNGEISSUED]"), std::string::npos);
  r = a.transact("ok", "NOOP");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 1 EXPUNGE"}));
  r = a.transact("ok", "COPY 1 Archive");
}

}  // namespace
}  // namespace mail::imapd::testing
