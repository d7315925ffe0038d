// URLAUTH (RFC 4467) and URLAUTH=BINARY (RFC 5524) through a real session: GENURLAUTH,
// URLFETCH by the owner and by another user, access identifiers, RESETKEY, expiry, forged
// tokens, the BINARY / BODYPARTSTRUCTURE forms, and the limits on URLs.
#include <gtest/gtest.h>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

constexpr std::string_view kBob = "bob@example.test";

// The URL GENURLAUTH returned (its only untagged reply is `* GENURLAUTH "url"`).
std::string generated_url(const TestClient::Reply& r) {
  EXPECT_EQ(r.untagged.size(), 1u);
  if (r.untagged.empty()) return {};
  const std::string& line = r.untagged[0];
  const size_t open = line.find('"');
  const size_t close = line.rfind('"');
  EXPECT_NE(open, std::string::npos);
  return line.substr(open + 1, close - open - 1);
}

std::string genurlauth(TestClient& c, std::string_view rump) {
  return generated_url(c.transact("ok", "GENURLAUTH \"" + std::string(rump) + "\" INTERNAL"));
}

struct UrlauthTest : ::testing::Test {
  void SetUp() override {
    ASSERT_TRUE(h.directory().add_account(kBob, kPassword));
    ASSERT_TRUE(h.store().create_account(kBob));
    uid = h.deliver(message);
  }
  TestClient login_bob() {
    TestClient c = h.connect();
    c.transact("ok", "LOGIN " + std::string(kBob) + " " + std::string(kPassword));
    return c;
  }
  std::string rump(std::string_view access, std::string_view tail = "") {
    return "imap://alice@example.test/INBOX/;UID=" + std::to_string(uid) + std::string(tail) +
           ";URLAUTH=" + std::string(access);
  }
  SessionHarness h;
  const std::string message = make_message("urlauth");
  uint32_t uid = 0;
};

TEST_F(UrlauthTest, Advertised) {
  TestClient c = h.login();
  const auto r = c.transact("ok", "CAPABILITY");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_NE(r.untagged[0].find(" URLAUTH "), std::string::npos) << r.untagged[0];
  EXPECT_NE(r.untagged[0].find(" URLAUTH=BINARY"), std::string::npos) << r.untagged[0];
}

TEST_F(UrlauthTest, OwnerFetchesThenResetkeyRevokes) {
  TestClient c = h.login();
  const std::string url = genurlauth(c, rump("user+alice@example.test"));
  ASSERT_TRUE(url.starts_with(rump("user+alice@example.test") + ":INTERNAL:")) << url;
  EXPECT_EQ(url.size(), rump("user+alice@example.test").size() + 10 + 40);
  auto r = c.transact("ok", "URLFETCH \"" + url + "\"");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_EQ(r.untagged[0],
            "* URLFETCH \"" + url + "\" {" + std::to_string(message.size()) + "}\r\n" + message);
  // Another user may not use a user+alice URL.
  TestClient bob = login_bob();
  r = bob.transact("ok", "URLFETCH \"" + url + "\"");
  EXPECT_EQ(r.untagged, std::vector<std::string>{"* URLFETCH \"" + url + "\" NIL"});
  // RESETKEY of the mailbox: the URL is dead.
  r = c.transact("ok", "RESETKEY INBOX INTERNAL");
  EXPECT_NE(r.tagged.find("[URLMECH INTERNAL]"), std::string::npos);
  r = c.transact("ok", "URLFETCH \"" + url + "\"");
  EXPECT_EQ(r.untagged, std::vector<std::string>{"* URLFETCH \"" + url + "\" NIL"});
  // A new URL works again (a new key); RESETKEY of every mailbox kills it too.
  const std::string again = genurlauth(c, rump("user+alice@example.test"));
  EXPECT_NE(again, url);
  r = c.transact("ok", "URLFETCH \"" + again + "\"");
  EXPECT_NE(r.untagged[0].find(message), std::string::npos);
  c.transact("ok", "RESETKEY");
  r = c.transact("ok", "URLFETCH \"" + again + "\"");
  EXPECT_EQ(r.untagged, std::vector<std::string>{"* URLFETCH \"" + again + "\" NIL"});
}

TEST_F(UrlauthTest, AuthuserAndAnonymousForOtherUsers) {
  TestClient c = h.login();
  const std::string authuser = genurlauth(c, rump("authuser", "/;SECTION=HEADER"));
  const std::string anonymous = genurlauth(c, rump("anonymous", "/;PARTIAL=0.10"));
  const std::string for_bob = genurlauth(c, rump("user+bob@example.test"));
  const std::string submit = genurlauth(c, rump("submit+alice@example.test"));
  TestClient bob = login_bob();
  auto r = bob.transact("ok", "URLFETCH \"" + authuser + "\" \"" + anonymous + "\" \"" + for_bob +
                                  "\" \"" + submit + "\"");
  ASSERT_EQ(r.untagged.size(), 4u);
  const std::string header = message.substr(0, message.find("\r\n\r\n") + 4);
  EXPECT_EQ(r.untagged[0],
            "* URLFETCH \"" + authuser + "\" {" + std::to_string(header.size()) + "}\r\n" + header);
  EXPECT_EQ(r.untagged[1], "* URLFETCH \"" + anonymous + "\" {10}\r\n" + message.substr(0, 10));
  EXPECT_NE(r.untagged[2].find(message), std::string::npos);
  EXPECT_EQ(r.untagged[3], "* URLFETCH \"" + submit + "\" NIL");  // no submission entity
}

TEST_F(UrlauthTest, ForgedExpiredAndForeignUrlsGetNil) {
  TestClient c = h.login();
  std::string url = genurlauth(c, rump("authuser"));
  std::string forged = url;
  forged.back() = forged.back() == '0' ? '1' : '0';
  const std::string expired =
      genurlauth(c, rump("authuser", ";EXPIRE=2001-01-01T00:00:00Z").replace(0, 0, ""));
  const std::string wrong_uid =
      std::string(url).replace(url.find(";UID=") + 5, std::to_string(uid).size(), "999");
  auto r = c.transact("ok", "URLFETCH \"" + forged + "\" \"" + expired + "\" \"" + wrong_uid +
                                "\" \"imap://alice@example.test/INBOX/;UID=1\" garbage");
  ASSERT_EQ(r.untagged.size(), 5u);
  for (const std::string& line : r.untagged) EXPECT_TRUE(line.ends_with(" NIL")) << line;
  // GENURLAUTH refuses what is not a rump of this user's mail.
  c.transact("bad", "GENURLAUTH \"" + url + "\" INTERNAL");  // already authorized
  c.transact("bad", "GENURLAUTH \"imap://alice@example.test/INBOX/;UID=1\" INTERNAL");
  c.transact("no", "GENURLAUTH \"" + rump("authuser") + "\" HMAC-SHA256");
  c.transact("no", "GENURLAUTH \"imap://bob@example.test/INBOX/;UID=1;URLAUTH=authuser\" INTERNAL");
  c.transact("no",
             "GENURLAUTH \"imap://alice@example.test/Nowhere/;UID=1;URLAUTH=authuser\" INTERNAL");
  c.transact("no", "RESETKEY Nowhere");
}

TEST_F(UrlauthTest, BinaryAndBodypartstructure) {
  const std::string mime =
      "From: a@example.test\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n"
      "--b--\r\n";
  const uint32_t m = h.deliver(mime);
  TestClient c = h.login();
  const std::string url =
      genurlauth(c, "imap://alice@example.test/INBOX/;UID=" + std::to_string(m) +
                        "/;SECTION=1;URLAUTH=authuser");
  auto r = c.transact("ok", "URLFETCH (\"" + url + "\" BINARY BODYPARTSTRUCTURE)");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_EQ(r.untagged[0], "* URLFETCH \"" + url +
                               "\" (BODYPARTSTRUCTURE (\"text\" \"plain\" (\"charset\" "
                               "\"us-ascii\") NIL NIL \"base64\" 5 0 NIL NIL NIL NIL) BINARY "
                               "{5}\r\nhello)");
  r = c.transact("ok", "URLFETCH (\"" + url + "\" BODY)");
  EXPECT_EQ(r.untagged[0], "* URLFETCH \"" + url + "\" (BODY {8}\r\naGVsbG8=)");
  c.transact("bad", "URLFETCH (\"" + url + "\" BODY BINARY)");
  c.transact("bad", "URLFETCH (\"" + url + "\" SIZE)");
}

TEST(UrlauthLimits, UrlsPerCommandAndUrlLength) {
  SessionHarness h([](Config& cfg) {
    cfg.imapd.max_urlfetch_urls = 3;
    cfg.imapd.max_url_length = 256;
  });
  const uint32_t uid = h.deliver(make_message("limits"));
  TestClient c = h.login();
  // A rump of exactly 256 octets is taken, one more is not.
  std::string rump = "imap://alice@example.test/INBOX/;UID=" + std::to_string(uid) +
                     ";URLAUTH=user+alice@example.test";
  const std::string base = rump;
  rump.insert(rump.find(";URLAUTH="), "/;SECTION=" + std::string(256 - base.size() - 10, '1'));
  // (a SECTION of 1s is not a valid section, but GENURLAUTH only checks the URL)
  ASSERT_EQ(rump.size(), 256u);
  const auto r = c.transact("ok", "GENURLAUTH \"" + rump + "\" INTERNAL");
  const std::string longer = std::string(rump).insert(rump.find("/;SECTION=") + 10, "1");
  c.transact("bad", "GENURLAUTH \"" + longer + "\" INTERNAL");
  // The authorized URL is over 256 octets: URLFETCH answers NIL for it.
  const std::string url = generated_url(r);
  auto f = c.transact("ok", "URLFETCH \"" + url + "\"");
  EXPECT_EQ(f.untagged, std::vector<std::string>{"* URLFETCH \"" + url + "\" NIL"});
  const std::string one = "\"" + genurlauth(c, base) + "\"";
  f = c.transact("ok", "URLFETCH " + one + " " + one + " " + one);
  EXPECT_EQ(f.untagged.size(), 3u);
  c.transact("bad", "URLFETCH " + one + " " + one + " " + one + " " + one);
}

}  // namespace
}  // namespace mail::imapd::testing
