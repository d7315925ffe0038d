// STATUS through a real session.
#include <gtest/gtest.h>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

TEST(Status, Counters) {
  SessionHarness h;
  h.deliver(make_message("a"), "INBOX", store::kSeen);
  h.deliver(make_message("b"));
  TestClient c = h.login();
  auto r = c.transact("ok", "STATUS INBOX (MESSAGES UNSEEN UIDNEXT RECENT)");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_EQ(r.untagged[0], "* STATUS INBOX (MESSAGES 2 UNSEEN 1 UIDNEXT 3 RECENT 2)");
  c.transact("bad", "STATUS INBOX (FROBS)");
  r = c.transact("no", "STATUS Nowhere (MESSAGES)");
  EXPECT_NE(r.tagged.find("[NONEXISTENT]"), std::string::npos);
}

}  // namespace
}  // namespace mail::imapd::testing
