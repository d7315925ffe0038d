// Tests for BDAT message assembly (chunk_reader.h): chunks in, message or error out, with
// every split of the input giving the same answer.
#include "smtpd/protocol/chunk_reader.h"

#include <gtest/gtest.h>

#include <vector>

namespace mail::smtp {
namespace {

struct Outcome {
  bool failed;
  int code;
  std::string message;
};

Outcome assemble(const std::vector<std::string>& chunks, uint64_t max, bool binary) {
  ChunkReader reader(max, binary);
  for (const auto& c : chunks) {
    reader.feed(c);
    if (reader.failed()) break;
  }
  if (!reader.failed()) reader.finish();
  if (reader.failed()) return {true, reader.error().code, ""};
  return {false, 250, reader.take_message()};
}

// The same input fed one octet at a time gives the same outcome.
Outcome bytewise(const std::string& all, uint64_t max, bool binary) {
  std::vector<std::string> pieces;
  for (char c : all) pieces.emplace_back(1, c);
  return assemble(pieces, max, binary);
}

TEST(ChunkReaderTest, TextMessageIsTakenAsSent) {
  const std::string msg = "Subject: x\r\n\r\n.leading dot stays\r\n.\r\nmore\r\n";
  auto out = assemble({msg.substr(0, 10), msg.substr(10)}, 1000, false);
  EXPECT_FALSE(out.failed);
  EXPECT_EQ(out.message, msg);  // never dot-unstuffed; "." ends nothing
  EXPECT_EQ(bytewise(msg, 1000, false).message, msg);
  // A message need not end in CRLF.
  EXPECT_EQ(assemble({"a\r\nb"}, 1000, false).message, "a\r\nb");
  EXPECT_EQ(assemble({}, 1000, false).message, "");
  EXPECT_EQ(assemble({"", "x", ""}, 1000, false).message, "x");
}

TEST(ChunkReaderTest, CrlfSplitAcrossChunksIsOneLineEnding) {
  auto out = assemble({"line one\r", "\nline two\r\n"}, 1000, false);
  EXPECT_FALSE(out.failed);
  EXPECT_EQ(out.message, "line one\r\nline two\r\n");
}

TEST(ChunkReaderTest, BareLineEndingsInTextAre550) {
  for (const std::string& bad :
       {std::string("a\nb\r\n"), std::string("a\rb\r\n"), std::string("\n"), std::string("a\r\r\n"),
        std::string("a\r\n\n"), std::string("a\r"), std::string("x\r\n.\n")}) {
    EXPECT_EQ(assemble({bad}, 1000, false).code, 550) << bad;
    EXPECT_EQ(bytewise(bad, 1000, false).code, 550) << bad;
  }
  // A CR ending one chunk and a non-LF starting the next.
  EXPECT_EQ(assemble({"a\r", "b\r\n"}, 1000, false).code, 550);
  // A CR at the very end of the LAST chunk.
  EXPECT_EQ(assemble({"a\r\n", "b\r"}, 1000, false).code, 550);
}

TEST(ChunkReaderTest, BinaryKeepsEveryOctet) {
  std::string octets;
  for (int c = 1; c < 256; ++c) octets += static_cast<char>(c);
  octets += "\n.\n\r\r.\r\n";
  auto out = assemble({octets.substr(0, 100), octets.substr(100)}, 1000, true);
  EXPECT_FALSE(out.failed);
  EXPECT_EQ(out.message, octets);
  EXPECT_EQ(assemble({"end\r"}, 1000, true).message, "end\r");
}

TEST(ChunkReaderTest, SizeLimitCoversAllChunks) {
  EXPECT_FALSE(assemble({"12345", "67890"}, 10, false).failed);
  EXPECT_EQ(assemble({"12345", "678901"}, 10, false).code, 552);
  EXPECT_EQ(assemble({"12345678901"}, 10, true).code, 552);
  ChunkReader reader(4, false);
  reader.feed("abc");
  reader.feed("de");
  reader.feed("fgh");
  EXPECT_TRUE(reader.too_big());
  EXPECT_EQ(reader.size(), 8u);  // counted, not stored
  // Bare LF wins over too big, as in DATA.
  ChunkReader both(4, false);
  both.feed("a\nbcdefg");
  EXPECT_EQ(both.error().code, 550);
}

}  // namespace
}  // namespace mail::smtp
