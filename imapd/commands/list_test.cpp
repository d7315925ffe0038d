// LIST, LSUB and NAMESPACE through a real session.
#include <gtest/gtest.h>

#include <chrono>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

TEST(List, EveryMailboxWithAttributes) {
  SessionHarness h;
  // The store creates the missing parent Projects with its child.
  ASSERT_TRUE(h.store().create_mailbox(kUser, "Projects/2024"));
  TestClient c = h.login();
  auto r = c.transact("ok", "LIST \"\" *");
  std::vector<std::string> lines = r.untagged;
  std::sort(lines.begin(), lines.end());
  const std::vector<std::string> expected = {
      "* LIST (\\HasChildren) \"/\" Projects",
      "* LIST (\\HasNoChildren \\Archive) \"/\" Archive",
      "* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts",
      "* LIST (\\HasNoChildren \\Junk) \"/\" Junk",
      "* LIST (\\HasNoChildren \\Sent) \"/\" Sent",
      "* LIST (\\HasNoChildren \\Trash) \"/\" Trash",
      "* LIST (\\HasNoChildren) \"/\" INBOX",
      "* LIST (\\HasNoChildren) \"/\" Projects/2024",
  };
  EXPECT_EQ(lines, expected);
}

TEST(List, PatternsAndReference) {
  SessionHarness h;
  ASSERT_TRUE(h.store().create_mailbox(kUser, "a/b/c"));  // and its parents a, a/b
  TestClient c = h.login();
  auto r = c.transact("ok", "LIST a/ %");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_EQ(r.untagged[0], "* LIST (\\HasChildren) \"/\" a/b");
  r = c.transact("ok", "LIST \"\" inbox");  // INBOX in any case
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_EQ(r.untagged[0], "* LIST (\\HasNoChildren) \"/\" INBOX");
  r = c.transact("ok", "LIST \"\" \"\"");  // the delimiter
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_EQ(r.untagged[0], "* LIST (\\Noselect) \"/\" \"\"");
  r = c.transact("ok", "LSUB \"\" *");  // the standard mailboxes are subscribed
  EXPECT_EQ(r.untagged.size(), 6u);
}

// Issue 14 finding 3: patterns of many wildcards were exponential, long ones overflowed
// the stack. Now: answered at once, and over imapd.max_list_pattern refused.
TEST(List, HostilePatterns) {
  SessionHarness h([](Config& cfg) { cfg.imapd.max_list_pattern = 2000; });
  TestClient c = h.login();
  std::string pattern;
  for (int i = 0; i < 600; ++i) pattern += "%*";
  pattern += "x";
  const auto start = std::chrono::steady_clock::now();
  auto r = c.transact("ok", "LIST \"\" \"" + pattern + "\"");
  EXPECT_TRUE(r.untagged.empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  r = c.transact("bad", "LIST \"\" \"" + std::string(2001, '*') + "\"");
  EXPECT_EQ(r.tagged, "t3 BAD Mailbox pattern too long");
  c.transact("ok", "LIST \"\" \"" + std::string(2000, '*') + "\"");
}

TEST(Namespace, OnePersonalNamespace) {
  SessionHarness h;
  TestClient c = h.login();
  auto r = c.transact("ok", "NAMESPACE");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_EQ(r.untagged[0], "* NAMESPACE ((\"\" \"/\")) NIL NIL");
}

}  // namespace
}  // namespace mail::imapd::testing
