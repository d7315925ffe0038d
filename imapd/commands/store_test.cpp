// STORE and UID STORE through a real session.
#include <gtest/gtest.h>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

TEST(Store, AddRemoveReplaceSilent) {
  SessionHarness h;
  h.deliver(make_message("a"));
  h.deliver(make_message("b"));
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  auto r = c.transact("ok", "STORE 1:2 +FLAGS (\\Flagged $Work)");
  // The new keyword is announced (FLAGS, PERMANENTFLAGS) before a FETCH names it.
  ASSERT_EQ(r.untagged.size(), 4u);
  EXPECT_EQ(r.untagged[0].rfind("* FLAGS (", 0), 0u) << r.untagged[0];
  EXPECT_NE(r.untagged[0].find("$Work"), std::string::npos) << r.untagged[0];
  EXPECT_EQ(r.untagged[2], "* 1 FETCH (FLAGS (\\Recent \\Flagged $Work))");
  r = c.transact("ok", "UID STORE 2 -FLAGS (\\Flagged)");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_EQ(r.untagged[0], "* 2 FETCH (UID 2 FLAGS (\\Recent $Work))");
  r = c.transact("ok", "STORE 1 FLAGS.SILENT (\\Seen)");
  EXPECT_TRUE(r.untagged.empty());
  r = c.transact("ok", "FETCH 1:2 FLAGS");
  EXPECT_EQ(r.untagged[0], "* 1 FETCH (FLAGS (\\Recent \\Seen))");
  EXPECT_EQ(r.untagged[1], "* 2 FETCH (FLAGS (\\Recent $Work))");
}

TEST(Store, Errors) {
  SessionHarness h;
  h.deliver(make_message("a"));
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  c.transact("bad", "STORE 1 +FLAGS (\\Bogus)");
  c.transact("bad", "STORE 2 +FLAGS (\\Seen)");
  c.transact("ok", "UID STORE 2 +FLAGS (\\Seen)");  // no such UID: nothing to do
}

TEST(Store, OtherSessionsSeeFlagChanges) {
  SessionHarness h;
  h.deliver(make_message("a"));
  TestClient a = h.login();
  TestClient b = h.login();
  a.transact("ok", "SELECT INBOX");
  b.transact("ok", "SELECT INBOX");
  a.transact("ok", "STORE 1 +FLAGS.SILENT (\\Answered)");
  auto r = b.transact("ok", "NOOP");
  ASSERT_EQ(r.untagged.size(), 1u);
  // Unsolicited FETCH carries the UID (RFC 7162 section 3.2.4 needs it with QRESYNC;
  // always allowed by RFC 9051 section 7.5.2).
  EXPECT_EQ(r.untagged[0], "* 1 FETCH (UID 1 FLAGS (\\Answered))");
}

}  // namespace
}  // namespace mail::imapd::testing
