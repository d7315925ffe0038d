// APPEND CATENATE (RFC 4469) through a real session: TEXT and URL parts put together as
// sent, BADURL and TOOBIG refusals that store nothing, TRYCREATE first, MULTIAPPEND's
// all-or-nothing, and the APPENDUID a plain APPEND gets.
#include <gtest/gtest.h>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

const std::string kSource =
    "From: a@example.test\r\nSubject: source\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
    "preamble\r\n--b\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n"
    "--b\r\nContent-Type: text/x-second\r\n\r\nsecond part\r\n--b--\r\n";
const std::string kSourceHeader =
    "From: a@example.test\r\nSubject: source\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n";

std::string text(std::string_view octets) {
  return "TEXT {" + std::to_string(octets.size()) + "+}\r\n" + std::string(octets);
}

std::string stored(SessionHarness& h, std::string_view mailbox, uint32_t uid) {
  const auto box = h.store().mailbox(kUser, mailbox);
  if (!box) return "<no mailbox>";
  auto bytes = h.store().message_bytes(box->id, uid);
  return bytes ? *bytes : "<no message>";
}

uint32_t drafts_count(SessionHarness& h) {
  return h.store().mailbox(kUser, "Drafts")->messages;
}

TEST(Catenate, Advertised) {
  SessionHarness h;
  TestClient c = h.login();
  EXPECT_NE(c.transact("ok", "CAPABILITY").untagged.at(0).find(" CATENATE"), std::string::npos);
}

TEST(Catenate, TextAndUrlPartsInOrder) {
  SessionHarness h;
  ASSERT_EQ(h.deliver(kSource), 1u);
  TestClient c = h.login();
  const uint32_t validity = h.store().mailbox(kUser, "INBOX")->uid_validity;
  const auto drafts = h.store().mailbox(kUser, "Drafts");
  const std::string tag = c.next_tag();
  auto r =
      c.transact("ok", "APPEND Drafts (\\Seen) CATENATE (URL \"/INBOX/;uid=1/;section=HEADER\" " +
                           text("new body\r\n") + ")");
  EXPECT_EQ(r.tagged, tag + " OK [APPENDUID " + std::to_string(drafts->uid_validity) +
                          " 1] APPEND completed");
  EXPECT_EQ(stored(h, "Drafts", 1), kSourceHeader + "new body\r\n");
  EXPECT_EQ(h.store().messages(drafts->id)->at(0).flags.system, store::kSeen);

  // Each URL form CATENATE takes: the whole message, with its UIDVALIDITY, a part, a
  // part's MIME header, TEXT, HEADER.FIELDS (percent-encoded), a partial.
  const std::string v = std::to_string(validity);
  const std::pair<std::string, std::string> cases[] = {
      {"/INBOX/;UID=1", kSource},
      {"/INBOX;UIDVALIDITY=" + v + "/;UID=1", kSource},
      {"/inbox/;uid=1/;section=2", "second part"},
      {"/INBOX/;uid=1/;section=2.MIME", "Content-Type: text/x-second\r\n\r\n"},
      {"/INBOX/;uid=1/;section=text", kSource.substr(kSourceHeader.size())},
      {"/INBOX/;uid=1/;section=HEADER.FIELDS%20(Subject)", "Subject: source\r\n\r\n"},
      {"/INBOX/;uid=1/;section=1/;partial=6.4", "part"},
      {"/INBOX/;uid=1/;partial=100000.1", ""},
  };
  uint32_t uid = 1;
  for (const auto& [url, octets] : cases) {
    SCOPED_TRACE(url);
    c.transact("ok",
               "APPEND Drafts CATENATE (TEXT {2+}\r\n<< URL \"" + url + "\" " + text(">>") + ")");
    EXPECT_EQ(stored(h, "Drafts", ++uid), "<<" + octets + ">>");
  }
  // The source stays unread (RFC 4469 section 3: no \Seen from catenating).
  EXPECT_EQ(h.store().messages(h.store().mailbox(kUser, "INBOX")->id)->at(0).flags.system, 0u);
}

TEST(Catenate, SynchronizingTextLiterals) {
  SessionHarness h;
  h.deliver(kSource);
  TestClient c = h.login();
  c.send_command("APPEND Drafts CATENATE (TEXT {4}\r\n");
  EXPECT_EQ(c.read_line().rfind("+ ", 0), 0u);
  c.send("ab\r\n URL \"/INBOX/;uid=1/;section=1\" TEXT {2}\r\n");
  EXPECT_EQ(c.read_line().rfind("+ ", 0), 0u);
  c.send("yz)\r\n");
  c.wait("ok");
  EXPECT_EQ(stored(h, "Drafts", 1), "ab\r\nfirst partyz");
}

TEST(Catenate, RelativeToTheSelectedMailbox) {
  SessionHarness h;
  ASSERT_TRUE(h.store().create_mailbox(kUser, "Entw\xc3\xbcrfe"));
  h.deliver(kSource, "Entw\xc3\xbcrfe");
  TestClient c = h.login();
  // A mailbox-relative URL needs a selected mailbox.
  auto r = c.transact("no", "APPEND Drafts CATENATE (URL \";UID=1\")");
  EXPECT_NE(r.tagged.find("[BADURL ;UID=1]"), std::string::npos) << r.tagged;
  c.transact("ok", "SELECT Entw&APw-rfe");
  c.transact("ok", "APPEND Drafts CATENATE (URL \";UID=1/;SECTION=1\")");
  EXPECT_EQ(stored(h, "Drafts", 1), "first part");
  // The server-relative form names the mailbox in UTF-8, percent-encoded (RFC 5092 3.3).
  c.transact("ok", "APPEND Drafts CATENATE (URL \"/Entw%C3%BCrfe/;UID=1/;SECTION=2\")");
  EXPECT_EQ(stored(h, "Drafts", 2), "second part");
}

// RFC 4469 section 4.1: NO [BADURL <the first URL that failed>], and nothing is stored.
TEST(Catenate, BadUrls) {
  SessionHarness h;
  h.deliver(kSource);
  TestClient c = h.login();
  const std::string good = "URL \"/INBOX/;uid=1\"";
  const std::string bad_urls[] = {
      "/INBOX;UIDVALIDITY=12345/;UID=1/;SECTION=HEADER",  // another UIDVALIDITY
      "/INBOX/;UID=2",                                    // no such message
      "/Nowhere/;UID=1",                                  // no such mailbox
      "/INBOX/;UID=1/;SECTION=3",                         // no such part
      "/INBOX/;UID=1/;SECTION=BOGUS",                     // not a section
      "/INBOX",                                           // a mailbox, not a message
      "imap://alice@localhost/INBOX/;UID=1",              // absolute: not this session's
      "/INBOX/;UID=1/;URLAUTH=anonymous",                 // URLAUTH is GENURLAUTH's business
      "not a url %zz",
  };
  for (const std::string& url : bad_urls) {
    SCOPED_TRACE(url);
    const std::string tag = c.next_tag();
    auto r = c.transact("no", "APPEND Drafts CATENATE (" + text("hdr: 1\r\n") + " " + good +
                                  " URL \"" + url + "\" " + good + ")");
    EXPECT_EQ(r.tagged.rfind(tag + " NO [BADURL " + url + "] ", 0), 0u) << r.tagged;
  }
  // The first bad URL is the one named.
  auto r = c.transact("no", "APPEND Drafts CATENATE (URL \"/INBOX/;UID=7\" URL \"/INBOX/;UID=8\")");
  EXPECT_NE(r.tagged.find("[BADURL /INBOX/;UID=7]"), std::string::npos) << r.tagged;
  EXPECT_EQ(drafts_count(h), 0u);
  c.transact("ok", "NOOP");  // in step
}

TEST(Catenate, MissingMailboxIsTryCreateFirst) {
  SessionHarness h;
  h.deliver(kSource);
  TestClient c = h.login();
  auto r = c.transact("no", "APPEND Nowhere CATENATE (URL \"/INBOX;UIDVALIDITY=1/;UID=1\")");
  EXPECT_NE(r.tagged.find("[TRYCREATE]"), std::string::npos) << r.tagged;
  r = c.transact("no", "APPEND Nowhere CATENATE (URL \"/INBOX/;UID=1\")");
  EXPECT_NE(r.tagged.find("[TRYCREATE]"), std::string::npos) << r.tagged;
}

// RFC 4469 section 4.2: the put-together message is held to APPENDLIMIT like a literal.
TEST(Catenate, TooBig) {
  SessionHarness h([](Config& cfg) {
    cfg.imapd.max_literal_size = 4096;
    cfg.imapd.max_append_command_size = 6000;
  });
  const std::string big = "Subject: big\r\n\r\n" + std::string(3000 - 16, 'x');
  ASSERT_EQ(big.size(), 3000u);
  h.deliver(big);
  TestClient c = h.login();
  const std::string url = " URL \"/INBOX/;UID=1\"";
  // At the limit: 3000 + 1096 = 4096.
  c.transact("ok", "APPEND Drafts CATENATE (" + text(std::string(1096, 't')) + url + ")");
  EXPECT_EQ(stored(h, "Drafts", 1).size(), 4096u);
  // One over: TOOBIG, whichever part crosses it.
  auto r = c.transact("no", "APPEND Drafts CATENATE (" + text(std::string(1097, 't')) + url + ")");
  EXPECT_NE(r.tagged.find("[TOOBIG]"), std::string::npos) << r.tagged;
  r = c.transact("no", "APPEND Drafts CATENATE (" + url.substr(1) + url + ")");
  EXPECT_NE(r.tagged.find("[TOOBIG]"), std::string::npos) << r.tagged;
  // Each message within the limit, together over the command's: 3000 + 3000 + 1.
  r = c.transact("no", "APPEND Drafts CATENATE (" + url.substr(1) + ") CATENATE (" + url.substr(1) +
                           ") {1+}\r\nz");
  EXPECT_NE(r.tagged.find("[TOOBIG]"), std::string::npos) << r.tagged;
  EXPECT_EQ(drafts_count(h), 1u);
}

// RFC 3502 with RFC 4469: every message of the command, or none.
TEST(Catenate, MultiAppendAllOrNothing) {
  SessionHarness h;
  h.deliver(kSource);
  TestClient c = h.login();
  const std::string plain = "Subject: plain\r\n\r\nbody\r\n";
  const std::string lit = "{" + std::to_string(plain.size()) + "+}\r\n" + plain;
  // A bad URL in the last message: the earlier ones are not stored either.
  auto r = c.transact("no", "APPEND Drafts CATENATE (" + text("a: 1\r\n\r\nx") + ") " + lit +
                                " CATENATE (URL \"/INBOX/;UID=9\")");
  EXPECT_NE(r.tagged.find("[BADURL /INBOX/;UID=9]"), std::string::npos) << r.tagged;
  EXPECT_EQ(drafts_count(h), 0u);
  // A bad flag on a later message: BAD, nothing stored.
  c.transact("bad", "APPEND Drafts CATENATE (URL \"/INBOX/;UID=1\") (\\Bogus) " + lit);
  EXPECT_EQ(drafts_count(h), 0u);
  // All good: one APPENDUID with the UIDs in order; forms mixed, flags per message.
  const auto drafts = h.store().mailbox(kUser, "Drafts");
  const std::string tag = c.next_tag();
  r = c.transact("ok", "APPEND Drafts CATENATE (URL \"/INBOX/;UID=1/;SECTION=HEADER\" " +
                           text("one\r\n") + ") (\\Answered) " + lit +
                           " CATENATE (URL \"/INBOX/;UID=1\")");
  EXPECT_EQ(r.tagged, tag + " OK [APPENDUID " + std::to_string(drafts->uid_validity) +
                          " 1:3] APPEND completed");
  EXPECT_EQ(stored(h, "Drafts", 1), kSourceHeader + "one\r\n");
  EXPECT_EQ(stored(h, "Drafts", 2), plain);
  EXPECT_EQ(stored(h, "Drafts", 3), kSource);
  EXPECT_EQ(h.store().messages(drafts->id)->at(1).flags.system, store::kAnswered);
}

// The stored message is analysed like any other: FETCH answers from its own summary.
TEST(Catenate, StoredMessageIsAnalysed) {
  SessionHarness h;
  h.deliver(kSource);
  TestClient c = h.login();
  c.transact("ok", "APPEND Drafts CATENATE (" + text("Subject: wrapper\r\n\r\n") +
                       " URL \"/INBOX/;UID=1/;SECTION=2\")");
  c.transact("ok", "SELECT Drafts");
  auto r =
      c.transact("ok", "FETCH 1 (RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT])");
  EXPECT_EQ(r.untagged.at(0),
            "* 1 FETCH (RFC822.SIZE 31 BODY[HEADER.FIELDS (SUBJECT)] {20}\r\nSubject: "
            "wrapper\r\n\r\n BODY[TEXT] {11}\r\nsecond part)");
}

TEST(Catenate, Utf8PartNeedsEnable) {
  SessionHarness h;
  TestClient c = h.login();
  const std::string m = "Subject: Gr\xc3\xbc\xc3\x9f\r\n\r\nhi\r\n";
  const std::string cmd =
      "APPEND Drafts CATENATE (UTF8 (~{" + std::to_string(m.size()) + "+}\r\n" + m + "))";
  c.transact("bad", cmd);
  c.transact("ok", "ENABLE UTF8=ACCEPT");
  c.transact("ok", cmd);
  EXPECT_EQ(stored(h, "Drafts", 1), m);
}

}  // namespace
}  // namespace mail::imapd::testing
