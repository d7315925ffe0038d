#include "common/net/line_buffer.h"

#include <gtest/gtest.h>

#include <vector>

namespace mail::net {
namespace {

std::vector<std::string> lines_of(LineBuffer& b) {
  std::vector<std::string> out;
  std::string line;
  for (;;) {
    auto s = b.next_line(line);
    if (s == LineBuffer::Status::NeedMore) break;
    out.push_back(s == LineBuffer::Status::TooLong ? "<too long>" : line);
  }
  return out;
}

TEST(LineBufferTest, SplitsPipelinedLines) {
  LineBuffer b(100);
  b.append("EHLO a\r\nMAIL FROM:<x@y>\r\nRCPT TO:<z@w>\r\nDA");
  EXPECT_EQ(lines_of(b), (std::vector<std::string>{"EHLO a", "MAIL FROM:<x@y>", "RCPT TO:<z@w>"}));
  EXPECT_EQ(b.data(), "DA");
  b.append("TA\r\n");
  EXPECT_EQ(lines_of(b), (std::vector<std::string>{"DATA"}));
  EXPECT_EQ(b.size(), 0u);
}

TEST(LineBufferTest, LineArrivingByteByByte) {
  LineBuffer b(100);
  std::string line;
  for (char c : std::string("NOOP\r")) {
    b.append(std::string(1, c));
    EXPECT_EQ(b.next_line(line), LineBuffer::Status::NeedMore);
  }
  b.append("\n");
  EXPECT_EQ(b.next_line(line), LineBuffer::Status::Line);
  EXPECT_EQ(line, "NOOP");
  EXPECT_FALSE(b.ended_with_bare_lf());
}

TEST(LineBufferTest, BareLfIsReported) {
  LineBuffer b(100);
  b.append("NOOP\n");
  std::string line;
  EXPECT_EQ(b.next_line(line), LineBuffer::Status::Line);
  EXPECT_EQ(line, "NOOP");
  EXPECT_TRUE(b.ended_with_bare_lf());
}

TEST(LineBufferTest, LimitCountsCrlf) {
  LineBuffer b(10);
  b.append("12345678\r\n");   // exactly 10 octets: allowed
  b.append("123456789\r\n");  // 11: too long
  b.append("ok\r\n");
  EXPECT_EQ(lines_of(b), (std::vector<std::string>{"12345678", "<too long>", "ok"}));
}

TEST(LineBufferTest, OverlongLineWithoutEndIsReportedOnceAndSkipped) {
  LineBuffer b(10);
  b.append(std::string(25, 'x'));
  std::string line;
  EXPECT_EQ(b.next_line(line), LineBuffer::Status::TooLong);
  b.append(std::string(5000, 'y'));
  EXPECT_EQ(b.next_line(line), LineBuffer::Status::NeedMore);
  EXPECT_EQ(b.size(), 0u);  // memory stays bounded while skipping
  b.append("zz\r\nQUIT\r\n");
  EXPECT_EQ(lines_of(b), (std::vector<std::string>{"QUIT"}));
}

TEST(LineBufferTest, TakeExactBytesForLiterals) {
  LineBuffer b(100);
  b.append("a LOGIN {5}\r\nalice {6}\r\n");
  std::string line, literal;
  ASSERT_EQ(b.next_line(line), LineBuffer::Status::Line);
  EXPECT_EQ(line, "a LOGIN {5}");
  EXPECT_TRUE(b.take(5, literal));
  EXPECT_EQ(literal, "alice");
  ASSERT_EQ(b.next_line(line), LineBuffer::Status::Line);
  EXPECT_EQ(line, " {6}");
  EXPECT_FALSE(b.take(6, literal));  // not yet arrived
  b.append("se\r\ncr\r\n");
  EXPECT_TRUE(b.take(6, literal));
  EXPECT_EQ(literal, "se\r\ncr");  // literal bytes are opaque, CRLF included
  ASSERT_EQ(b.next_line(line), LineBuffer::Status::Line);
  EXPECT_EQ(line, "");
}

TEST(LineBufferTest, ClearDropsInjectedInput) {
  LineBuffer b(100);
  b.append("STARTTLS\r\nRSET\r\nMAIL FROM:<evil@x>\r\n");
  std::string line;
  ASSERT_EQ(b.next_line(line), LineBuffer::Status::Line);
  b.clear();
  EXPECT_EQ(b.next_line(line), LineBuffer::Status::NeedMore);
}

TEST(LineBufferTest, PrepareAndCommit) {
  LineBuffer b(100);
  auto span = b.prepare(64);
  std::string text = "HELO x\r\n";
  std::copy(text.begin(), text.end(), span.begin());
  b.commit(text.size());
  EXPECT_EQ(lines_of(b), (std::vector<std::string>{"HELO x"}));
}

TEST(LineBufferTest, ShrinkGivesMemoryBackAndKeepsBufferedInput) {
  LineBuffer b(1 << 20);
  b.append(std::string(512 * 1024, 'x') + "\r\nA1 NOOP\r\n");
  std::string line;
  ASSERT_EQ(b.next_line(line), LineBuffer::Status::Line);
  b.shrink(4096);
  EXPECT_EQ(b.data(), "A1 NOOP\r\n");
  ASSERT_EQ(b.next_line(line), LineBuffer::Status::Line);
  EXPECT_EQ(line, "A1 NOOP");
}

}  // namespace
}  // namespace mail::net
