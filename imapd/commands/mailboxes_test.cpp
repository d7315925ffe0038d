// DELETE, RENAME, SUBSCRIBE and UNSUBSCRIBE through a real session.
#include <gtest/gtest.h>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

TEST(Delete, MailboxMessagesAndInferiors) {
  SessionHarness h;
  ASSERT_TRUE(h.store().create_mailbox(kUser, "Work/2024"));
  h.deliver(make_message("w"), "Work");
  TestClient c = h.login();
  c.transact("ok", "DELETE Work");
  EXPECT_FALSE(h.store().mailbox(kUser, "Work"));
  EXPECT_TRUE(h.store().mailbox(kUser, "Work/2024"));  // inferiors stay (RFC 9051 6.3.5)
  auto r = c.transact("ok", "LIST \"\" Work");
  EXPECT_EQ(r.untagged.at(0), "* LIST (\\Noselect \\HasChildren) \"/\" Work");
  // The name left behind is \Noselect with inferiors: deleting it is an error.
  r = c.transact("no", "DELETE Work");
  EXPECT_NE(r.tagged.find("[NONEXISTENT]"), std::string::npos);
  r = c.transact("no", "DELETE Nowhere");
  EXPECT_NE(r.tagged.find("[NONEXISTENT]"), std::string::npos);
  r = c.transact("no", "DELETE inbox");
  EXPECT_NE(r.tagged.find("[CANNOT]"), std::string::npos);
  // A new mailbox of the same name starts afresh.
  c.transact("ok", "CREATE Work");
  r = c.transact("ok", "STATUS Work (MESSAGES)");
  EXPECT_EQ(r.untagged.at(0), "* STATUS Work (MESSAGES 0)");
}

TEST(Delete, TheSelectedMailboxLeavesTheSelectedState) {
  SessionHarness h;
  ASSERT_TRUE(h.store().create_mailbox(kUser, "Doomed"));
  TestClient c = h.login();
  c.transact("ok", "SELECT Doomed");
  c.transact("ok", "DELETE Doomed");
  c.transact("bad", "FETCH 1 FLAGS");  // no mailbox selected any more
  c.transact("ok", "SELECT INBOX");
}

TEST(Rename, TakesInferiorsAndSubscriptionsAlong) {
  SessionHarness h;
  ASSERT_TRUE(h.store().create_mailbox(kUser, "Old/Child"));
  const uint32_t uid = h.deliver(make_message("kept"), "Old");
  const uint32_t validity = h.store().mailbox(kUser, "Old")->uid_validity;
  TestClient c = h.login();
  c.transact("ok", "SUBSCRIBE Old/Child");
  c.transact("ok", "RENAME Old New/Name");
  EXPECT_FALSE(h.store().mailbox(kUser, "Old"));
  auto moved = h.store().mailbox(kUser, "New/Name");
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->uid_validity, validity);  // the same mailbox, UIDs kept
  EXPECT_EQ(moved->messages, 1u);
  EXPECT_EQ(moved->uid_next, uid + 1);
  EXPECT_TRUE(h.store().mailbox(kUser, "New/Name/Child"));
  auto r = c.transact("ok", "LSUB \"\" New*");
  EXPECT_EQ(r.untagged, std::vector<std::string>{"* LSUB () \"/\" New/Name/Child"});
  r = c.transact("no", "RENAME Old Other");
  EXPECT_NE(r.tagged.find("[NONEXISTENT]"), std::string::npos);
  r = c.transact("no", "RENAME New/Name Sent");
  EXPECT_NE(r.tagged.find("[ALREADYEXISTS]"), std::string::npos);
  r = c.transact("no", "RENAME New/Name New/Name/Child/x");
  EXPECT_NE(r.tagged.find("[CANNOT]"), std::string::npos);
  r = c.transact("no", "RENAME Sent inbox");
  EXPECT_NE(r.tagged.find("[ALREADYEXISTS]"), std::string::npos);
}

TEST(Rename, InboxMovesItsMessagesAndStaysEmpty) {
  SessionHarness h;
  h.deliver(make_message("one"));
  h.deliver(make_message("two"));
  TestClient c = h.login();
  c.transact("ok", "RENAME INBOX \"Old Mail\"");
  auto r = c.transact("ok", "STATUS INBOX (MESSAGES)");
  EXPECT_EQ(r.untagged.at(0), "* STATUS INBOX (MESSAGES 0)");
  r = c.transact("ok", "STATUS \"Old Mail\" (MESSAGES)");
  EXPECT_EQ(r.untagged.at(0), "* STATUS \"Old Mail\" (MESSAGES 2)");
}

TEST(Subscribe, SubscribeUnsubscribeAndLsub) {
  SessionHarness h;
  ASSERT_TRUE(h.store().create_mailbox(kUser, "Lists/a"));
  TestClient c = h.login();
  c.transact("ok", "SUBSCRIBE Lists/a");
  c.transact("ok", "SUBSCRIBE Lists/a");  // twice is fine
  c.transact("ok", "SUBSCRIBE Future");   // a name that does not exist yet
  auto r = c.transact("ok", "LSUB \"\" *");
  EXPECT_NE(std::find(r.untagged.begin(), r.untagged.end(), "* LSUB () \"/\" Lists/a"),
            r.untagged.end());
  EXPECT_NE(std::find(r.untagged.begin(), r.untagged.end(), "* LSUB (\\Noselect) \"/\" Future"),
            r.untagged.end());
  // RFC 3501 6.3.9: "%" shows the unsubscribed superior of a subscribed name, \Noselect.
  r = c.transact("ok", "LSUB \"\" %");
  EXPECT_NE(std::find(r.untagged.begin(), r.untagged.end(), "* LSUB (\\Noselect) \"/\" Lists"),
            r.untagged.end());
  c.transact("ok", "UNSUBSCRIBE Lists/a");
  r = c.transact("ok", "LSUB \"\" Lists*");
  EXPECT_TRUE(r.untagged.empty());
  r = c.transact("no", "UNSUBSCRIBE Lists/a");
  EXPECT_NE(r.tagged.find("[NONEXISTENT]"), std::string::npos);
}

}  // namespace
}  // namespace mail::imapd::testing
