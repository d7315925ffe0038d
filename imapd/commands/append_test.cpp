// APPEND through a real session: literals of each kind, APPENDUID, the size limit.
#include <gtest/gtest.h>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

void small_appendlimit(Config& cfg) {
  cfg.imapd.max_literal_size = 4096;
}

TEST(Append, SynchronizingLiteral) {
  SessionHarness h;
  TestClient c = h.login();
  const std::string m = make_message("sync");
  c.send_command("APPEND INBOX (\\Seen) {" + std::to_string(m.size()) + "}\r\n");
  EXPECT_EQ(c.read_line().rfind("+ ", 0), 0u);
  c.send(m + "\r\n");
  auto r = c.wait("ok");
  EXPECT_NE(r.tagged.find("[APPENDUID "), std::string::npos) << r.tagged;
  EXPECT_NE(r.tagged.find(" 1] APPEND completed"), std::string::npos) << r.tagged;
  auto stored = h.store().messages(h.store().mailbox(kUser, "INBOX")->id);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].flags.system, store::kSeen);
  EXPECT_EQ(*h.store().message_bytes(h.store().mailbox(kUser, "INBOX")->id, 1), m);
}

TEST(Append, NonSynchronizingLiteralAndLiteral8IntoSelectedMailbox) {
  SessionHarness h;
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  const std::string m = make_message("nonsync");
  auto r = c.transact("ok", "APPEND INBOX \"17-Jul-1996 02:44:25 -0700\" {" +
                                std::to_string(m.size()) + "+}\r\n" + m);
  ASSERT_FALSE(r.untagged.empty());
  EXPECT_EQ(r.untagged.back(), "* 1 EXISTS");  // the selected mailbox learns at once
  r = c.transact("ok", "APPEND INBOX ~{" + std::to_string(m.size()) + "+}\r\n" + m);
  EXPECT_EQ(r.untagged.back(), "* 2 EXISTS");
  r = c.transact("ok", "FETCH 1 INTERNALDATE");
  EXPECT_EQ(r.untagged.back(), "* 1 FETCH (INTERNALDATE \"17-Jul-1996 09:44:25 +0000\")");
}

TEST(Append, MissingMailboxAndBadFlags) {
  SessionHarness h;
  TestClient c = h.login();
  auto r = c.transact("no", "APPEND Nowhere {3+}\r\nabc");
  EXPECT_NE(r.tagged.find("[TRYCREATE]"), std::string::npos);
  c.transact("bad", "APPEND INBOX (\\Bogus) {3+}\r\nabc");
  c.transact("no", "APPEND INBOX {0+}\r\n");
}

TEST(Append, OverTheLimit) {
  SessionHarness h(small_appendlimit);
  TestClient c = h.login();
  auto r = c.transact("ok", "CAPABILITY");
  EXPECT_NE(r.untagged[0].find("APPENDLIMIT=4096"), std::string::npos);
  // At the limit: accepted. One over: NO [TOOBIG] before the octets are sent.
  c.transact("ok", "APPEND INBOX {4096+}\r\n" + std::string(4096, 'x'));
  c.send_command("APPEND INBOX {4097}\r\n");
  EXPECT_EQ(c.read_line(), "t4 NO [TOOBIG] Literal too large");
  c.transact("ok", "NOOP");  // in step
  // Non-synchronizing: the octets are on the way; BYE and close.
  c.send_command("APPEND INBOX {4097+}\r\n");
  EXPECT_EQ(c.read_line(), "* BYE [TOOBIG] Literal too large");
  EXPECT_TRUE(c.closed_by_server());
}

}  // namespace
}  // namespace mail::imapd::testing
