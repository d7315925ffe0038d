// CONDSTORE and QRESYNC (RFC 7162) through real sessions: HIGHESTMODSEQ on SELECT, the
// MODSEQ item, CHANGEDSINCE, STORE UNCHANGEDSINCE with [MODIFIED], ENABLE QRESYNC,
// SELECT (QRESYNC ...) with VANISHED (EARLIER), UID FETCH ... (CHANGEDSINCE n VANISHED),
// and VANISHED instead of EXPUNGE.
#include <gtest/gtest.h>

#include <regex>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

uint64_t highest_modseq(const TestClient::Reply& r) {
  static const std::regex kCode(R"(\[HIGHESTMODSEQ (\d+)\])");
  std::smatch m;
  for (const auto& line : r.untagged)
    if (std::regex_search(line, m, kCode)) return std::stoull(m[1].str());
  if (std::regex_search(r.tagged, m, kCode)) return std::stoull(m[1].str());
  ADD_FAILURE() << "no HIGHESTMODSEQ";
  return 0;
}

TEST(Condstore, ModseqAndUnchangedSince) {
  SessionHarness h;
  for (int i = 0; i < 3; ++i) h.deliver(make_message(std::to_string(i)));
  TestClient c = h.login();
  auto r = c.transact("ok", "SELECT INBOX (CONDSTORE)");
  const uint64_t m0 = highest_modseq(r);
  r = c.transact("ok", "FETCH 1 (MODSEQ)");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_NE(r.untagged[0].find("* 1 FETCH (MODSEQ ("), std::string::npos);
  // Message 2 changes; a conditional store on 1:3 unchanged since m0 leaves it alone.
  r = c.transact("ok", "STORE 2 +FLAGS (\\Flagged)");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_NE(r.untagged[0].find("MODSEQ ("), std::string::npos);  // CONDSTORE is on
  r = c.transact("ok", "STORE 1:3 (UNCHANGEDSINCE " + std::to_string(m0) + ") +FLAGS (\\Seen)");
  EXPECT_EQ(r.tagged, "t5 OK [MODIFIED 2] Conditional STORE failed");
  EXPECT_EQ(r.untagged.size(), 2u);
  r = c.transact("ok", "UID STORE 1:3 (UNCHANGEDSINCE 1) +FLAGS.SILENT (\\Answered)");
  EXPECT_EQ(r.tagged, "t6 OK [MODIFIED 1:3] Conditional STORE failed");
  // CHANGEDSINCE: only what changed after m0, MODSEQ included.
  r = c.transact("ok", "FETCH 1:* (FLAGS) (CHANGEDSINCE " + std::to_string(m0) + ")");
  ASSERT_EQ(r.untagged.size(), 3u);
  r = c.transact("ok", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 9999999)");
  EXPECT_TRUE(r.untagged.empty());
}

// RFC 7162 section 3.1: a CONDSTORE enabling command in the selected state brings the
// mailbox's HIGHESTMODSEQ, once (imaptest's esearch-condstore starts with FETCH 1 MODSEQ).
TEST(Condstore, ImplicitEnableReportsHighestModseq) {
  SessionHarness h;
  h.deliver(make_message("a"));
  TestClient c = h.login();
  auto r = c.transact("ok", "SELECT INBOX");
  const uint64_t m0 = highest_modseq(r);
  r = c.transact("ok", "FETCH 1 MODSEQ");
  ASSERT_EQ(r.untagged.size(), 2u);
  EXPECT_EQ(r.untagged[0], "* OK [HIGHESTMODSEQ " + std::to_string(m0) + "] Highest");
  EXPECT_NE(r.untagged[1].find("* 1 FETCH (MODSEQ ("), std::string::npos);
  r = c.transact("ok", "FETCH 1 MODSEQ");
  EXPECT_EQ(r.untagged.size(), 1u);  // already on
  r = c.transact("ok", "ENABLE CONDSTORE");
  EXPECT_EQ(r.untagged, std::vector<std::string>{"* ENABLED"});
}

TEST(Condstore, SilentStoreStillReportsModseq) {
  SessionHarness h;
  h.deliver(make_message("a"));
  TestClient c = h.login();
  c.transact("ok", "ENABLE CONDSTORE");
  c.transact("ok", "SELECT INBOX");
  auto r = c.transact("ok", "UID STORE 1 +FLAGS.SILENT (\\Seen)");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_EQ(r.untagged[0].rfind("* 1 FETCH (UID 1 MODSEQ (", 0), 0u) << r.untagged[0];
}

TEST(Qresync, SelectResynchronizes) {
  SessionHarness h;
  for (int i = 0; i < 5; ++i) h.deliver(make_message(std::to_string(i)));
  const uint32_t validity = h.store().mailbox(kUser, "INBOX")->uid_validity;
  TestClient c = h.login();
  c.transact("bad", "SELECT INBOX (QRESYNC (1 1))");  // not enabled yet
  auto r = c.transact("ok", "ENABLE QRESYNC");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* ENABLED QRESYNC"}));
  r = c.transact("ok", "SELECT INBOX");
  const uint64_t m0 = highest_modseq(r);
  // Another session changes a flag and expunges two messages.
  TestClient other = h.login();
  other.transact("ok", "SELECT INBOX");
  other.transact("ok", "STORE 5 +FLAGS.SILENT (\\Seen)");
  other.transact("ok", "STORE 1,3 +FLAGS.SILENT (\\Deleted)");
  other.transact("ok", "EXPUNGE");
  c.transact("ok", "UNSELECT");
  r = c.transact("ok", "SELECT INBOX (QRESYNC (" + std::to_string(validity) + " " +
                           std::to_string(m0) + " 1:5))");
  std::vector<std::string> tail(r.untagged.end() - 2, r.untagged.end());
  EXPECT_EQ(tail[0], "* VANISHED (EARLIER) 1,3");
  EXPECT_EQ(tail[1].rfind("* 3 FETCH (UID 5 MODSEQ (", 0), 0u) << tail[1];
  EXPECT_NE(tail[1].find("FLAGS (\\Seen)"), std::string::npos);
  // known-uids limits VANISHED; a wrong UIDVALIDITY means a plain SELECT.
  r = c.transact("ok", "SELECT INBOX (QRESYNC (" + std::to_string(validity) + " " +
                           std::to_string(m0) + " 2:3))");
  EXPECT_EQ(r.untagged[0], "* OK [CLOSED] Previous mailbox closed");
  EXPECT_NE(std::find(r.untagged.begin(), r.untagged.end(), "* VANISHED (EARLIER) 3"),
            r.untagged.end());
  r = c.transact("ok", "SELECT INBOX (QRESYNC (" + std::to_string(validity + 1) + " 1))");
  for (const auto& line : r.untagged) EXPECT_EQ(line.find("VANISHED"), std::string::npos);
  // UID FETCH ... VANISHED.
  r = c.transact("ok", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE " + std::to_string(m0) + " VANISHED)");
  ASSERT_GE(r.untagged.size(), 2u);
  EXPECT_EQ(r.untagged[0], "* VANISHED (EARLIER) 1,3");
  c.transact("bad", "FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)");  // needs UID FETCH
}

TEST(Qresync, VanishedInsteadOfExpunge) {
  SessionHarness h;
  for (int i = 0; i < 3; ++i) h.deliver(make_message(std::to_string(i)), "INBOX", store::kDeleted);
  TestClient c = h.login();
  c.transact("ok", "ENABLE QRESYNC");
  c.transact("ok", "SELECT INBOX");
  auto r = c.transact("ok", "UID EXPUNGE 2:3");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* VANISHED 2:3"}));
  EXPECT_NE(r.tagged.find("[HIGHESTMODSEQ "), std::string::npos);
}

}  // namespace
}  // namespace mail::imapd::testing
