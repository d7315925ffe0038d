// STARTTLS, LOGIN and AUTHENTICATE through a real session (no TLS in this harness:
// plaintext logins are allowed from loopback unless a test turns that off).
#include <gtest/gtest.h>

#include "common/base64.h"
#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

TEST(Login, SucceedsAndFails) {
  SessionHarness h;
  TestClient c = h.connect();
  auto r = c.transact("no", "LOGIN alice@example.test wrong");
  EXPECT_NE(r.tagged.find("[AUTHENTICATIONFAILED]"), std::string::npos) << r.tagged;
  c.transact("ok", "LOGIN \"alice@example.test\" {2}\r\npw");
  c.transact("bad", "LOGIN alice@example.test pw");  // not allowed once logged in
  c.transact("ok", "SELECT INBOX");
}

TEST(Login, LiteralsNeedContinuation) {
  SessionHarness h;
  TestClient c = h.connect();
  c.send_command("LOGIN {18}\r\n");
  EXPECT_EQ(c.read_line().rfind("+ ", 0), 0u);
  c.send("alice@example.test {2+}\r\npw\r\n");
  c.wait("ok");
}

TEST(Login, RefusedWithoutTls) {
  SessionHarness h([](Config& cfg) { cfg.imapd.allow_plaintext_auth_on_loopback = false; });
  TestClient c = h.connect();
  EXPECT_NE(c.greeting().find("LOGINDISABLED"), std::string::npos) << c.greeting();
  auto r = c.transact("no", "LOGIN alice@example.test pw");
  EXPECT_NE(r.tagged.find("[PRIVACYREQUIRED]"), std::string::npos) << r.tagged;
  c.transact("no", "AUTHENTICATE PLAIN");
  c.transact("bad", "STARTTLS");  // no certificate in this harness
}

TEST(Authenticate, PlainWithInitialResponse) {
  SessionHarness h;
  TestClient c = h.connect();
  std::string ir = base64_encode(std::string("\0alice@example.test\0pw", 22));
  c.transact("ok", "AUTHENTICATE PLAIN " + ir);
  c.transact("ok", "SELECT INBOX");
}

TEST(Authenticate, PlainWithEmptyChallenge) {
  SessionHarness h;
  TestClient c = h.connect();
  c.send_command("AUTHENTICATE PLAIN\r\n");
  EXPECT_EQ(c.read_line(), "+ ");
  c.send(base64_encode(std::string("\0alice@example.test\0wrong", 25)) + "\r\n");
  c.wait("no");
  c.send_command("AUTHENTICATE PLAIN\r\n");
  EXPECT_EQ(c.read_line(), "+ ");
  c.send("*\r\n");
  c.wait("bad");
  c.transact("no", "AUTHENTICATE CRAM-MD5");
}

// Issue 14 finding 4: before login only small literals (imapd.max_literal_before_login).
TEST(Login, LiteralsBeforeLoginAreSmall) {
  SessionHarness h([](Config& cfg) { cfg.imapd.max_literal_before_login = 1000; });
  TestClient c = h.connect();
  c.send_command("LOGIN {1001}\r\n");
  EXPECT_EQ(c.read_line(), "t1 NO [TOOBIG] Literal too large");
  c.transact("ok", "LOGIN {18}\r\nalice@example.test pw");  // at the limit and after: fine
  c.transact("ok", "LOGOUT");
  TestClient d = h.connect();
  d.send_command("LOGIN {1001+}\r\n");
  EXPECT_EQ(d.read_line(), "* BYE [TOOBIG] Literal too large");
  EXPECT_TRUE(d.closed_by_server());
}

}  // namespace
}  // namespace mail::imapd::testing
