// LIST, LSUB and NAMESPACE through a real session.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include "imapd/capabilities.h"

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

// The listext group of imaptest, in our own words (RFC 5258 sections 3 and 5).
class ListExtended : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name :
         {"t/test1", "t/test2/test1", "t/test3", "t/test4/test5", "t/test4/test52", "t/test6",
          "t/test7/test7", "t/test8/test8", "t/test8/test9"})
      ASSERT_TRUE(h.store().create_mailbox(kUser, name));
    for (const char* name :
         {"t/test1", "t/test2/test1", "t/test6", "t/test7/test7", "t/test8/test8", "t/test8/test9"})
      ASSERT_TRUE(h.store().subscribe(kUser, name));
    ASSERT_TRUE(h.store().delete_mailbox(kUser, "t/test6"));
    c = std::make_unique<TestClient>(h.login());
  }
  std::vector<std::string> list(std::string_view args) {
    return c->transact("ok", "LIST " + std::string(args)).untagged;
  }
  SessionHarness h;
  std::unique_ptr<TestClient> c;
};

TEST_F(ListExtended, SeveralPatterns) {
  const std::vector<std::string> expected = {
      "* LIST () \"/\" t/test2",
      "* LIST () \"/\" t/test3",
      "* LIST () \"/\" t/test4/test52",
  };
  EXPECT_EQ(list("\"\" (t/*2 t/test3)"), expected);
}

TEST_F(ListExtended, BadOptions) {
  c->transact("bad", "LIST (imaptest) \"\" \"\"");
  c->transact("bad", "LIST (recursivematch) \"\" \"\"");
  c->transact("bad", "LIST (recursivematch remote) \"\" \"\"");
  c->transact("bad", "LIST \"\" \"\" RETURN (imaptest)");
  c->transact("bad", "LIST \"\" % RETURN (STATUS (FROBS))");
  EXPECT_FALSE(list("(remote) \"\" %").empty());
}

TEST_F(ListExtended, Subscribed) {
  const std::vector<std::string> expected = {
      "* LIST (\\Subscribed) \"/\" t/test1",
      "* LIST (\\Subscribed) \"/\" t/test2/test1",
      "* LIST (\\NonExistent \\Subscribed) \"/\" t/test6",
      "* LIST (\\Subscribed) \"/\" t/test7/test7",
      "* LIST (\\Subscribed) \"/\" t/test8/test8",
      "* LIST (\\Subscribed) \"/\" t/test8/test9",
  };
  EXPECT_EQ(list("(subscribed) \"\" t/*"), expected);
}

TEST_F(ListExtended, RecursiveMatchGivesChildInfo) {
  EXPECT_EQ(list("(subscribed recursivematch) \"\" t/test2% return (children)"),
            std::vector<std::string>{
                "* LIST (\\HasChildren) \"/\" t/test2 (\"CHILDINFO\" (\"SUBSCRIBED\"))"});
  // test7's one subscribed child is listed itself: no CHILDINFO, test7 not listed.
  EXPECT_EQ(list("(subscribed recursivematch) \"\" t*test7"),
            std::vector<std::string>{"* LIST (\\Subscribed) \"/\" t/test7/test7"});
  // test8/test9 is not matched: test8 gets CHILDINFO.
  const std::vector<std::string> expected = {
      "* LIST () \"/\" t/test8 (\"CHILDINFO\" (\"SUBSCRIBED\"))",
      "* LIST (\\Subscribed) \"/\" t/test8/test8",
  };
  EXPECT_EQ(list("(subscribed recursivematch) \"\" t*test8"), expected);
  EXPECT_EQ(list("(subscribed recursivematch) \"\" (t/test2 t/test2/test1)"),
            std::vector<std::string>{"* LIST (\\Subscribed) \"/\" t/test2/test1"});
}

TEST_F(ListExtended, ReturnChildrenAndSubscribed) {
  const std::vector<std::string> expected = {
      "* LIST (\\Subscribed \\HasNoChildren) \"/\" t/test1",
      "* LIST (\\HasChildren) \"/\" t/test2",
      "* LIST (\\HasNoChildren) \"/\" t/test3",
      "* LIST (\\HasChildren) \"/\" t/test4",
      "* LIST (\\HasChildren) \"/\" t/test7",
      "* LIST (\\HasChildren) \"/\" t/test8",
  };
  EXPECT_EQ(list("\"\" t/% return (children subscribed)"), expected);
}

TEST_F(ListExtended, ListStatus) {
  h.deliver(make_message("s"), "t/test3", store::kSeen);
  h.deliver(make_message("u"), "t/test3");
  const std::vector<std::string> expected = {
      "* LIST () \"/\" t/test3",
      "* STATUS t/test3 (MESSAGES 2 UNSEEN 1)",
  };
  EXPECT_EQ(list("\"\" t/test3 RETURN (STATUS (MESSAGES UNSEEN))"), expected);
  // No STATUS for a name that is not a mailbox (RFC 5819 section 2).
  auto lines = list("(subscribed) \"\" t/test6 RETURN (STATUS (MESSAGES))");
  EXPECT_EQ(lines, std::vector<std::string>{"* LIST (\\NonExistent \\Subscribed) \"/\" t/test6"});
}

TEST(List, SpecialUseSelection) {
  SessionHarness h;
  TestClient c = h.login();
  auto r = c.transact("ok", "LIST (SPECIAL-USE) \"\" *");
  std::vector<std::string> lines = r.untagged;
  std::sort(lines.begin(), lines.end());
  const std::vector<std::string> expected = {
      "* LIST (\\Archive) \"/\" Archive", "* LIST (\\Drafts) \"/\" Drafts",
      "* LIST (\\Junk) \"/\" Junk",       "* LIST (\\Sent) \"/\" Sent",
      "* LIST (\\Trash) \"/\" Trash",
  };
  EXPECT_EQ(lines, expected);
  r = c.transact("ok", "LIST \"\" Sent RETURN (SPECIAL-USE)");
  EXPECT_EQ(r.untagged, std::vector<std::string>{"* LIST (\\Sent) \"/\" Sent"});
}

TEST(List, ModifiedUtf7AndUtf8Names) {
  SessionHarness h;
  h.assume_capabilities({"UTF8=ACCEPT"});
  ASSERT_TRUE(h.store().create_mailbox(kUser, "Entw\xc3\xbcrfe"));
  TestClient c = h.login();
  auto r = c.transact("ok", "LIST \"\" Entw*");
  EXPECT_EQ(r.untagged, std::vector<std::string>{"* LIST (\\HasNoChildren) \"/\" Entw&APw-rfe"});
  r = c.transact("ok", "STATUS Entw&APw-rfe (MESSAGES)");
  EXPECT_EQ(r.untagged.at(0), "* STATUS Entw&APw-rfe (MESSAGES 0)");
  c.transact("ok", "ENABLE UTF8=ACCEPT");
  r = c.transact("ok", "LIST \"\" Entw*");
  EXPECT_EQ(r.untagged,
            std::vector<std::string>{"* LIST (\\HasNoChildren) \"/\" \"Entw\xc3\xbcrfe\""});
  r = c.transact("ok", "STATUS \"Entw\xc3\xbcrfe\" (MESSAGES)");
  EXPECT_EQ(r.untagged.at(0), "* STATUS \"Entw\xc3\xbcrfe\" (MESSAGES 0)");
  // After ENABLE, "&" is just a character: the mUTF-7 name is another name.
  c.transact("no", "STATUS Entw&APw-rfe (MESSAGES)");
}

TEST(List, Imap4rev2ShowsNonExistent) {
  SessionHarness h;
  std::vector<std::string_view> rev2(imap4rev2_includes().begin(), imap4rev2_includes().end());
  h.assume_capabilities(rev2);
  ASSERT_TRUE(h.store().create_mailbox(kUser, "Gone/Child"));
  ASSERT_TRUE(h.store().delete_mailbox(kUser, "Gone"));
  TestClient c = h.login();
  auto r = c.transact("ok", "LIST \"\" Gone");
  EXPECT_EQ(r.untagged, std::vector<std::string>{"* LIST (\\Noselect \\HasChildren) \"/\" Gone"});
  r = c.transact("ok", "ENABLE IMAP4rev2");
  EXPECT_EQ(r.untagged.at(0), "* ENABLED IMAP4rev2");
  r = c.transact("ok", "LIST \"\" Gone");
  EXPECT_EQ(r.untagged,
            std::vector<std::string>{"* LIST (\\NonExistent \\HasChildren) \"/\" Gone"});
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
