// CAPABILITY, NOOP, CHECK, LOGOUT and ID through a real session.
#include <gtest/gtest.h>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

bool contains(const std::vector<std::string>& lines, std::string_view text) {
  for (const auto& l : lines)
    if (l.find(text) != std::string::npos) return true;
  return false;
}

TEST(AnyState, GreetingCarriesCapabilities) {
  SessionHarness h;
  TestClient c = h.connect();
  EXPECT_EQ(c.greeting().rfind("* OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ ", 0), 0u)
      << c.greeting();
  EXPECT_NE(c.greeting().find(" AUTH=PLAIN AUTH=LOGIN SASL-IR] test.example IMAP server ready"),
            std::string::npos)
      << c.greeting();
}

TEST(AnyState, CapabilityChangesAtLogin) {
  SessionHarness h;
  TestClient c = h.connect();
  auto r = c.transact("ok", "CAPABILITY");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_NE(r.untagged[0].find("AUTH=PLAIN"), std::string::npos);
  EXPECT_NE(r.untagged[0].find("APPENDLIMIT=26214400"), std::string::npos);
  EXPECT_EQ(r.tagged, "t1 OK CAPABILITY completed");
  r = c.transact("ok", "LOGIN alice@example.test pw");
  EXPECT_NE(r.tagged.find("[CAPABILITY IMAP4rev1"), std::string::npos) << r.tagged;
  r = c.transact("ok", "capability");
  EXPECT_EQ(r.untagged[0].find("AUTH=PLAIN"), std::string::npos) << r.untagged[0];
}

TEST(AnyState, NoopAndCheckReportNewMail) {
  SessionHarness h;
  TestClient c = h.login();
  c.transact("ok", "NOOP");
  c.transact("bad", "CHECK");  // CHECK needs a selected mailbox
  c.transact("ok", "SELECT INBOX");
  h.deliver(make_message("one"));
  auto r = c.transact("ok", "NOOP");
  EXPECT_TRUE(contains(r.untagged, "* 1 EXISTS"));
  h.deliver(make_message("two"));
  r = c.transact("ok", "CHECK");
  EXPECT_TRUE(contains(r.untagged, "* 2 EXISTS"));
}

TEST(AnyState, LogoutSaysByeThenOkThenCloses) {
  SessionHarness h;
  TestClient c = h.connect();
  auto r = c.transact("ok", "LOGOUT");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_EQ(r.untagged[0].rfind("* BYE", 0), 0u);
  EXPECT_TRUE(c.closed_by_server());
}

TEST(AnyState, Id) {
  SessionHarness h;
  TestClient c = h.connect();
  auto r = c.transact("ok", "ID (\"name\" \"tester\")");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_EQ(r.untagged[0], "* ID (\"name\" \"mailsuite\")");
  c.transact("ok", "ID NIL");
  c.transact("bad", "ID (\"odd\")");
}

}  // namespace
}  // namespace mail::imapd::testing
