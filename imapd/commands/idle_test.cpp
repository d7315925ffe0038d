// IDLE (RFC 2177) through real sessions: woken by a delivery and by another session's
// changes through the store's change notices (not the periodic refresh: it is set to an
// hour here), DONE read while changes are pushed, autologout, keepalive, a wrong line.
#include <gtest/gtest.h>

#include <chrono>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

void no_polling(Config& cfg) {
  cfg.imapd.idle_refresh_interval = 3600;
  cfg.imapd.idle_keepalive = 3600;
}

// Reads responses until one equals `want` (or 5 s pass); the lines read.
std::vector<std::string> read_until(TestClient& c, std::string_view want) {
  std::vector<std::string> lines;
  const auto deadline = steady_clock::now() + std::chrono::seconds(5);
  while (steady_clock::now() < deadline) {
    lines.push_back(c.read_response());
    if (lines.back() == want || lines.back().empty()) break;
  }
  return lines;
}

TEST(Idle, WokenByDelivery) {
  SessionHarness h(no_polling);
  h.deliver(make_message("a"));
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  c.send_command("IDLE\r\n");
  EXPECT_EQ(c.read_line(), "+ idling");
  const auto start = steady_clock::now();
  h.deliver(make_message("b"));
  EXPECT_EQ(c.read_line(), "* 2 EXISTS");
  EXPECT_EQ(c.read_line(), "* 2 RECENT");  // claimed by this session (RFC 3501 2.3.2)
  EXPECT_LT(steady_clock::now() - start, milliseconds(1000));  // a notice, not a poll
  c.send("DONE\r\n");
  auto r = c.wait("ok");
  EXPECT_TRUE(r.untagged.empty());
  c.transact("ok", "NOOP");  // the session goes on normally
}

TEST(Idle, WokenByAnotherSession) {
  SessionHarness h(no_polling);
  for (int i = 0; i < 3; ++i) h.deliver(make_message(std::to_string(i)));
  TestClient a = h.login();
  TestClient b = h.login();
  a.transact("ok", "SELECT INBOX");
  b.transact("ok", "SELECT INBOX");
  a.send_command("IDLE\r\n");
  EXPECT_EQ(a.read_line(), "+ idling");
  b.transact("ok", "STORE 1 +FLAGS.SILENT (\\Flagged)");
  EXPECT_EQ(a.read_line(), "* 1 FETCH (UID 1 FLAGS (\\Recent \\Flagged))");
  b.transact("ok", "STORE 2 +FLAGS.SILENT (\\Deleted)");
  b.transact("ok", "EXPUNGE");
  auto lines = read_until(a, "* 2 EXPUNGE");
  EXPECT_EQ(lines.back(), "* 2 EXPUNGE");
  a.send("DONE\r\n");
  a.wait("ok");
  auto r = a.transact("ok", "FETCH 1:* UID");
  EXPECT_EQ(r.untagged, (std::vector<std::string>{"* 1 FETCH (UID 1)", "* 2 FETCH (UID 3)"}));
}

// DONE arrives while the writer is pushing a burst of changes: every change before DONE
// is reported, the tagged OK comes last, and nothing is lost or interleaved.
TEST(Idle, DoneDuringABurst) {
  SessionHarness h(no_polling);
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  c.send_command("IDLE\r\n");
  EXPECT_EQ(c.read_line(), "+ idling");
  for (int i = 0; i < 50; ++i) h.deliver(make_message("burst" + std::to_string(i)));
  c.send("DONE\r\n");
  auto r = c.wait("ok");
  for (const auto& line : r.untagged)
    EXPECT_TRUE(line.ends_with(" EXISTS") || line.ends_with(" RECENT")) << line;
  r = c.transact("ok", "NOOP");
  // Whatever IDLE had not reported yet, NOOP does: 50 messages in the end.
  r = c.transact("ok", "FETCH 50 UID");
  EXPECT_EQ(r.untagged.back(), "* 50 FETCH (UID 50)");
}

TEST(Idle, InAuthenticatedStateAndAWrongLine) {
  SessionHarness h(no_polling);
  TestClient c = h.login();
  c.send_command("IDLE\r\n");
  EXPECT_EQ(c.read_line(), "+ idling");
  c.send("NOOP\r\n");
  c.wait("bad");
  c.transact("ok", "NOOP");
}

TEST(Idle, Autologout) {
  SessionHarness h([](Config& cfg) { cfg.imapd.idle_timeout = 1; });
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  c.send_command("IDLE\r\n");
  EXPECT_EQ(c.read_line(), "+ idling");
  EXPECT_EQ(c.read_line(), "* BYE Autologout; idle for too long");
  EXPECT_TRUE(c.closed_by_server());
}

TEST(Idle, KeepaliveAndSafetyRefresh) {
  SessionHarness h([](Config& cfg) {
    cfg.imapd.idle_keepalive = 1;
    cfg.imapd.idle_refresh_interval = 1;
  });
  TestClient c = h.login();
  c.transact("ok", "SELECT INBOX");
  c.send_command("IDLE\r\n");
  EXPECT_EQ(c.read_line(), "+ idling");
  EXPECT_EQ(c.read_line(), "* OK Still here");
  c.send("DONE\r\n");
  c.wait("ok");
}

}  // namespace
}  // namespace mail::imapd::testing
