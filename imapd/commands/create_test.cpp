// CREATE through a real session: hierarchy, trailing delimiter, USE (RFC 6154), names in
// modified UTF-7 and UTF-8, the per-account mailbox limit.
#include <gtest/gtest.h>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

TEST(Create, NewExistingAndInvalid) {
  SessionHarness h;
  TestClient c = h.login();
  c.transact("ok", "CREATE \"New Box/\"");  // the trailing delimiter is dropped
  auto r = c.transact("ok", "LIST \"\" \"New*\"");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_EQ(r.untagged[0], "* LIST (\\HasNoChildren) \"/\" \"New Box\"");
  r = c.transact("no", "CREATE \"New Box\"");
  EXPECT_NE(r.tagged.find("[ALREADYEXISTS]"), std::string::npos);
  r = c.transact("no", "CREATE inbox");
  EXPECT_NE(r.tagged.find("[ALREADYEXISTS]"), std::string::npos);
  for (std::string_view bad : {"a//b", "/a", "\"a*b\"", "\"a%\"", "\"/\""}) {
    r = c.transact("no", "CREATE " + std::string(bad));
    EXPECT_NE(r.tagged.find("[CANNOT]"), std::string::npos) << bad;
  }
}

TEST(Create, HierarchyCreatesSuperiors) {
  SessionHarness h;
  TestClient c = h.login();
  c.transact("ok", "CREATE a/b/c");
  auto r = c.transact("ok", "LIST \"\" a*");
  const std::vector<std::string> expected = {
      "* LIST (\\HasChildren) \"/\" a",
      "* LIST (\\HasChildren) \"/\" a/b",
      "* LIST (\\HasNoChildren) \"/\" a/b/c",
  };
  EXPECT_EQ(r.untagged, expected);
  c.transact("ok", "SELECT a/b");  // superiors are real mailboxes
}

TEST(Create, SpecialUse) {
  SessionHarness h;
  TestClient c = h.login();
  c.transact("ok", "CREATE Outbox (USE (\\Sent))");
  auto info = h.store().mailbox(kUser, "Outbox");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->special_use, store::SpecialUse::Sent);
  auto r = c.transact("ok", "LIST \"\" Outbox");
  EXPECT_EQ(r.untagged.at(0), "* LIST (\\HasNoChildren \\Sent) \"/\" Outbox");
  c.transact("ok", "CREATE Plain (USE ())");
  EXPECT_EQ(h.store().mailbox(kUser, "Plain")->special_use, store::SpecialUse::None);
  r = c.transact("no", "CREATE Everything (USE (\\All))");
  EXPECT_NE(r.tagged.find("[USEATTR]"), std::string::npos) << r.tagged;
  r = c.transact("no", "CREATE Two (USE (\\Sent \\Junk))");
  EXPECT_NE(r.tagged.find("[USEATTR]"), std::string::npos);
  EXPECT_FALSE(h.store().mailbox(kUser, "Everything"));
  EXPECT_FALSE(h.store().mailbox(kUser, "Two"));
  c.transact("bad", "CREATE Odd (FROB (x))");
  c.transact("bad", "CREATE Odd (USE (Sent))");
}

TEST(Create, ModifiedUtf7NamesAreStoredAsUtf8) {
  SessionHarness h;
  TestClient c = h.login();
  c.transact("ok", "CREATE \"p&AOQA5A-\"");
  EXPECT_TRUE(h.store().mailbox(kUser, "p\xc3\xa4\xc3\xa4"));
  auto r = c.transact("ok", "LIST \"\" \"p&AOQA5A-\"");
  EXPECT_EQ(r.untagged.at(0), "* LIST (\\HasNoChildren) \"/\" p&AOQA5A-");
  r = c.transact("no", "CREATE \"Q&A\"");  // "&" must be written "&-"
  EXPECT_NE(r.tagged.find("[CANNOT]"), std::string::npos);
  c.transact("ok", "CREATE \"Q&-A\"");
  EXPECT_TRUE(h.store().mailbox(kUser, "Q&A"));
}

TEST(Create, AtTheMailboxLimit) {
  SessionHarness h([](Config& cfg) { cfg.imapd.max_mailboxes = 10; });
  TestClient c = h.login();  // the account starts with 6 mailboxes
  for (int i = 0; i < 4; ++i) c.transact("ok", "CREATE box" + std::to_string(i));
  auto r = c.transact("no", "CREATE one-more");
  EXPECT_NE(r.tagged.find("[LIMIT]"), std::string::npos);
  c.transact("ok", "DELETE box0");
  c.transact("ok", "CREATE one-more");
}

}  // namespace
}  // namespace mail::imapd::testing
