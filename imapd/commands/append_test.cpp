// APPEND through a real session: literals of each kind, APPENDUID, the size limit.
#include <gtest/gtest.h>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

void small_appendlimit(Config& cfg) {
  cfg.imapd.max_literal_size = 4096;
}

TEST(Append, SynchronizingLiteral) {
  SessionHarness h;
  TestClient c = h.login();
  const std::string m = make_message("sync");
  c.send_command("APPEND INBOX (\\Seen) {" + std::to_string(m.size()) + "}\r\n");
  EXPECT_EQ(c.read_line().rfind("+ ", 0), 0u);
  c.send(m + "\r\n");
  auto r = c.wait("ok");
  EXPECT_NE(r.tagged.find("[APPENDUID "), std::string::npos) << r.tagged;
  EXPECT_NE(r.tagged.find(" 1] APPEND completed"), std::string::npos) << r.tagged;
  auto stored = h.store().messages(h.store().mailbox(kUser, "INBOX")->id);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].flags.system, store::kSeen);
  EXPECT_EQ(*h.store().message_bytes(h.store().mailbox(kUser, "INBOX")->id, 1), m);
}

TEST(Append, NonSynchronizingLiteralAndLiteral8IntoSelectedMailbox) {
  SessionHarness h;
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  const std::string m = make_message("nonsync");
  auto r = c.transact("ok", "APPEND INBOX \"17-Jul-1996 02:44:25 -0700\" {" +
                                std::to_string(m.size()) + "+}\r\n" + m);
  ASSERT_FALSE(r.untagged.empty());
  // The selected mailbox learns at once, and the message is \Recent in this session.
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 1 EXISTS", "* 1 RECENT"}));
  r = c.transact("ok", "APPEND INBOX ~{" + std::to_string(m.size()) + "+}\r\n" + m);
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 2 EXISTS", "* 2 RECENT"}));
  r = c.transact("ok", "FETCH 1 INTERNALDATE");
  EXPECT_EQ(r.untagged.back(), "* 1 FETCH (INTERNALDATE \"17-Jul-1996 09:44:25 +0000\")");
}

// imaptest's append-binary: a binary part holding NUL, appended as literal8. BINARY gives
// its octets in a literal8 with their exact size; BODY shows NUL as 0x80 in a plain
// literal (RFC 9051 section 4.3: no NUL there), as Dovecot does.
TEST(Append, BinaryPartWithNul) {
  SessionHarness h;
  TestClient c = h.login();
  const std::string body("\0-\xe4\n\r\n\n", 7);
  const std::string m =
      "From: user@domain.org\r\nMime-Version: 1.0\r\n"
      "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n" +
      body;
  c.transact("ok", "APPEND INBOX ~{" + std::to_string(m.size()) + "+}\r\n" + m);
  c.transact("ok", "SELECT INBOX");
  auto r = c.transact("ok", "FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[1])");
  EXPECT_EQ(r.untagged.at(0), "* 1 FETCH (BINARY.SIZE[1] 7 BINARY[1] ~{7}\r\n" + body + ")");
  r = c.transact("ok", "FETCH 1 (BODY.PEEK[1])");
  EXPECT_EQ(r.untagged.at(0), "* 1 FETCH (BODY[1] {7}\r\n\x80-\xe4\n\r\n\n)");
}

TEST(Append, MissingMailboxAndBadFlags) {
  SessionHarness h;
  TestClient c = h.login();
  auto r = c.transact("no", "APPEND Nowhere {3+}\r\nabc");
  EXPECT_NE(r.tagged.find("[TRYCREATE]"), std::string::npos);
  c.transact("bad", "APPEND INBOX (\\Bogus) {3+}\r\nabc");
  c.transact("no", "APPEND INBOX {0+}\r\n");
}

TEST(Append, OverTheLimit) {
  SessionHarness h(small_appendlimit);
  TestClient c = h.login();
  auto r = c.transact("ok", "CAPABILITY");
  EXPECT_NE(r.untagged[0].find("APPENDLIMIT=4096"), std::string::npos);
  // At the limit: accepted. One over: NO [TOOBIG] before the octets are sent.
  c.transact("ok", "APPEND INBOX {4096+}\r\n" + std::string(4096, 'x'));
  c.send_command("APPEND INBOX {4097}\r\n");
  EXPECT_EQ(c.read_line(), "t4 NO [TOOBIG] Literal too large");
  c.transact("ok", "NOOP");  // in step
  // Non-synchronizing: the octets are on the way; BYE and close.
  c.send_command("APPEND INBOX {4097+}\r\n");
  EXPECT_EQ(c.read_line(), "* BYE [TOOBIG] Literal too large");
  EXPECT_TRUE(c.closed_by_server());
}

// RFC 3502: several messages in one command, each with its flags and date, one APPENDUID
// with their UIDs in order; all stored or none.
TEST(Append, MultiAppend) {
  SessionHarness h;
  TestClient c = h.login();
  auto caps = c.transact("ok", "CAPABILITY").untagged.at(0);
  EXPECT_NE(caps.find(" MULTIAPPEND"), std::string::npos);
  const std::string a = make_message("first"), b = make_message("second");
  const std::string tag = c.next_tag();
  auto r = c.transact("ok", "APPEND Drafts (\\Draft) {" + std::to_string(a.size()) + "+}\r\n" + a +
                                " (\\Seen $Work) \" 1-Jan-2020 00:00:00 +0000\" {" +
                                std::to_string(b.size()) + "+}\r\n" + b);
  const auto drafts = h.store().mailbox(kUser, "Drafts");
  EXPECT_EQ(r.tagged, tag + " OK [APPENDUID " + std::to_string(drafts->uid_validity) +
                          " 1:2] APPEND completed");
  auto stored = h.store().messages(drafts->id);
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[0].flags.system, store::kDraft);
  EXPECT_EQ((*stored)[1].flags.system, store::kSeen);
  EXPECT_EQ((*stored)[1].flags.keywords, std::vector<std::string>{"$Work"});
  EXPECT_EQ((*stored)[1].internal_date, 1577836800);
  // Synchronizing literals: a continuation for each.
  c.send_command("APPEND Drafts {" + std::to_string(a.size()) + "}\r\n");
  EXPECT_EQ(c.read_line().rfind("+ ", 0), 0u);
  c.send(a + " {" + std::to_string(b.size()) + "}\r\n");
  EXPECT_EQ(c.read_line().rfind("+ ", 0), 0u);
  c.send(b + "\r\n");
  r = c.wait("ok");
  EXPECT_NE(r.tagged.find(" 3:4] "), std::string::npos) << r.tagged;
  // An empty message cancels the whole command (RFC 3502 section 6.3.11).
  c.transact("no", "APPEND Drafts {" + std::to_string(a.size()) + "+}\r\n" + a + " {0+}\r\n");
  // A bad flag on the second message: nothing is stored.
  c.transact("bad", "APPEND Drafts {" + std::to_string(a.size()) + "+}\r\n" + a + " (\\Bogus) {" +
                        std::to_string(b.size()) + "+}\r\n" + b);
  EXPECT_EQ(h.store().mailbox(kUser, "Drafts")->messages, 4u);
}

TEST(Append, AllMessagesTogetherWithinTheCommandLimit) {
  SessionHarness h([](Config& cfg) {
    cfg.imapd.max_literal_size = 4096;
    cfg.imapd.max_append_command_size = 6000;
  });
  TestClient c = h.login();
  const std::string m(3000, 'x');
  const std::string lit = "{3000+}\r\n" + m;
  c.transact("ok", "APPEND INBOX " + lit + " {3000+}\r\n" + std::string(3000, 'y'));
  const std::string tag = c.next_tag();
  c.send_command("APPEND INBOX " + lit + " {3001}\r\n");  // 6001 in all
  EXPECT_EQ(c.read_line(), tag + " NO [TOOBIG] Literal too large");
  c.transact("ok", "NOOP");
}

TEST(Append, Utf8AfterEnable) {
  SessionHarness h;
  TestClient c = h.login();
  auto caps = c.transact("ok", "CAPABILITY").untagged.at(0);
  EXPECT_NE(caps.find(" UTF8=ACCEPT"), std::string::npos) << caps;
  const std::string m =
      "From: J\xc3\xb6rg <j@example.test>\r\nSubject: Gr\xc3\xbc\xc3\x9f\xc3\xa9\r\n\r\nhi\r\n";
  const std::string utf8 = "APPEND INBOX UTF8 (~{" + std::to_string(m.size()) + "+}\r\n" + m + ")";
  c.transact("bad", utf8);  // only after ENABLE UTF8=ACCEPT
  c.transact("ok", "ENABLE UTF8=ACCEPT");
  c.transact("ok", utf8);
  EXPECT_EQ(*h.store().message_bytes(h.store().mailbox(kUser, "INBOX")->id, 1), m);
}

TEST(Append, MailboxNamesAndErrors) {
  SessionHarness h;
  ASSERT_TRUE(h.store().create_mailbox(kUser, "Entw\xc3\xbcrfe"));
  TestClient c = h.login();
  c.transact("ok", "APPEND Entw&APw-rfe {3+}\r\nabc");
  EXPECT_EQ(h.store().mailbox(kUser, "Entw\xc3\xbcrfe")->messages, 1u);
  auto r = c.transact("no", "APPEND \"Q&A\" {3+}\r\nabc");
  EXPECT_NE(r.tagged.find("[CANNOT]"), std::string::npos);
  r = c.transact("no", "APPEND Nowhere {3+}\r\nabc {3+}\r\nabc");
  EXPECT_NE(r.tagged.find("[TRYCREATE]"), std::string::npos);
}

}  // namespace
}  // namespace mail::imapd::testing
