// The CAPABILITY list: what each state shows, the words that depend on the session, and
// IMAP4rev2 appearing only once every extension it includes is advertised.
#include "imapd/capabilities.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace mail::imapd {
namespace {

bool has(const std::vector<std::string>& list, std::string_view word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

CapabilityContext before_login() {
  CapabilityContext c;
  c.starttls_offered = true;
  c.plaintext_auth_allowed = false;
  c.append_limit = 1234;
  return c;
}

CapabilityContext after_login() {
  CapabilityContext c = before_login();
  c.authenticated = true;
  return c;
}

TEST(Capabilities, BeforeLogin) {
  auto list = capability_list(before_login());
  ASSERT_FALSE(list.empty());
  EXPECT_EQ(list.front(), "IMAP4rev1");
  for (std::string_view w :
       {"LITERAL+", "ID", "ENABLE", "APPENDLIMIT=1234", "STARTTLS", "LOGINDISABLED"})
    EXPECT_TRUE(has(list, w)) << w;
  EXPECT_FALSE(has(list, "AUTH=PLAIN"));
  EXPECT_FALSE(has(list, "NAMESPACE"));  // after login only
  CapabilityContext plain = before_login();
  plain.plaintext_auth_allowed = true;
  plain.starttls_offered = false;
  plain.auth_mechanisms = {"PLAIN", "SCRAM-SHA-256"};
  list = capability_list(plain);
  EXPECT_TRUE(has(list, "AUTH=PLAIN"));
  EXPECT_TRUE(has(list, "AUTH=SCRAM-SHA-256"));
  EXPECT_TRUE(has(list, "SASL-IR"));
  EXPECT_FALSE(has(list, "LOGINDISABLED"));
  EXPECT_FALSE(has(list, "STARTTLS"));
  EXPECT_FALSE(has(list, "NOTIFY"));  // RFC 5465: a command of the authenticated state
}

TEST(Capabilities, AfterLogin) {
  auto list = capability_list(after_login());
  // Every part's words: mailboxes (imapbox), messages (imapfetch), state (imapsync).
  for (std::string_view w :
       {"IMAP4rev1",         "NAMESPACE",      "UNSELECT",       "CHILDREN",     "ENABLE",
        "LIST-EXTENDED",     "LIST-STATUS",    "SPECIAL-USE",    "QUOTA",        "MULTIAPPEND",
        "UTF8=ACCEPT",       "BINARY",         "ESEARCH",        "SEARCHRES",    "SORT",
        "THREAD=REFERENCES", "IDLE",           "MOVE",           "CONDSTORE",    "QRESYNC",
        "UIDPLUS",           "ESORT",          "CONTEXT=SEARCH", "CONTEXT=SORT", "CATENATE",
        "URLAUTH",           "URLAUTH=BINARY", "NOTIFY"})
    EXPECT_TRUE(has(list, w)) << w;
  CapabilityContext compress = after_login();
  compress.compress = true;
  EXPECT_TRUE(has(capability_list(compress), "COMPRESS=DEFLATE"));
  for (std::string_view w : {"STARTTLS", "LOGINDISABLED", "AUTH=PLAIN", "SASL-IR"})
    EXPECT_FALSE(has(list, w)) << w;
  std::set<std::string> unique(list.begin(), list.end());
  EXPECT_EQ(unique.size(), list.size()) << "a word listed twice";
}

TEST(Capabilities, Imap4rev2OnlyWhenEverythingItIncludesIs) {
  std::vector<std::string_view> all(imap4rev2_includes().begin(), imap4rev2_includes().end());
  CapabilityContext c = after_login();
  c.assumed = all;
  auto list = capability_list(c);
  ASSERT_GE(list.size(), 2u);
  EXPECT_EQ(list[0], "IMAP4rev1");
  EXPECT_EQ(list[1], "IMAP4rev2");
  EXPECT_TRUE(advertises(c, "imap4REV2"));
  // Before login too (clients decide before they log in).
  CapabilityContext pre = before_login();
  pre.assumed = all;
  EXPECT_TRUE(has(capability_list(pre), "IMAP4rev2"));
  // Any one missing (and not in the table) withholds it.
  for (size_t i = 0; i < all.size(); ++i) {
    const std::string_view missing = all[i];
    const bool in_table = std::any_of(capability_table().begin(), capability_table().end(),
                                      [&](const CapabilityWord& w) { return w.word == missing; });
    if (in_table || missing == "SASL-IR") continue;
    std::vector<std::string_view> some = all;
    some.erase(some.begin() + static_cast<ptrdiff_t>(i));
    c.assumed = some;
    EXPECT_FALSE(advertises(c, "IMAP4rev2")) << "without " << missing;
  }
}

TEST(Capabilities, TableWordsAreAtoms) {
  for (const CapabilityWord& w : capability_table()) {
    ASSERT_FALSE(w.word.empty());
    for (char ch : w.word)
      EXPECT_TRUE(ch > ' ' && ch < 0x7f && ch != '(' && ch != ')' && ch != '"' && ch != ']')
          << w.word;
    EXPECT_NE(w.word, "IMAP4rev2") << "IMAP4rev2 follows from the others";
  }
}

}  // namespace
}  // namespace mail::imapd
