// SEARCH, ESEARCH, SEARCHRES, SORT and THREAD through a real session (RFC 9051 section
// 6.4.4, RFC 4731, RFC 5182, RFC 5256).
#include <gtest/gtest.h>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

std::string message(std::string_view subject, std::string_view date, std::string_view id,
                    std::string_view refs, std::string_view body) {
  std::string m = "From: a@example.test\r\nTo: alice@example.test\r\nSubject: ";
  m += subject;
  m += "\r\nDate: ";
  m += date;
  m += "\r\nMessage-ID: <";
  m += id;
  m += ">\r\n";
  if (!refs.empty()) m += "References: <" + std::string(refs) + ">\r\n";
  m += "\r\n";
  m += body;
  return m;
}

class SearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.deliver(message("Lunch plans", "Tue, 2 Jan 2024 09:00:00 +0000", "a@x", "", "pizza\r\n"));
    h.deliver(message("Re: Lunch plans", "Wed, 3 Jan 2024 09:00:00 +0000", "b@x", "a@x",
                      "sushi instead\r\n"));
    h.deliver(message("Budget", "Mon, 1 Jan 2024 09:00:00 +0000", "c@x", "", "numbers\r\n"),
              "INBOX", store::kFlagged);
  }
  SessionHarness h;
};

TEST_F(SearchTest, KeysAndCombinations) {
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  EXPECT_EQ(c.transact("ok", "SEARCH SUBJECT lunch").untagged[0], "* SEARCH 1 2");
  EXPECT_EQ(c.transact("ok", "SEARCH BODY SUSHI").untagged[0], "* SEARCH 2");
  EXPECT_EQ(c.transact("ok", "SEARCH OR FLAGGED BODY pizza").untagged[0], "* SEARCH 1 3");
  EXPECT_EQ(c.transact("ok", "SEARCH NOT FLAGGED SENTSINCE 3-Jan-2024").untagged[0], "* SEARCH 2");
  EXPECT_EQ(c.transact("ok", "UID SEARCH 2:* UNFLAGGED").untagged[0], "* SEARCH 2");
  EXPECT_EQ(c.transact("ok", "SEARCH CHARSET UTF-8 TEXT numbers").untagged[0], "* SEARCH 3");
  EXPECT_EQ(c.transact("ok", "SEARCH SUBJECT nothing").untagged[0], "* SEARCH");
  auto r = c.transact("no", "SEARCH CHARSET KOI8-U ALL");
  EXPECT_NE(r.tagged.find("[BADCHARSET (US-ASCII UTF-8)]"), std::string::npos) << r.tagged;
  c.transact("bad", "SEARCH NOSUCHKEY");
  c.transact("bad", "SEARCH SENTON 31-Foo-2024");
}

TEST_F(SearchTest, EsearchAndSavedResult) {
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  auto r = c.transact("ok", "SEARCH RETURN (MIN MAX COUNT) SUBJECT lunch");
  EXPECT_EQ(r.untagged[0], "* ESEARCH (TAG \"t3\") MIN 1 MAX 2 COUNT 2");
  r = c.transact("ok", "SEARCH RETURN (SAVE) FLAGGED");
  EXPECT_TRUE(r.untagged.empty());
  r = c.transact("ok", "FETCH $ (UID)");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 3 FETCH (UID 3)"}));
}

TEST_F(SearchTest, SortAndThread) {
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  EXPECT_EQ(c.transact("ok", "SORT (DATE) UTF-8 ALL").untagged[0], "* SORT 3 1 2");
  EXPECT_EQ(c.transact("ok", "SORT (REVERSE SUBJECT) UTF-8 ALL").untagged[0], "* SORT 1 2 3");
  EXPECT_EQ(c.transact("ok", "THREAD REFERENCES UTF-8 ALL").untagged[0], "* THREAD (3)(1 2)");
  EXPECT_EQ(c.transact("ok", "THREAD ORDEREDSUBJECT UTF-8 ALL").untagged[0], "* THREAD (3)(1 2)");
  c.transact("bad", "SORT (NOSUCH) UTF-8 ALL");
  c.transact("bad", "THREAD NOSUCH UTF-8 ALL");
}

}  // namespace
}  // namespace mail::imapd::testing
