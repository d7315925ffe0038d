// CREATE through a real session.
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
  c.transact("no", "CREATE inbox");
  c.transact("no", "CREATE a//b");
}

}  // namespace
}  // namespace mail::imapd::testing
