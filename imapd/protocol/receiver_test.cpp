// Tests for CommandReceiver: tables of raw octets in (literals included), outcomes out.
// Every case runs twice: with the input in the pieces given, and one octet at a time,
// which must give the same outcomes.
#include "imapd/protocol/receiver.h"
#include "imapd/protocol/receiver_steps.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mail::imap {
namespace {

using receiver_steps::describe;
using receiver_steps::run;

std::vector<std::string> octet_by_octet(const std::vector<std::string>& pieces) {
  std::vector<std::string> out;
  for (const auto& p : pieces)
    for (char c : p) out.emplace_back(1, c);
  return out;
}

ReceiverLimits small_limits() {
  ReceiverLimits l;
  l.max_line = 40;
  l.max_command = 100;
  l.max_append_data = 1000;
  return l;
}

struct Case {
  const char* name;
  ReceiverLimits limits;
  std::vector<std::string> input;
  std::vector<std::string> expected;
};

TEST(Receiver, Table) {
  ReceiverLimits lim = small_limits();
  ReceiverLimits before_login = lim;
  before_login.max_literal = 8;
  ReceiverLimits literal_minus = lim;
  literal_minus.max_non_sync_literal = 4;
  const Case cases[] = {
      {"one line", lim, {"a1 NOOP\r\n"}, {"cmd:a1 NOOP\r\n"}},
      {"bare LF becomes CRLF", lim, {"a1 NOOP\n"}, {"cmd:a1 NOOP\r\n"}},
      {"pipelined",
       lim,
       {"a1 NOOP\r\na2 CAPABILITY\r\n"},
       {"cmd:a1 NOOP\r\n", "cmd:a2 CAPABILITY\r\n"}},
      {"split anywhere", lim, {"a1 NO", "OP\r", "\n"}, {"cmd:a1 NOOP\r\n"}},
      {"empty line", lim, {"\r\n"}, {"cmd:\r\n"}},
      {"sync literal",
       lim,
       {"a LOGIN {4}\r\n", "fred x\r\n"},
       {"lit:4+", "cmd:a LOGIN {4}\r\nfred x\r\n"}},
      {"two literals, LITERAL+",
       lim,
       {"A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man\r\n"},
       {"lit:11", "lit:7", "cmd:A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man\r\n"}},
      {"literal holding CRLF and braces",
       lim,
       {"a X {5}\r\n{1}\r\n\r\n"},
       {"lit:5+", "cmd:a X {5}\r\n{1}\r\n\r\n"}},
      {"literal8",
       lim,
       {std::string("a APPEND x ~{3}\r\na\0b\r\n", 22)},
       {"lit:3+", std::string("cmd:a APPEND x ~{3}\r\na\0b\r\n", 26)}},
      {"zero-length literal",
       lim,
       {"a LOGIN {0}\r\n \"x\"\r\n"},
       {"lit:0+", "cmd:a LOGIN {0}\r\n \"x\"\r\n"}},
      {"line at the limit",
       lim,
       {"a ID \"" + std::string(31, 'p') + "\"\r\n"},
       {"cmd:a ID \"" + std::string(31, 'p') + "\"\r\n"}},
      {"line one over the limit, then in step",
       lim,
       {"a ID \"" + std::string(32, 'p') + "\"\r\nb NOOP\r\n"},
       {"bad:a", "cmd:b NOOP\r\n"}},
      {"over-long line announcing a sync literal: BAD, client waits",
       lim,
       {"a ID " + std::string(50, 'x') + " {5}\r\nb NOOP\r\n"},
       {"bad:a", "cmd:b NOOP\r\n"}},
      {"over-long line announcing a non-sync literal: BYE",
       lim,
       {"a LOGIN " + std::string(50, 'x') + " {5+}\r\nhello\r\n"},
       {"bye:a"}},
      // Issue 14 finding 1: {1+} then {2^64-1+} summed to 0 and was read without a cap.
      {"literal sizes do not wrap",
       lim,
       {"a LOGIN {1+}\r\nx {18446744073709551615+}\r\n"},
       {"lit:1", "bye:a"}},
      {"literal size overflowing 64 bits",
       lim,
       {"a LOGIN {99999999999999999999999}\r\n"},
       {"no:a"}},
      {"sync literal over the command budget: NO [TOOBIG], in step",
       lim,
       {"a LOGIN {101}\r\n", "b NOOP\r\n"},
       {"no:a", "cmd:b NOOP\r\n"}},
      {"non-sync literal over the budget: BYE", lim, {"a LOGIN {101+}\r\n"}, {"bye:a"}},
      {"command budget counts lines and literals",
       lim,
       {"a LOGIN {60}\r\n", std::string(60, 'u') + " {20}\r\n"},
       {"lit:60+", "no:a"}},
      // Issue 14 finding 2: lines ending in {0+} continued one command forever.
      {"{0+} chain ends at the command budget",
       lim,
       {std::string("a ID {0+}\r\n") +
        [] {
          std::string s;
          for (int i = 0; i < 40; ++i) s += "{0+}\r\n";
          return s;
        }()},
       {"lit:0", "lit:0", "lit:0", "lit:0", "lit:0", "lit:0", "lit:0", "lit:0", "lit:0", "lit:0",
        "lit:0", "lit:0", "lit:0", "lit:0", "lit:0", "bye:a"}},
      {"APPEND data has its own budget",
       lim,
       {"a APPEND INBOX {1000}\r\n", std::string(1000, 'm'), "\r\n"},
       {"lit:1000+", "cmd:a APPEND INBOX {1000}\r\n" + std::string(1000, 'm') + "\r\n"}},
      {"APPEND data one over its budget", lim, {"a append INBOX {1001}\r\n"}, {"no:a"}},
      {"APPEND non-sync over its budget", lim, {"a APPEND INBOX {1001+}\r\n"}, {"bye:a"}},
      // Issue 14 finding 4: before login only small literals.
      {"before login: literal at the limit",
       before_login,
       {"a LOGIN {8}\r\n12345678 x\r\n"},
       {"lit:8+", "cmd:a LOGIN {8}\r\n12345678 x\r\n"}},
      {"before login: one over", before_login, {"a LOGIN {9}\r\n"}, {"no:a"}},
      {"before login: APPEND too", before_login, {"a APPEND INBOX {9+}\r\n"}, {"bye:a"}},
      {"LITERAL-: non-sync at 4096-equivalent",
       literal_minus,
       {"a LOGIN {4+}\r\nfred x\r\n"},
       {"lit:4", "cmd:a LOGIN {4+}\r\nfred x\r\n"}},
      {"LITERAL-: non-sync over it is BAD [TOOBIG] then BYE",
       literal_minus,
       {"a LOGIN {5+}\r\nfred1 x\r\n"},
       {"badbye:a"}},
      {"LITERAL-: sync literals are unaffected", literal_minus, {"a LOGIN {5}\r\n"}, {"lit:5+"}},
      {"no usable tag", lim, {"+x NOOP {101}\r\n"}, {"no:*"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CommandReceiver pieces(c.limits);
    EXPECT_EQ(run(pieces, c.input), c.expected);
    CommandReceiver octets(c.limits);
    EXPECT_EQ(run(octets, octet_by_octet(c.input)), c.expected) << "octet by octet";
  }
}

TEST(Receiver, InCommandAndMemory) {
  CommandReceiver r(small_limits());
  EXPECT_FALSE(r.in_command());
  Received got = r.receive("a NO");
  EXPECT_TRUE(std::holds_alternative<NeedMore>(got.outcome));
  EXPECT_TRUE(r.in_command());
  got = r.receive("OP\r\nb");
  EXPECT_EQ(got.consumed, 4u);  // stops at the end of the command
  EXPECT_FALSE(r.in_command());
  // An over-long line is skipped without being held.
  std::string junk(100000, 'x');
  r.receive(junk);
  EXPECT_EQ(r.buffered(), 0u);
  got = r.receive("\r\n");
  EXPECT_EQ(describe(got.outcome), "bad:*");
}

TEST(Receiver, LiteralAnnouncedButNotSentHoldsNothing) {
  ReceiverLimits l = small_limits();
  l.max_append_data = uint64_t{1} << 40;
  CommandReceiver r(l);
  Received got = r.receive("a APPEND INBOX {1000000000}\r\n");
  EXPECT_EQ(describe(got.outcome), "lit:1000000000+");
  EXPECT_LT(r.buffered(), 1024u);
  r.receive(std::string(100, 'm'));
  EXPECT_LT(r.buffered(), 64u * 1024);  // grows with what arrives, not what was announced
}

TEST(Receiver, TagOf) {
  EXPECT_EQ(tag_of("a1 NOOP"), "a1");
  EXPECT_EQ(tag_of("a]b NOOP"), "a]b");
  EXPECT_EQ(tag_of("A1\r\n"), "A1");
  EXPECT_EQ(tag_of(""), "*");
  EXPECT_EQ(tag_of(" NOOP"), "*");
  EXPECT_EQ(tag_of("a+b NOOP"), "*");
  EXPECT_EQ(tag_of("a(b NOOP"), "*");
  EXPECT_EQ(tag_of(std::string(65, 't') + " NOOP"), "*");
}

}  // namespace
}  // namespace mail::imap
