// The command table and the gate in front of it: one rule per name, every rule complete,
// and the BAD answers for unknown commands, missing UID forms and the wrong state.
#include "imapd/commands/command_table.h"

#include <gtest/gtest.h>

#include <set>

#include "imapd/commands/testing/session_harness.h"
#include "imapd/session_state.h"

namespace mail::imapd::testing {
namespace {

TEST(CommandTable, OneCompleteRulePerName) {
  std::set<std::string_view> names;
  for (const CommandRule& rule : command_table()) {
    SCOPED_TRACE(std::string(rule.name));
    EXPECT_TRUE(names.insert(rule.name).second) << "listed twice";
    for (char c : rule.name) EXPECT_TRUE(c >= 'A' && c <= 'Z') << "names are upper case";
    EXPECT_NE(rule.parse, nullptr);
    EXPECT_NE(rule.handler, nullptr);
    EXPECT_NE(rule.states, 0u);
    EXPECT_EQ(rule.states & kLogoutBit, 0u);
  }
  EXPECT_NE(find_command("FETCH", true), nullptr);
  EXPECT_EQ(find_command("LOGIN", true), nullptr);
  EXPECT_EQ(find_command("fetch", false), nullptr);  // the head parser upper-cases
  EXPECT_EQ(find_command("FROB", false), nullptr);
}

TEST(CommandTable, GateAnswers) {
  SessionHarness h;
  TestClient c = h.connect();
  auto r = c.transact("bad", "FROBNICATE now");
  EXPECT_EQ(r.tagged, "t1 BAD Unknown command");
  r = c.transact("bad", "SELECT INBOX");
  EXPECT_EQ(r.tagged, "t2 BAD SELECT not allowed now");
  c.transact("ok", "LOGIN alice@example.test pw");
  r = c.transact("bad", "UID LOGIN a b");
  EXPECT_EQ(r.tagged, "t4 BAD Unknown command");
  r = c.transact("bad", "FETCH 1 FLAGS");
  EXPECT_EQ(r.tagged, "t5 BAD FETCH not allowed now");
  r = c.transact("bad", "NOOP extra");
  EXPECT_EQ(r.tagged, "t6 BAD NOOP: unexpected characters at end of command");
  c.send("(bad NOOP\r\n");
  EXPECT_EQ(c.read_line(), "* BAD missing tag");
}

}  // namespace
}  // namespace mail::imapd::testing
