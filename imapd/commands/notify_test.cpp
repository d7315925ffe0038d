// NOTIFY (RFC 5465) through real sessions: the initial STATUS of NOTIFY SET STATUS,
// unsolicited STATUS for other mailboxes while the client sends nothing, EXISTS / FETCH /
// EXPUNGE for the selected mailbox with SELECTED and SELECTED-DELAYED, LIST for
// MailboxName and SubscriptionChange, IDLE after NOTIFY, NOTIFY NONE, [BADEVENT], and the
// bounds imapd.notify_max_mailboxes and imapd.notify_max_pending at their limits. Changes
// reach the session through the store's change notices (the periodic re-read is set to an
// hour), as in imapd.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

void no_polling(Config& cfg) {
  cfg.imapd.idle_refresh_interval = 3600;
  cfg.imapd.idle_keepalive = 3600;
}

bool contains(const std::vector<std::string>& lines, std::string_view want) {
  for (const auto& l : lines)
    if (l == want) return true;
  return false;
}

bool any_starts_with(const std::vector<std::string>& lines, std::string_view prefix) {
  for (const auto& l : lines)
    if (l.starts_with(prefix)) return true;
  return false;
}

TEST(Notify, AdvertisedAfterLogin) {
  SessionHarness h(no_polling);
  TestClient c = h.connect();
  auto r = c.transact("ok", "CAPABILITY");
  EXPECT_EQ(r.untagged[0].find(" NOTIFY"), std::string::npos);
  c.transact("ok", "LOGIN alice@example.test pw");
  r = c.transact("ok", "CAPABILITY");
  EXPECT_NE(r.untagged[0].find(" NOTIFY"), std::string::npos);
}

// The imaptest "notify" script, and what the selected mailbox is spared.
TEST(Notify, SetStatusSendsInitialStatus) {
  SessionHarness h(no_polling);
  ASSERT_TRUE(h.store().create_mailbox(std::string(kUser), "box2").ok());
  h.deliver(make_message("one"), "box2");
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  auto r = c.transact("ok", "NOTIFY SET STATUS (mailboxes box2 (MessageNew MessageExpunge))");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_TRUE(r.untagged[0].starts_with("* STATUS box2 (MESSAGES 1 UIDNEXT 2 UIDVALIDITY "))
      << r.untagged[0];
  EXPECT_EQ(r.untagged[0].find("HIGHESTMODSEQ"), std::string::npos);
  // FlagChange adds HIGHESTMODSEQ (RFC 5465 section 5.1).
  r = c.transact("ok", "NOTIFY SET STATUS (mailboxes box2 (FlagChange))");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_NE(r.untagged[0].find("HIGHESTMODSEQ"), std::string::npos);
  // Without STATUS, no STATUS.
  r = c.transact("ok", "NOTIFY SET (mailboxes box2 (MessageNew MessageExpunge FlagChange))");
  EXPECT_TRUE(r.untagged.empty());
  // The selected mailbox gets none (section 3.1: "other than the selected mailbox").
  r = c.transact("ok", "NOTIFY SET STATUS (personal (MessageNew MessageExpunge))");
  EXPECT_FALSE(any_starts_with(r.untagged, "* STATUS INBOX "));
  EXPECT_TRUE(any_starts_with(r.untagged, "* STATUS box2 "));
  EXPECT_TRUE(any_starts_with(r.untagged, "* STATUS Sent "));
}

// Section 5.2: a delivery to another mailbox reaches the client as STATUS at once, while
// the client sends nothing at all.
TEST(Notify, StatusForADeliveryWhileTheClientIsSilent) {
  SessionHarness h(no_polling);
  TestClient c = h.login();
  c.transact("ok", "SELECT Sent");
  c.transact("ok", "NOTIFY SET (inboxes (MessageNew MessageExpunge))");
  const auto start = steady_clock::now();
  h.deliver(make_message("new"));
  const std::string line = c.read_line();
  EXPECT_TRUE(line.starts_with("* STATUS INBOX (MESSAGES 1 UIDNEXT 2 UIDVALIDITY ")) << line;
  EXPECT_LT(steady_clock::now() - start, milliseconds(1000));  // a notice, not a poll
  // Nothing for a mailbox the filter does not name.
  h.deliver(make_message("elsewhere"), "Trash");
  EXPECT_EQ(c.pending(milliseconds(300)), "");
  c.transact("ok", "NOOP");
}

TEST(Notify, SelectedMailboxEventsWithFetchAttributes) {
  SessionHarness h(no_polling);
  h.deliver(make_message("one"));
  h.deliver(make_message("two"));
  TestClient a = h.login();
  TestClient b = h.login();
  a.transact("ok", "ENABLE IMAP4rev2");
  a.transact("ok", "SELECT INBOX");
  b.transact("ok", "SELECT INBOX");
  a.transact("ok",
             "NOTIFY SET (selected (MessageNew (FLAGS RFC822.SIZE) MessageExpunge FlagChange))");
  h.deliver(make_message("three"));
  EXPECT_EQ(a.read_line(), "* 3 EXISTS");
  const std::string fetch = a.read_line();
  EXPECT_TRUE(fetch.starts_with("* 3 FETCH (UID 3 FLAGS () RFC822.SIZE ")) << fetch;
  b.transact("ok", "STORE 1 +FLAGS.SILENT (\\Flagged)");
  EXPECT_EQ(a.read_line(), "* 1 FETCH (UID 1 FLAGS (\\Flagged))");
  // SELECTED: expunges at once, between commands (section 5.3).
  b.transact("ok", "STORE 2 +FLAGS.SILENT (\\Deleted)");
  EXPECT_EQ(a.read_line(), "* 2 FETCH (UID 2 FLAGS (\\Deleted))");
  b.transact("ok", "EXPUNGE");
  EXPECT_EQ(a.read_line(), "* 2 EXPUNGE");
  auto r = a.transact("ok", "UID FETCH 1:* UID");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 1 FETCH (UID 1)", "* 2 FETCH (UID 3)"}));
}

TEST(Notify, SelectedWithoutFlagChangeSkipsFlags) {
  SessionHarness h(no_polling);
  h.deliver(make_message("one"));
  TestClient a = h.login();
  TestClient b = h.login();
  a.transact("ok", "SELECT INBOX");
  b.transact("ok", "SELECT INBOX");
  a.transact("ok", "NOTIFY SET (selected (MessageNew MessageExpunge))");
  b.transact("ok", "STORE 1 +FLAGS.SILENT (\\Flagged)");
  h.deliver(make_message("two"));
  EXPECT_EQ(a.read_line(), "* 2 EXISTS");
  EXPECT_EQ(a.read_line(), "* 2 RECENT");  // IMAP4rev1: claimed by this session
  EXPECT_EQ(a.pending(milliseconds(300)), "");
}

// Section 6.1.2: SELECTED-DELAYED sends new messages at once but holds expunges back until
// a command that may announce them (NOOP), so sequence numbers stay put meanwhile.
TEST(Notify, SelectedDelayedHoldsExpungesBack) {
  SessionHarness h(no_polling);
  for (int i = 0; i < 3; ++i) h.deliver(make_message(std::to_string(i)));
  TestClient a = h.login();
  TestClient b = h.login();
  a.transact("ok", "ENABLE IMAP4rev2");
  a.transact("ok", "SELECT INBOX");
  b.transact("ok", "SELECT INBOX");
  a.transact("ok", "NOTIFY SET (selected-delayed (MessageNew MessageExpunge))");
  b.transact("ok", "STORE 1 +FLAGS.SILENT (\\Deleted)");
  b.transact("ok", "EXPUNGE");
  h.deliver(make_message("new"));
  EXPECT_EQ(a.read_line(), "* 4 EXISTS");
  EXPECT_EQ(a.pending(milliseconds(300)), "");
  auto r = a.transact("ok", "FETCH 2 UID");  // still numbered as before the expunge
  EXPECT_EQ(r.untagged, std::vector<std::string>{"* 2 FETCH (UID 2)"});
  r = a.transact("ok", "NOOP");
  EXPECT_TRUE(contains(r.untagged, "* 1 EXPUNGE"));
}

TEST(Notify, MailboxNameAndSubscriptionChange) {
  SessionHarness h(no_polling);
  TestClient a = h.login();
  TestClient b = h.login();
  a.transact("ok", "NOTIFY SET (personal (MailboxName SubscriptionChange))");
  b.transact("ok", "CREATE Projects");
  EXPECT_EQ(a.read_line(), "* LIST (\\HasNoChildren) \"/\" Projects");
  b.transact("ok", "RENAME Projects Done");
  EXPECT_EQ(a.read_line(), "* LIST (\\HasNoChildren) \"/\" Done (\"OLDNAME\" (Projects))");
  b.transact("ok", "SUBSCRIBE Done");
  EXPECT_EQ(a.read_line(), "* LIST (\\Subscribed \\HasNoChildren) \"/\" Done");
  b.transact("ok", "UNSUBSCRIBE Done");
  EXPECT_EQ(a.read_line(), "* LIST (\\HasNoChildren) \"/\" Done");
  b.transact("ok", "DELETE Done");
  EXPECT_EQ(a.read_line(), "* LIST (\\NonExistent) \"/\" Done");
  a.transact("ok", "NOOP");
}

// Section 4: IDLE after NOTIFY sends exactly NOTIFY's events, other mailboxes' included.
TEST(Notify, IdleSendsTheNotifyEvents) {
  SessionHarness h(no_polling);
  TestClient c = h.login();
  c.transact("ok", "SELECT Sent");
  c.transact("ok", "NOTIFY SET (personal (MessageNew MessageExpunge))");
  c.send_command("IDLE\r\n");
  EXPECT_EQ(c.read_line(), "+ idling");
  h.deliver(make_message("x"));
  EXPECT_TRUE(c.read_line().starts_with("* STATUS INBOX (MESSAGES 1 "));
  // Sent is selected but NOTIFY named no SELECTED events: IDLE says nothing of it.
  h.deliver(make_message("y"), "Sent");
  EXPECT_EQ(c.pending(milliseconds(300)), "");
  c.send("DONE\r\n");
  c.wait("ok");
}

TEST(Notify, NoneStopsEverything) {
  SessionHarness h(no_polling);
  TestClient c = h.login();
  c.transact("ok", "SELECT Sent");
  c.transact("ok", "NOTIFY SET (personal (MessageNew MessageExpunge))");
  c.transact("ok", "NOTIFY NONE");
  h.deliver(make_message("x"));
  EXPECT_EQ(c.pending(milliseconds(300)), "");
}

TEST(Notify, UnsupportedEventsGetBadEvent) {
  SessionHarness h(no_polling);
  TestClient c = h.login();
  // Section 3.1: NO (not BAD), listing the events we support.
  auto r = c.transact("no", "NOTIFY SET (personal (MessageNew MessageExpunge AnnotationChange))");
  EXPECT_NE(r.tagged.find("[BADEVENT (MessageNew MessageExpunge FlagChange MailboxName "
                          "SubscriptionChange)]"),
            std::string::npos)
      << r.tagged;
  c.transact("no", "NOTIFY SET (personal (MailboxMetadataChange))");
  c.transact("no", "NOTIFY SET (personal (NoSuchEvent))");
  // Sections 5 and 6.1: BAD for SELECTED groups that break the rules.
  c.transact("bad", "NOTIFY SET (selected (MessageNew))");
  c.transact("bad", "NOTIFY SET (selected (MailboxName))");
  c.transact("bad", "NOTIFY SET (selected NONE) (selected-delayed NONE)");
  c.transact("bad", "NOTIFY SET");
  c.transact("ok", "NOTIFY SET (mailboxes NoSuchMailbox (MessageNew MessageExpunge))");
}

TEST(Notify, NamesAtTheLimit) {
  SessionHarness h([](Config& cfg) {
    no_polling(cfg);
    cfg.imapd.notify_max_mailboxes = 6;  // the account has 6 mailboxes (INBOX, Sent ...)
  });
  TestClient c = h.login();
  c.transact("ok", "NOTIFY SET (mailboxes (a b c d e f) (MessageNew MessageExpunge))");
  auto r = c.transact("no", "NOTIFY SET (mailboxes (a b c d e f g) (MessageNew MessageExpunge))");
  EXPECT_NE(r.tagged.find("[NOTIFICATIONOVERFLOW]"), std::string::npos);
  c.transact("ok", "NOTIFY SET (personal (MessageNew MessageExpunge))");
  // A seventh mailbox takes the session over the bound: notifications stop (section 5.8).
  TestClient b = h.login();
  b.transact("ok", "CREATE seventh");
  EXPECT_EQ(c.read_line(), "* OK [NOTIFICATIONOVERFLOW] Too many mailboxes to watch");
  h.deliver(make_message("x"));
  EXPECT_EQ(c.pending(milliseconds(300)), "");
  // Now the account is over the bound from the start.
  r = c.transact("no", "NOTIFY SET (personal (MessageNew MessageExpunge))");
  EXPECT_NE(r.tagged.find("[NOTIFICATIONOVERFLOW]"), std::string::npos);
  // A filter that watches only the selected mailbox keeps no mailbox list: no bound.
  c.transact("ok", "SELECT INBOX");
  c.transact("ok", "NOTIFY SET (selected (MessageNew MessageExpunge))");
}

TEST(Notify, HeldBackExpungesAtTheLimit) {
  SessionHarness h([](Config& cfg) {
    no_polling(cfg);
    cfg.imapd.notify_max_pending = 2;
  });
  for (int i = 0; i < 4; ++i) h.deliver(make_message(std::to_string(i)));
  TestClient a = h.login();
  TestClient b = h.login();
  a.transact("ok", "ENABLE IMAP4rev2");
  a.transact("ok", "SELECT INBOX");
  b.transact("ok", "SELECT INBOX");
  a.transact("ok", "NOTIFY SET (selected-delayed (MessageNew MessageExpunge))");
  b.transact("ok", "STORE 1:2 +FLAGS.SILENT (\\Deleted)");
  b.transact("ok", "EXPUNGE");  // two held back: at the limit, fine
  h.deliver(make_message("a"));
  EXPECT_EQ(a.read_line(), "* 5 EXISTS");
  b.transact("ok", "UID STORE 3 +FLAGS.SILENT (\\Deleted)");
  b.transact("ok", "EXPUNGE");  // a third: over it
  EXPECT_EQ(a.read_line(), "* OK [NOTIFICATIONOVERFLOW] Too many expunges held back");
  h.deliver(make_message("b"));
  EXPECT_EQ(a.pending(milliseconds(300)), "");
  // The client catches up the usual way.
  auto r = a.transact("ok", "NOOP");
  EXPECT_TRUE(contains(r.untagged, "* 1 EXPUNGE"));
}

TEST(Notify, ACommandInProgressIsNotInterrupted) {
  // Input already started: the notifications wait until the command is done.
  SessionHarness h(no_polling);
  TestClient c = h.login();
  c.transact("ok", "SELECT Sent");
  c.transact("ok", "NOTIFY SET (inboxes (MessageNew MessageExpunge))");
  c.send_command("NO");  // "tN NO", the rest of the line later
  std::this_thread::sleep_for(milliseconds(100));
  h.deliver(make_message("x"));
  EXPECT_EQ(c.pending(milliseconds(300)), "");
  c.send("OP\r\n");
  auto r = c.wait("ok");
  EXPECT_TRUE(any_starts_with(r.untagged, "* STATUS INBOX ") ||
              c.read_line().starts_with("* STATUS INBOX "));
}

}  // namespace
}  // namespace mail::imapd::testing
