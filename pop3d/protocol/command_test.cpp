// Tests for the POP3 command parser: a table of command lines and the value (or error
// text) each one parses to.
#include "pop3d/protocol/command.h"

#include <gtest/gtest.h>

namespace mail::pop3 {
namespace {

// A compact rendering of the parse result: "RETR 3", "USER [bob]", "ERR no such message".
std::string describe(const std::variant<Command, ParseError>& result) {
  if (const auto* e = std::get_if<ParseError>(&result)) return "ERR " + e->text;
  const Command& c = std::get<Command>(result);
  std::string out(verb_name(c.verb));
  if (!c.argument.empty()) out += " [" + c.argument + "]";
  if (c.number) out += " " + std::to_string(c.number);
  if (c.verb == Verb::Top) out += " " + std::to_string(c.lines);
  if (c.initial_response) out += " {" + *c.initial_response + "}";
  return out;
}

struct Case {
  const char* line;
  const char* expected;
};

TEST(Pop3Command, Table) {
  const Case cases[] = {
      {"CAPA", "CAPA"},
      {"capa", "CAPA"},
      {"QuIt", "QUIT"},
      {"STAT", "STAT"},
      {"NOOP", "NOOP"},
      {"RSET", "RSET"},
      {"STLS", "STLS"},
      {"STAT x", "ERR too many arguments"},
      {"USER alice@example.test", "USER [alice@example.test]"},
      {"user Bob", "USER [Bob]"},
      {"USER", "ERR missing user name"},
      {"USER a b", "ERR too many arguments"},
      {"PASS secret", "PASS [secret]"},
      {"AUTH", "AUTH"},
      {"AUTH PLAIN", "AUTH [PLAIN]"},
      {"auth scram-sha-256 biws", "AUTH [scram-sha-256] {biws}"},
      {"AUTH PLAIN =", "AUTH [PLAIN] {=}"},
      {"AUTH PLAIN a b", "ERR too many arguments"},
      {"PASS two words ", "PASS [two words ]"},
      {"PASS", "ERR missing password"},
      {"PASS ", "ERR missing password"},
      {"LIST", "LIST"},
      {"LIST ", "LIST"},
      {"LIST 2", "LIST 2"},
      {"LIST 0", "ERR no such message"},
      {"LIST 99999999999999", "ERR no such message"},
      {"LIST -1", "ERR invalid message number"},
      {"LIST 1x", "ERR invalid message number"},
      {"LIST 1 2", "ERR too many arguments"},
      {"UIDL", "UIDL"},
      {"uidl 7", "UIDL 7"},
      {"RETR 1", "RETR 1"},
      {"RETR", "ERR missing message number"},
      {"RETR  12", "RETR 12"},
      {"DELE 3", "DELE 3"},
      {"DELE", "ERR missing message number"},
      {"TOP 1 0", "TOP 1 0"},
      {"top 2 10", "TOP 2 10"},
      {"TOP 1 99999999999", "TOP 1 4294967295"},
      {"TOP 1", "ERR usage: TOP msg n"},
      {"TOP 1 x", "ERR invalid line count"},
      {"TOP 1 2 3", "ERR too many arguments"},
      {"APOP bob 0123", "ERR unknown command"},
      {"", "ERR unknown command"},
      {"RETRX 1", "ERR unknown command"},
      {" RETR 1", "ERR unknown command"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(describe(parse_command(c.line)), c.expected) << "line: " << c.line;
  }
}

TEST(Pop3Command, VerbNames) {
  EXPECT_EQ(verb_name(Verb::Top), "TOP");
  EXPECT_EQ(verb_name(Verb::Stls), "STLS");
}

}  // namespace
}  // namespace mail::pop3
