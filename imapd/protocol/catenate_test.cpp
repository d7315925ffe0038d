// APPEND CATENATE (RFC 4469) at the protocol layer: the receiver frames its TEXT literals
// like any APPEND data (a continuation for each synchronizing one, every one counted
// against the APPEND limits before its octets are read), and args::append parses the
// cat-parts in order.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "imapd/protocol/arguments.h"
#include "imapd/protocol/parser.h"
#include "imapd/protocol/receiver.h"
#include "imapd/protocol/receiver_steps.h"

namespace mail::imap {
namespace {

using Kind = CatenatePart::Kind;
using receiver_steps::run;

AppendArgs parse_append(std::string_view wire) {
  ParseResult r = parse_command(wire, args::append);
  if (auto* e = std::get_if<ParseError>(&r)) {
    ADD_FAILURE() << "parse failed: " << e->message << " for: " << wire;
    return {};
  }
  return std::get<AppendArgs>(std::get<Command>(r).args);
}

TEST(CatenateParse, TextAndUrlPartsInOrder) {
  AppendArgs a = parse_append(
      "a APPEND Drafts (\\Seen) CATENATE (URL \"/INBOX;UIDVALIDITY=7/;UID=20/;SECTION=1\" "
      "TEXT {7}\r\nHi\r\nyo! url /INBOX/;uid=3 text {2+}\r\n\r\n)\r\n");
  EXPECT_EQ(a.mailbox, "Drafts");
  ASSERT_EQ(a.messages.size(), 1u);
  const AppendMessage& m = a.messages[0];
  EXPECT_TRUE(m.is_catenate());
  EXPECT_EQ(m.message, "");
  EXPECT_EQ(m.flags, std::vector<std::string>{"\\Seen"});
  const std::vector<CatenatePart> want = {
      {Kind::Url, "/INBOX;UIDVALIDITY=7/;UID=20/;SECTION=1"},
      {Kind::Text, "Hi\r\nyo!"},
      {Kind::Url, "/INBOX/;uid=3"},  // an astring may be an atom
      {Kind::Text, "\r\n"},
  };
  EXPECT_EQ(m.catenate, want);
}

TEST(CatenateParse, Literal8AndUtf8Text) {
  static constexpr char kWire[] =
      "a APPEND x CATENATE (TEXT ~{3+}\r\na\0b UTF8 (~{2+}\r\n\xc3\xa9))\r\n";
  AppendArgs a = parse_append(std::string_view(kWire, sizeof kWire - 1));
  ASSERT_EQ(a.messages.size(), 1u);
  ASSERT_EQ(a.messages[0].catenate.size(), 2u);
  EXPECT_TRUE(a.messages[0].catenate[0].binary);
  EXPECT_EQ(a.messages[0].catenate[0].data, std::string("a\0b", 3));
  EXPECT_TRUE(a.messages[0].catenate[1].utf8);
  EXPECT_EQ(a.messages[0].catenate[1].data, "\xc3\xa9");
}

// RFC 3502 with RFC 4469: CATENATE and plain messages mixed, each with its own flags and
// date (imaptest's catenate-multiappend sends these forms).
TEST(CatenateParse, MultiAppendMixesForms) {
  AppendArgs a = parse_append(
      "a APPEND x catenate (url \"/imaptest/;uid=1\") (\\Answered) {3+}\r\nNew "
      "\" 1-Jan-2020 00:00:00 +0000\" CATENATE (TEXT {1+}\r\nz)\r\n");
  ASSERT_EQ(a.messages.size(), 3u);
  EXPECT_TRUE(a.messages[0].is_catenate());
  EXPECT_TRUE(a.messages[0].flags.empty());
  EXPECT_FALSE(a.messages[1].is_catenate());
  EXPECT_EQ(a.messages[1].message, "New");
  EXPECT_EQ(a.messages[1].flags, std::vector<std::string>{"\\Answered"});
  ASSERT_TRUE(a.messages[2].date_time.has_value());
  EXPECT_EQ(a.messages[2].catenate, (std::vector<CatenatePart>{{Kind::Text, "z"}}));
}

TEST(CatenateParse, Malformed) {
  for (std::string_view bad : {
           "a APPEND x CATENATE ()\r\n",                 // at least one part (RFC 4469 section 5)
           "a APPEND x CATENATE (TEXT \"quoted\")\r\n",  // TEXT takes a literal only
           "a APPEND x CATENATE (URL)\r\n", "a APPEND x CATENATE (FOO {1+}\r\nx)\r\n",
           "a APPEND x CATENATE (TEXT {1+}\r\nx\r\n",  // unclosed
           "a APPEND x CATENATE (TEXT {1+}\r\nx  URL y)\r\n",
           "a APPEND x CATENATE TEXT {1+}\r\nx\r\n",
           "a APPEND x CATENATE (UTF8 ({1+}\r\nx))\r\n",  // UTF8 takes literal8
           "a APPEND x CATENATE (TEXT {1+}\r\nx)(TEXT {1+}\r\ny)\r\n",
           "a APPEND x CATENATE (TEXT {5+}\r\nx)\r\n",  // truncated literal
       }) {
    EXPECT_TRUE(std::holds_alternative<ParseError>(parse_command(bad, args::append))) << bad;
  }
}

// --- framing ---

ReceiverLimits catenate_limits() {
  ReceiverLimits l;
  l.max_line = 100;
  l.max_command = 200;
  l.max_literal = 10;      // APPENDLIMIT: each TEXT literal
  l.max_append_data = 16;  // every TEXT literal of the command together
  return l;
}

TEST(CatenateFraming, ContinuationForEachSynchronizingText) {
  CommandReceiver r(catenate_limits());
  const std::string cmd =
      "a APPEND x CATENATE (TEXT {4}\r\nab\r\n URL \"/INBOX/;uid=1\" TEXT {2+}\r\nyz TEXT "
      "{3}\r\nend)\r\n";
  EXPECT_EQ(run(r, {"a APPEND x CATENATE (TEXT {4}\r\n", "ab\r\n URL \"/INBOX/;uid=1\" ",
                    "TEXT {2+}\r\nyz TEXT {3}\r\n", "end)\r\n"}),
            (std::vector<std::string>{"lit:4+", "lit:2", "lit:3+", "cmd:" + cmd}));
  // The parsed command has the parts the receiver framed.
  AppendArgs a = parse_append(cmd);
  ASSERT_EQ(a.messages.size(), 1u);
  EXPECT_EQ(a.messages[0].catenate.size(), 4u);
}

TEST(CatenateFraming, TextLiteralsCountAgainstAppendLimits) {
  {
    // One TEXT literal over the message limit: NO [TOOBIG] before its octets, in step.
    CommandReceiver r(catenate_limits());
    EXPECT_EQ(run(r, {"a APPEND x CATENATE (TEXT {11}\r\n", "b NOOP\r\n"}),
              (std::vector<std::string>{"no:a", "cmd:b NOOP\r\n"}));
  }
  {
    // At the limit: taken.
    CommandReceiver r(catenate_limits());
    EXPECT_EQ(run(r, {"a APPEND x CATENATE (TEXT {10}\r\n"}),
              (std::vector<std::string>{"lit:10+"}));
  }
  {
    // Each within the message limit, together over the command's APPEND data: the third
    // is refused before it is sent.
    CommandReceiver r(catenate_limits());
    EXPECT_EQ(run(r, {"a APPEND x CATENATE (TEXT {8}\r\n", "12345678 TEXT {8}\r\n",
                      "12345678 TEXT {1}\r\n", "b NOOP\r\n"}),
              (std::vector<std::string>{"lit:8+", "lit:8+", "no:a", "cmd:b NOOP\r\n"}));
  }
  {
    // A non-synchronizing TEXT over a limit: its octets are on the way, so BYE.
    CommandReceiver r(catenate_limits());
    EXPECT_EQ(run(r, {"a APPEND x CATENATE (TEXT {11+}\r\n"}), (std::vector<std::string>{"bye:a"}));
  }
  {
    // URL parts are line octets: a line over max_line is BAD and skipped.
    CommandReceiver r(catenate_limits());
    EXPECT_EQ(run(r, {"a APPEND x CATENATE (URL \"/INBOX/;uid=1/;section=" + std::string(80, '1') +
                      "\")\r\nb NOOP\r\n"}),
              (std::vector<std::string>{"bad:a", "cmd:b NOOP\r\n"}));
  }
}

}  // namespace
}  // namespace mail::imap
