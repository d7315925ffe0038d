// QUOTA (RFC 9208) through a real session: roots, resources from the store's limits,
// SETQUOTA refused, APPEND over quota NO [OVERQUOTA], STATUS DELETED-STORAGE.
#include <gtest/gtest.h>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

TEST(Quota, NoLimitsNoRoot) {
  SessionHarness h;
  TestClient c = h.login();
  auto r = c.transact("ok", "GETQUOTAROOT INBOX");
  EXPECT_EQ(r.untagged, std::vector<std::string>{"* QUOTAROOT INBOX"});
  c.transact("no", "GETQUOTA \"\"");
  r = c.transact("no", "GETQUOTAROOT Nowhere");
  EXPECT_NE(r.tagged.find("[NONEXISTENT]"), std::string::npos);
}

TEST(Quota, ResourcesFromTheStore) {
  SessionHarness h;
  ASSERT_TRUE(h.store().set_quota(kUser, store::QuotaLimits{10 * 1024, 5}));
  const std::string m = make_message("q", 1500);  // between 1 and 2 KiB
  h.deliver(m);
  TestClient c = h.login();
  auto r = c.transact("ok", "GETQUOTAROOT inbox");
  const std::vector<std::string> expected = {"* QUOTAROOT INBOX \"\"",
                                             "* QUOTA \"\" (STORAGE 2 10 MESSAGE 1 5)"};
  EXPECT_EQ(r.untagged, expected);
  r = c.transact("ok", "GETQUOTA \"\"");
  EXPECT_EQ(r.untagged, std::vector<std::string>{"* QUOTA \"\" (STORAGE 2 10 MESSAGE 1 5)"});
  c.transact("no", "GETQUOTA other");
  r = c.transact("no", "SETQUOTA \"\" (STORAGE 100000)");
  EXPECT_NE(r.tagged.find("[NOPERM]"), std::string::npos);
  // One resource only.
  ASSERT_TRUE(h.store().set_quota(kUser, store::QuotaLimits{std::nullopt, 5}));
  r = c.transact("ok", "GETQUOTA \"\"");
  EXPECT_EQ(r.untagged, std::vector<std::string>{"* QUOTA \"\" (MESSAGE 1 5)"});
}

TEST(Quota, AppendOverQuota) {
  SessionHarness h;
  ASSERT_TRUE(h.store().set_quota(kUser, store::QuotaLimits{std::nullopt, 2}));
  TestClient c = h.login();
  const std::string m = make_message("a");
  const std::string lit = "{" + std::to_string(m.size()) + "+}\r\n" + m;
  c.transact("ok", "APPEND INBOX " + lit);
  // MULTIAPPEND of two where only one fits: neither is stored.
  auto r = c.transact("no", "APPEND INBOX " + lit + " " + lit);
  EXPECT_NE(r.tagged.find("[OVERQUOTA]"), std::string::npos) << r.tagged;
  EXPECT_EQ(h.store().mailbox(kUser, "INBOX")->messages, 1u);
  c.transact("ok", "APPEND INBOX " + lit);  // exactly at the limit
  r = c.transact("no", "APPEND INBOX " + lit);
  EXPECT_NE(r.tagged.find("[OVERQUOTA]"), std::string::npos);
}

TEST(Quota, StatusDeletedStorage) {
  SessionHarness h;
  h.deliver(make_message("keep", 3000));
  h.deliver(make_message("gone", 3000), "INBOX", store::kDeleted);
  h.deliver(make_message("gone too", 3000), "INBOX", store::kDeleted);
  TestClient c = h.login();
  auto info = h.store().mailbox(kUser, "INBOX");
  const uint64_t deleted_octets = info->size - (info->size / 3);  // three similar messages
  auto r = c.transact("ok", "STATUS INBOX (DELETED DELETED-STORAGE)");
  ASSERT_EQ(r.untagged.size(), 1u);
  EXPECT_EQ(r.untagged[0].rfind("* STATUS INBOX (DELETED 2 DELETED-STORAGE ", 0), 0u)
      << r.untagged[0];
  const uint64_t kib = std::stoull(r.untagged[0].substr(r.untagged[0].rfind(' ') + 1));
  EXPECT_NEAR(static_cast<double>(kib), static_cast<double>(deleted_octets) / 1024.0, 1.0);
}

}  // namespace
}  // namespace mail::imapd::testing
