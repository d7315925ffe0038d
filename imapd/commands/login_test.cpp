// STARTTLS, LOGIN and AUTHENTICATE through a real session and the real Authenticator (no
// TLS in this harness: plaintext logins are allowed from loopback unless a test turns
// that off).
#include <gtest/gtest.h>

#include "auth/sasl/scram_test_client.h"
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

TEST(Login, CapabilitiesListTheAuthenticatorsMechanisms) {
  SessionHarness h;
  TestClient c = h.connect();
  // No SCRAM-SHA-256-PLUS without TLS 1.3.
  EXPECT_NE(c.greeting().find(" AUTH=SCRAM-SHA-256 AUTH=PLAIN AUTH=LOGIN SASL-IR"),
            std::string::npos)
      << c.greeting();
  EXPECT_EQ(c.greeting().find("-PLUS"), std::string::npos) << c.greeting();
  EXPECT_EQ(c.greeting().find("LOGINDISABLED"), std::string::npos) << c.greeting();
  auto r = c.transact("ok", "LOGIN alice@example.test pw");
  EXPECT_EQ(r.tagged.find(" AUTH="), std::string::npos) << r.tagged;  // not after login
}

TEST(Authenticate, LoginMechanismWithChallengesAndCancel) {
  SessionHarness h;
  TestClient c = h.connect();
  c.send_command("AUTHENTICATE LOGIN\r\n");
  EXPECT_EQ(c.read_line(), "+ VXNlcm5hbWU6");  // "Username:"
  c.send("*\r\n");
  auto r = c.wait("bad");
  EXPECT_NE(r.tagged.find("cancelled"), std::string::npos) << r.tagged;
  c.send_command("AUTHENTICATE LOGIN\r\n");
  EXPECT_EQ(c.read_line(), "+ VXNlcm5hbWU6");
  c.send(base64_encode("alice@example.test") + "\r\n");
  EXPECT_EQ(c.read_line(), "+ UGFzc3dvcmQ6");  // "Password:"
  c.send(base64_encode("pw") + "\r\n");
  r = c.wait("ok");
  EXPECT_NE(r.tagged.find("[CAPABILITY "), std::string::npos) << r.tagged;
  c.transact("ok", "SELECT INBOX");
}

TEST(Authenticate, ScramSha256WithInitialResponse) {
  SessionHarness h;
  TestClient c = h.connect();
  auth::sasl::ScramTestClient client;
  client.bare = "n=alice@example.test,r=imapclientnonce";
  client.password = "pw";
  c.send_command("AUTHENTICATE SCRAM-SHA-256 " + base64_encode(client.first()) + "\r\n");
  std::string line = c.read_line();
  ASSERT_EQ(line.rfind("+ ", 0), 0u) << line;
  const std::string server_first = base64_decode(line.substr(2)).value_or("");
  c.send(base64_encode(client.final(server_first)) + "\r\n");
  line = c.read_line();
  ASSERT_EQ(line.rfind("+ ", 0), 0u) << line;
  EXPECT_EQ(base64_decode(line.substr(2)).value_or(""), client.expected_server_signature);
  c.send("\r\n");
  c.wait("ok");
  // SCRAM-SHA-256-PLUS is not offered without TLS 1.3.
  TestClient d = h.connect();
  auto r = d.transact("no", "AUTHENTICATE SCRAM-SHA-256-PLUS");
  EXPECT_NE(r.tagged.find("[CANNOT]"), std::string::npos) << r.tagged;
}

TEST(Authenticate, MalformedAndForeignIdentity) {
  SessionHarness h;
  TestClient c = h.connect();
  c.transact("bad", "AUTHENTICATE PLAIN !!!notbase64");
  auto r = c.transact(
      "no", "AUTHENTICATE PLAIN " +
                base64_encode(std::string("bob@example.test\0alice@example.test\0pw", 38)));
  EXPECT_NE(r.tagged.find("[AUTHORIZATIONFAILED]"), std::string::npos) << r.tagged;
}

// Issue 14 finding 7: a session ends after imapd.max_login_failures failed logins.
TEST(Login, DisconnectsAfterTooManyFailures) {
  SessionHarness h([](Config& cfg) { cfg.imapd.max_login_failures = 2; });
  TestClient c = h.connect();
  c.transact("no", "LOGIN alice@example.test wrong1");
  auto r = c.transact(
      "no", "AUTHENTICATE PLAIN " + base64_encode(std::string("\0alice@example.test\0wrong2", 26)));
  EXPECT_NE(r.tagged.find("[AUTHENTICATIONFAILED]"), std::string::npos) << r.tagged;
  EXPECT_EQ(c.pending(), "* BYE Too many failed logins\r\n");
  EXPECT_TRUE(c.closed_by_server());
}

// The shared throttle refuses an account after its failure limit: NO [UNAVAILABLE], even
// with the right password, and before any hashing.
TEST(Login, ThrottledAccountIsUnavailable) {
  SessionHarness h([](Config& cfg) {
    cfg.auth.account_failure_limit = 2;
    cfg.auth.lockout = 60;
    cfg.imapd.max_login_failures = 10;
  });
  TestClient c = h.connect();
  c.transact("no", "LOGIN alice@example.test wrong");
  c.transact("no", "LOGIN alice@example.test wrong");
  auto r = c.transact("no", "LOGIN alice@example.test pw");
  EXPECT_NE(r.tagged.find("[UNAVAILABLE]"), std::string::npos) << r.tagged;
}

}  // namespace
}  // namespace mail::imapd::testing
