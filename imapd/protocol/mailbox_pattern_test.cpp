// Tests for MailboxPattern: a table of patterns and names, and the hostile patterns of
// issue 14 (finding 3) that made the recursive matcher exponential or overflow the stack.
#include "imapd/protocol/mailbox_pattern.h"

#include <gtest/gtest.h>

#include <chrono>

namespace mail::imap {
namespace {

TEST(MailboxPattern, Table) {
  struct Case {
    std::string_view pattern;
    std::string_view name;
    bool match;
  };
  const Case cases[] = {
      {"*", "INBOX", true},
      {"*", "a/b/c", true},
      {"*", "", true},
      {"%", "INBOX", true},
      {"%", "a/b", false},
      {"a/%", "a/b", true},
      {"a/%", "a/b/c", false},
      {"a/*", "a/b/c", true},
      {"a/*", "a", false},
      {"a*", "a", true},
      {"a%c", "abc", true},
      {"a%c", "a/c", false},
      {"a*c", "a/b/c", true},
      {"*c", "abc/c", true},
      {"%/%", "a/b", true},
      {"%/%", "a/b/c", false},
      {"%*%", "a/b/c", true},  // any run with "*" in it is "*"
      {"%%", "ab", true},
      {"INBOX", "INBOX", true},
      {"INBOX", "INBOXES", false},
      {"Sent", "sent", false},  // only INBOX is case-insensitive (done by the caller)
      {"", "", true},
      {"", "a", false},
      {"a*b*c", "aXbYc", true},
      {"a*b*c", "aXbYd", false},
      {"*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", true},
      {"caf\xc3\xa9*", "caf\xc3\xa9/x", true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.pattern) + " ~ " + std::string(c.name));
    auto p = MailboxPattern::compile(c.pattern, '/', 1024);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->matches(c.name), c.match);
  }
}

TEST(MailboxPattern, LengthCap) {
  EXPECT_TRUE(MailboxPattern::compile(std::string(1024, 'a'), '/', 1024).has_value());
  EXPECT_FALSE(MailboxPattern::compile(std::string(1025, 'a'), '/', 1024).has_value());
}

TEST(MailboxPattern, HostilePatternsAreFast) {
  // Alternating wildcards that never match: exponential for a backtracking matcher.
  std::string pattern;
  for (int i = 0; i < 500; ++i) pattern += "%a*";
  pattern += "z";
  const std::string name(1000, 'a');
  // A very long pattern: the recursive matcher used one stack frame per character.
  const std::string long_pattern(200000, '*');
  const auto start = std::chrono::steady_clock::now();
  auto p = MailboxPattern::compile(pattern, '/', 1 << 20);
  ASSERT_TRUE(p.has_value());
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(p->matches(name));
  auto q = MailboxPattern::compile(long_pattern, '/', 1 << 20);
  ASSERT_TRUE(q.has_value());
  EXPECT_TRUE(q->matches(name));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

}  // namespace
}  // namespace mail::imap
