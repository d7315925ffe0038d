// Tests for the DATA body reader: tables of bytes in and message out, the SMTP smuggling
// vectors, the size limit, and split-anywhere equivalence against a non-incremental model.
#include "smtpd/protocol/data_reader.h"

#include <gtest/gtest.h>

#include <random>

namespace mail::smtp {
namespace {

using Status = DataReader::Status;
using namespace std::string_literals;

struct DataOutcome {
  Status status = Status::NeedMore;
  size_t consumed = 0;
  std::string message;  // only compared when Done
  bool too_big = false;
  bool bare = false;

  bool operator==(const DataOutcome& o) const {
    return status == o.status && consumed == o.consumed && too_big == o.too_big && bare == o.bare &&
           (status != Status::Done || message == o.message);
  }
};

std::ostream& operator<<(std::ostream& os, const DataOutcome& o) {
  return os << "{status=" << static_cast<int>(o.status) << " consumed=" << o.consumed
            << " too_big=" << o.too_big << " bare=" << o.bare
            << " message=" << testing::PrintToString(o.message) << "}";
}

// Feeds `input` in chunks whose sizes come from `next_chunk`, as a session would: stops
// at the first status other than NeedMore.
template <typename NextChunk>
DataOutcome feed_in_chunks(std::string_view input, uint64_t max, NextChunk next_chunk) {
  DataReader reader(max);
  DataOutcome out;
  size_t offset = 0;
  while (offset < input.size()) {
    const size_t len = std::min(next_chunk(), input.size() - offset);
    size_t consumed = 0;
    out.status = reader.feed(input.substr(offset, len), consumed);
    EXPECT_LE(consumed, len);
    out.consumed += consumed;
    offset += len;
    if (out.status != Status::NeedMore) break;
    EXPECT_EQ(consumed, len);
  }
  out.message = reader.message();
  out.too_big = reader.too_big();
  out.bare = reader.bare_line_ending();
  return out;
}

DataOutcome feed_once(std::string_view input, uint64_t max = 1 << 20) {
  return feed_in_chunks(input, max, [&] { return input.size(); });
}

DataOutcome feed_bytewise(std::string_view input, uint64_t max = 1 << 20) {
  return feed_in_chunks(input, max, [] { return size_t{1}; });
}

DataOutcome feed_random(std::string_view input, uint64_t max, std::mt19937& rng) {
  return feed_in_chunks(input, max, [&] { return size_t{1} + rng() % 7; });
}

// The same rules without a state machine: the terminator is the first CRLF.CRLF, counting
// the CRLF that ended the DATA command; a '.' after CRLF is dropped; any CR not followed by
// LF or LF not preceded by CR is bare.
DataOutcome model(std::string_view input, uint64_t max) {
  DataOutcome out;
  const std::string framed = "\r\n" + std::string(input);
  const size_t pos = framed.find("\r\n.\r\n");
  if (pos == std::string::npos) {
    out.consumed = input.size();
    // Not finished: status NeedMore, flags not compared by callers of model() for this case.
    out.status = Status::NeedMore;
    return out;
  }
  const std::string raw(input.substr(0, pos));  // includes the final CRLF
  out.consumed = pos + 3;
  for (size_t i = 0; i < raw.size(); ++i) {
    const bool line_start = i >= 2 && raw[i - 2] == '\r' && raw[i - 1] == '\n';
    if (raw[i] == '.' && (i == 0 || line_start)) continue;
    out.message += raw[i];
    if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) out.bare = true;
    if (raw[i] == '\r' && (i + 1 == raw.size() || raw[i + 1] != '\n')) out.bare = true;
  }
  out.too_big = out.message.size() > max;
  out.status = (out.bare || out.too_big) ? Status::Error : Status::Done;
  return out;
}

TEST(DataReaderTest, Table) {
  struct Case {
    std::string input;
    Status status;
    size_t consumed;
    std::string message;
  };
  const std::string q = "QUIT\r\n";
  const Case cases[] = {
      {".\r\n", Status::Done, 3, ""},
      {".\r\n" + q, Status::Done, 3, ""},
      {"Hello\r\n.\r\n", Status::Done, 10, "Hello\r\n"},
      {"Subject: x\r\n\r\nbody\r\n.\r\n" + q, Status::Done, 23, "Subject: x\r\n\r\nbody\r\n"},
      {"..leading dot\r\n.\r\n", Status::Done, 18, ".leading dot\r\n"},
      {"...\r\n.\r\n", Status::Done, 8, "..\r\n"},
      {"a\r\n..\r\n.\r\n", Status::Done, 10, "a\r\n.\r\n"},
      {"a.b\r\n.\r\n", Status::Done, 8, "a.b\r\n"},
      {". x\r\n.\r\n", Status::Done, 8, " x\r\n"},
      {"a\r\n\r\n.\r\n", Status::Done, 8, "a\r\n\r\n"},
      {"\r\n.\r\n", Status::Done, 5, "\r\n"},
      {"a\r\n.\r\nMAIL FROM:<x@y.test>\r\n", Status::Done, 6, "a\r\n"},
      {"a\r\n.\r\n.\r\n", Status::Done, 6, "a\r\n"},
      {"8bit \xC3\xA9\x00\xFF\r\n.\r\n"s, Status::Done, 14, "8bit \xC3\xA9\x00\xFF\r\n"s},
      // Unfinished.
      {"", Status::NeedMore, 0, ""},
      {"Hello", Status::NeedMore, 5, ""},
      {"Hello\r\n", Status::NeedMore, 7, ""},
      {"Hello\r\n.", Status::NeedMore, 8, ""},
      {"Hello\r\n.\r", Status::NeedMore, 9, ""},
      {"Hello\r\n..\r\n", Status::NeedMore, 11, ""},
      {"Hello\r\n.x\r\n", Status::NeedMore, 11, ""},
      // Bare CR and LF: an error, but only at the real terminator.
      {"bare\nLF\r\n.\r\n" + q, Status::Error, 12, ""},
      {"bare\rCR\r\n.\r\n" + q, Status::Error, 12, ""},
      {"a\n.\n", Status::NeedMore, 4, ""},           // LF.LF
      {"a\r.\r", Status::NeedMore, 4, ""},           // CR.CR
      {"a\n.\r\n", Status::NeedMore, 5, ""},         // LF.CRLF
      {"a\r\n.\n", Status::NeedMore, 5, ""},         // CRLF.LF
      {"a\r\n.\r", Status::NeedMore, 5, ""},         // CRLF.CR
      {"\n.\r\n", Status::NeedMore, 4, ""},          // LF.CRLF at the start
      {"a\r\n.\r\r\n.\r\n", Status::Error, 10, ""},  // CRLF.CR CRLF.CRLF
      {"a\n.\nMAIL FROM:<x@y.test>\r\n.\r\n" + q, Status::Error, 29, ""},
      {"a\r\n.\nRCPT TO:<x@y.test>\r\n.\r\n" + q, Status::Error, 28, ""},
      {"a\n.\r\nRCPT TO:<x@y.test>\r\n.\r\n" + q, Status::Error, 28, ""},
      {"a\r.\r\nx\r\n.\r\n" + q, Status::Error, 11, ""},
      {"a\r\n\r.\r\n.\r\n" + q, Status::Error, 10, ""},
  };
  for (const auto& c : cases) {
    const DataOutcome got = feed_once(c.input);
    EXPECT_EQ(got.status, c.status) << testing::PrintToString(c.input);
    EXPECT_EQ(got.consumed, c.consumed) << testing::PrintToString(c.input);
    if (c.status == Status::Done) {
      EXPECT_EQ(got.message, c.message) << testing::PrintToString(c.input);
    }
    if (c.status == Status::Error) {
      EXPECT_TRUE(got.bare) << testing::PrintToString(c.input);
    }
    EXPECT_EQ(feed_bytewise(c.input), got) << testing::PrintToString(c.input);
  }
}

TEST(DataReaderTest, ErrorReplies) {
  DataReader bare(100);
  size_t consumed = 0;
  ASSERT_EQ(bare.feed("x\ny\r\n.\r\n", consumed), Status::Error);
  EXPECT_EQ(bare.error(), replies::bare_line_ending());
  EXPECT_EQ(bare.error().to_wire(), "550 5.5.2 bare CR or LF not allowed\r\n");

  DataReader big(4);
  ASSERT_EQ(big.feed("12345\r\n.\r\nQUIT\r\n", consumed), Status::Error);
  EXPECT_EQ(consumed, 10u);
  EXPECT_TRUE(big.too_big());
  EXPECT_EQ(big.size(), 7u);
  EXPECT_EQ(big.error(), replies::message_too_big());

  DataReader both(2);
  ASSERT_EQ(both.feed("12\n345\r\n.\r\n", consumed), Status::Error);
  EXPECT_TRUE(both.too_big());
  EXPECT_EQ(both.error(), replies::bare_line_ending());
}

TEST(DataReaderTest, FinishedReaderConsumesNothing) {
  DataReader reader(100);
  size_t consumed = 0;
  ASSERT_EQ(reader.feed("a\r\n.\r\nNOOP\r\n", consumed), Status::Done);
  EXPECT_EQ(consumed, 6u);
  EXPECT_EQ(reader.feed("NOOP\r\n", consumed), Status::Done);
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(reader.take_message(), "a\r\n");
}

TEST(DataReaderTest, SizeLimit) {
  // The limit counts the unstuffed message, final CRLF included (RFC 1870).
  EXPECT_EQ(feed_once("12345\r\n.\r\n", 7).status, Status::Done);
  EXPECT_EQ(feed_once("12345\r\n.\r\n", 6).status, Status::Error);
  EXPECT_EQ(feed_once(".\r\n", 0).status, Status::Done);
  EXPECT_EQ(feed_once("..ab\r\n.\r\n", 5).status, Status::Done);
  EXPECT_EQ(feed_once("..ab\r\n.\r\n", 4).status, Status::Error);
  // Too big keeps consuming to the terminator and leaves the pipelined command.
  const std::string body(10000, 'x');
  const DataOutcome o = feed_bytewise(body + "\r\n.\r\nRSET\r\n", 100);
  EXPECT_EQ(o.status, Status::Error);
  EXPECT_TRUE(o.too_big);
  EXPECT_FALSE(o.bare);
  EXPECT_EQ(o.consumed, body.size() + 5);
  EXPECT_TRUE(o.message.empty());  // released, not kept
}

TEST(DataReaderTest, TerminatorSplitAtEveryPoint) {
  const std::string input = "line one\r\n..two\r\n.\r\nQUIT\r\n";
  const DataOutcome whole = feed_once(input);
  ASSERT_EQ(whole.status, Status::Done);
  EXPECT_EQ(whole.message, "line one\r\n.two\r\n");
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    DataReader reader(1000);
    size_t c1 = 0, c2 = 0;
    Status s = reader.feed(std::string_view(input).substr(0, cut), c1);
    if (s == Status::NeedMore) s = reader.feed(std::string_view(input).substr(cut), c2);
    EXPECT_EQ(s, Status::Done) << cut;
    EXPECT_EQ(c1 + c2, whole.consumed) << cut;
    EXPECT_EQ(reader.message(), whole.message) << cut;
  }
}

TEST(DataReaderTest, LargeMessageBytewiseAndRandomSplits) {
  std::string input;
  std::string expected;
  for (int i = 0; i < 2000; ++i) {
    const std::string line = (i % 7 == 0 ? "." : "") + std::string(i % 90, 'a' + i % 26);
    input += (line.empty() || line[0] != '.') ? line : "." + line;
    input += "\r\n";
    expected += line + "\r\n";
  }
  input += ".\r\nNEXT";
  const DataOutcome whole = feed_once(input, 1 << 20);
  ASSERT_EQ(whole.status, Status::Done);
  EXPECT_EQ(whole.message, expected);
  EXPECT_EQ(whole.consumed, input.size() - 4);
  EXPECT_EQ(feed_bytewise(input, 1 << 20), whole);
  std::mt19937 rng(42);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(feed_random(input, 1 << 20, rng), whole);
}

// Random bodies over an alphabet made of the troublesome bytes, checked against model()
// for one feed, byte-at-a-time, and random splits.
TEST(DataReaderTest, RandomAgainstModel) {
  std::mt19937 rng(1234);
  const char alphabet[] = {'a', '.', '\r', '\n'};
  for (int iter = 0; iter < 20000; ++iter) {
    std::string input;
    const size_t len = rng() % 24;
    for (size_t i = 0; i < len; ++i) input += alphabet[rng() % 4];
    if (rng() % 2) input += "\r\n.\r\nNEXT";
    const uint64_t max = rng() % 16;
    const DataOutcome expected = model(input, max);
    const DataOutcome once = feed_once(input, max);
    ASSERT_EQ(once.status, expected.status) << testing::PrintToString(input);
    ASSERT_EQ(once.consumed, expected.consumed) << testing::PrintToString(input);
    if (expected.status != Status::NeedMore) {
      ASSERT_EQ(once, expected) << testing::PrintToString(input);
    }
    ASSERT_EQ(feed_bytewise(input, max), once) << testing::PrintToString(input);
    ASSERT_EQ(feed_random(input, max, rng), once) << testing::PrintToString(input);
  }
}

}  // namespace
}  // namespace mail::smtp
