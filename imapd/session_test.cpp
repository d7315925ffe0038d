// The session's own limits, through a real session: the whole-command deadline, the
// command size bound, literal sizes that must not wrap, the pre-login command budget and
// timeout, and the BAD budget (issue 14 findings 1, 2 and 10).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

void tight(Config& cfg) {
  cfg.imapd.login_timeout = 1;
  cfg.imapd.max_commands_before_login = 5;
  cfg.imapd.max_bad_commands = 3;
  cfg.imapd.max_command_size = 2048;
}

TEST(Session, LiteralSizesDoNotWrap) {
  SessionHarness h;
  TestClient c = h.connect();
  // {1+} then {2^64-1+}: the old session summed them to 0 and read without a cap.
  c.send("a LOGIN {1+}\r\nx {18446744073709551615+}\r\n");
  EXPECT_EQ(c.read_line(), "* BYE [TOOBIG] Literal too large");
  EXPECT_TRUE(c.closed_by_server());
}

TEST(Session, CommandSizeIsBoundedAcrossLiterals) {
  SessionHarness h(tight);
  TestClient c = h.connect();
  std::string chain = "a ID ({0+}\r\n";
  for (int i = 0; i < 1000; ++i) chain += "{0+}\r\n";
  c.send(chain);
  EXPECT_EQ(c.read_line(), "* BYE [TOOBIG] Command too long");
  EXPECT_TRUE(c.closed_by_server());
}

TEST(Session, OneDeadlineForTheWholeCommand) {
  SessionHarness h(tight);
  TestClient c = h.connect();
  // Each line arrives well within the timeout, but the command never ends.
  const auto start = steady_clock::now();
  c.send("a ID ({0+}\r\n");
  std::string got;
  for (int i = 0; i < 20 && got.empty(); ++i) {
    std::this_thread::sleep_for(milliseconds(300));
    c.send("{0+}\r\n");
    got = c.pending(milliseconds(1));
  }
  if (got.empty()) got = c.read_line();
  EXPECT_EQ(got.rfind("* BYE Command not completed in time", 0), 0u) << got;
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(4));
}

TEST(Session, LoginTimeout) {
  SessionHarness h(tight);
  TestClient c = h.connect();
  const auto start = steady_clock::now();
  EXPECT_EQ(c.read_line(), "* BYE Autologout; idle for too long");
  EXPECT_GE(steady_clock::now() - start, milliseconds(900));
  EXPECT_TRUE(c.closed_by_server());
  // After login the (long) idle timeout applies.
  TestClient d = h.login();
  std::this_thread::sleep_for(milliseconds(1500));
  d.transact("ok", "NOOP");
}

TEST(Session, CommandsWithoutLoginAreCounted) {
  SessionHarness h(tight);
  TestClient c = h.connect();
  for (int i = 0; i < 4; ++i) c.transact("ok", "NOOP");
  c.transact("ok", "NOOP");  // the fifth: answered, then BYE
  c.read_line();
  EXPECT_TRUE(c.closed_by_server());
  // A login within the budget ends the counting.
  TestClient d = h.connect();
  for (int i = 0; i < 4; ++i) d.transact("ok", "CAPABILITY");
  d.transact("ok", "LOGIN alice@example.test pw");
  for (int i = 0; i < 10; ++i) d.transact("ok", "NOOP");
}

TEST(Session, TooManyBadCommands) {
  SessionHarness h(tight);
  TestClient c = h.login();
  c.transact("bad", "FROB");
  c.transact("bad", "FROB");
  c.transact("bad", "FROB");
  EXPECT_EQ(c.read_line(), "* BYE Too many invalid commands");
  EXPECT_TRUE(c.closed_by_server());
}

}  // namespace
}  // namespace mail::imapd::testing
