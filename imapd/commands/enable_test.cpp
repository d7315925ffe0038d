// ENABLE through a real session (RFC 5161): only advertised extensions, ENABLED lists
// what this command switched on, QRESYNC brings CONDSTORE, not before login.
#include <gtest/gtest.h>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

TEST(Enable, OnlyAdvertisedExtensionsAndOnlyOnce) {
  SessionHarness h;
  h.assume_capabilities({"CONDSTORE", "QRESYNC"});
  TestClient c = h.login();
  auto r = c.transact("ok", "ENABLE CONDSTORE X-UNKNOWN");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_EQ(r.untagged[0], "* ENABLED CONDSTORE");
  EXPECT_EQ(r.tagged, "t2 OK ENABLE completed");
  r = c.transact("ok", "enable condstore");  // already on: not listed again
  EXPECT_EQ(r.untagged[0], "* ENABLED");
  r = c.transact("ok", "ENABLE QRESYNC CONDSTORE");
  EXPECT_EQ(r.untagged[0], "* ENABLED QRESYNC");
}

TEST(Enable, NotBeforeLoginAndNeedsAnArgument) {
  SessionHarness h;
  TestClient c = h.connect();
  c.transact("bad", "ENABLE CONDSTORE");
  c.transact("ok", "LOGIN alice@example.test pw");
  c.transact("bad", "ENABLE");
  c.transact("ok", "SELECT INBOX");
  c.transact("ok", "ENABLE X-UNKNOWN");  // also in the selected state, as Dovecot allows
}

TEST(Enable, WordsNotAdvertisedAreIgnored) {
  SessionHarness h;
  TestClient c = h.login();
  auto caps = c.transact("ok", "CAPABILITY").untagged.at(0) + " ";
  auto r = c.transact("ok", "ENABLE IMAP4rev2 CONDSTORE QRESYNC UTF8=ACCEPT");
  std::string expected = "* ENABLED";
  for (std::string_view w : {"IMAP4rev2", "CONDSTORE", "QRESYNC", "UTF8=ACCEPT"})
    if (caps.find(" " + std::string(w) + " ") != std::string::npos)
      expected += " " + std::string(w);
  EXPECT_EQ(r.untagged.at(0), expected);
}

}  // namespace
}  // namespace mail::imapd::testing
