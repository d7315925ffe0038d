// Tests for byte-stuffing of multi-line responses and the TOP slice.
#include "pop3d/protocol/multiline.h"

#include <gtest/gtest.h>

namespace mail::pop3 {
namespace {

std::string stuff_whole(std::string_view message) {
  DotStuffer s;
  std::string out;
  s.append(message, out);
  s.finish(out);
  return out;
}

TEST(DotStuffer, StuffsLeadingDots) {
  EXPECT_EQ(stuff_whole("a\r\n.b\r\n..\r\n.\r\nc.\r\n"), "a\r\n..b\r\n...\r\n..\r\nc.\r\n.\r\n");
  EXPECT_EQ(stuff_whole(".first\r\n"), "..first\r\n.\r\n");
  EXPECT_EQ(stuff_whole(""), ".\r\n");
}

TEST(DotStuffer, AddsMissingFinalCrlf) {
  EXPECT_EQ(stuff_whole("no end"), "no end\r\n.\r\n");
}

TEST(DotStuffer, BareLfStartsALine) {
  EXPECT_EQ(stuff_whole("a\n.b\n"), "a\n..b\n.\r\n");
}

TEST(DotStuffer, PiecesSplitAnywhere) {
  const std::string message = "x\r\n.y\r\n.\r\nz..\r\n.\r\n";
  const std::string expected = stuff_whole(message);
  for (size_t piece = 1; piece <= message.size(); ++piece) {
    DotStuffer s;
    std::string out;
    for (size_t pos = 0; pos < message.size(); pos += piece)
      s.append(std::string_view(message).substr(pos, piece), out);
    s.finish(out);
    EXPECT_EQ(out, expected) << "piece size " << piece;
  }
}

TEST(TopLength, HeaderAndLines) {
  const std::string m = "A: 1\r\nB: 2\r\n\r\nline1\r\nline2\r\nline3\r\n";
  EXPECT_EQ(m.substr(0, top_length(m, 0)), "A: 1\r\nB: 2\r\n\r\n");
  EXPECT_EQ(m.substr(0, top_length(m, 1)), "A: 1\r\nB: 2\r\n\r\nline1\r\n");
  EXPECT_EQ(m.substr(0, top_length(m, 2)), "A: 1\r\nB: 2\r\n\r\nline1\r\nline2\r\n");
  EXPECT_EQ(top_length(m, 3), m.size());
  EXPECT_EQ(top_length(m, 100), m.size());
}

TEST(TopLength, NoBodyOrNoBlankLine) {
  EXPECT_EQ(top_length("A: 1\r\nB: 2\r\n", 5), 12u);
  EXPECT_EQ(top_length("A: 1\r\nB: 2", 0), 10u);
  const std::string lf = "A: 1\n\nbody\nmore\n";
  EXPECT_EQ(lf.substr(0, top_length(lf, 1)), "A: 1\n\nbody\n");
  const std::string last = "A: 1\r\n\r\nno newline";
  EXPECT_EQ(top_length(last, 1), last.size());
}

}  // namespace
}  // namespace mail::pop3
