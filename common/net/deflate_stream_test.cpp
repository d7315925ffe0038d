// DeflateStream against zlib used independently (as a client would): raw DEFLATE both
// ways, every compress() decodable at once, inflate bounded per call, corrupt input
// refused, and the memory it holds.
#include "common/net/deflate_stream.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>

namespace mail::net {
namespace {

// The peer's side: plain zlib, raw DEFLATE with the default 32 KiB window.
class Peer {
 public:
  Peer() {
    EXPECT_EQ(deflateInit2(&out_, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    EXPECT_EQ(inflateInit2(&in_, -15), Z_OK);
  }
  ~Peer() {
    deflateEnd(&out_);
    inflateEnd(&in_);
  }
  std::string compress(std::string_view plain) {
    std::string out(plain.size() + 1024, '\0');
    out_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
    out_.avail_in = static_cast<uInt>(plain.size());
    out_.next_out = reinterpret_cast<Bytef*>(out.data());
    out_.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(::deflate(&out_, Z_SYNC_FLUSH), Z_OK);
    out.resize(out.size() - out_.avail_out);
    return out;
  }
  // Everything decodable from `compressed`, which must hold whole flushed output.
  std::string inflate(std::string_view compressed) {
    std::string out(compressed.size() * 1032 + 1024, '\0');  // DEFLATE expands at most 1032:1
    in_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    in_.avail_in = static_cast<uInt>(compressed.size());
    in_.next_out = reinterpret_cast<Bytef*>(out.data());
    in_.avail_out = static_cast<uInt>(out.size());
    const int rc = ::inflate(&in_, Z_SYNC_FLUSH);
    EXPECT_TRUE(rc == Z_OK || rc == Z_BUF_ERROR) << rc;
    EXPECT_EQ(in_.avail_in, 0u) << "not all of the flushed output was decodable";
    out.resize(out.size() - in_.avail_out);
    return out;
  }

 private:
  z_stream out_{};
  z_stream in_{};
};

std::string inflate_all(DeflateStream& d) {
  std::string plain;
  char buf[1000];
  while (d.pending()) {
    auto n = d.inflate(buf);
    EXPECT_TRUE(n.has_value());
    if (!n) break;
    plain.append(buf, *n);
  }
  return plain;
}

TEST(DeflateStream, EachCompressIsDecodableAtOnce) {
  auto d = DeflateStream::create();
  ASSERT_TRUE(d);
  Peer peer;
  for (int i = 0; i < 50; ++i) {
    std::string line = "* " + std::to_string(i) + " FETCH (FLAGS (\\Seen) UID " +
                       std::to_string(1000 + i) + ")\r\n";
    std::string wire = line;
    ASSERT_TRUE(d->compress(wire));
    EXPECT_EQ(peer.inflate(wire), line);
  }
  std::string nothing;
  ASSERT_TRUE(d->compress(nothing));
  EXPECT_TRUE(nothing.empty());
}

TEST(DeflateStream, CompressesRepetitiveText) {
  auto d = DeflateStream::create();
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "* " + std::to_string(i) + " FETCH (FLAGS (\\Seen))\r\n";
  const std::string original = text;
  ASSERT_TRUE(d->compress(text));
  EXPECT_LT(text.size() * 5, original.size());
  Peer peer;
  EXPECT_EQ(peer.inflate(text), original);
}

TEST(DeflateStream, InflatesWhatThePeerSendsInAnyPieces) {
  auto d = DeflateStream::create();
  Peer peer;
  std::mt19937 rng(7);
  std::string expected, plain;
  for (int i = 0; i < 20; ++i) {
    std::string command = "a" + std::to_string(i) + " UID FETCH 1:* (FLAGS)\r\n";
    expected += command;
    std::string wire = peer.compress(command);
    // Feed it in random small pieces, inflating as we go.
    for (size_t pos = 0; pos < wire.size();) {
      const size_t n = std::min<size_t>(1 + rng() % 5, wire.size() - pos);
      d->received(std::string_view(wire).substr(pos, n));
      pos += n;
      char buf[7];
      do {
        auto got = d->inflate(buf);
        ASSERT_TRUE(got.has_value());
        plain.append(buf, *got);
      } while (d->pending());
    }
  }
  EXPECT_EQ(plain, expected);
}

TEST(DeflateStream, ABombIsHandedOutPieceByPiece) {
  auto d = DeflateStream::create();
  Peer peer;
  const std::string huge(8 * 1024 * 1024, 'A');
  const std::string wire = peer.compress(huge);
  EXPECT_LT(wire.size(), 64u * 1024);
  d->received(wire);
  char buf[16 * 1024];
  auto first = d->inflate(buf);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, sizeof buf);  // never more than the room given
  EXPECT_TRUE(d->pending());
  EXPECT_EQ(inflate_all(*d).size() + *first, huge.size());
  EXPECT_FALSE(d->pending());
}

TEST(DeflateStream, CorruptInputIsAnError) {
  auto d = DeflateStream::create();
  d->received(std::string("\xff\xff\xff\xff garbage", 12));
  char buf[64];
  EXPECT_FALSE(d->inflate(buf).has_value());
}

TEST(DeflateStream, ReceiveSpaceReadsStraightIn) {
  auto d = DeflateStream::create();
  Peer peer;
  const std::string wire = peer.compress("a NOOP\r\n");
  auto room = d->receive_space(4096);
  ASSERT_GE(room.size(), wire.size());
  std::copy(wire.begin(), wire.end(), room.begin());
  d->received_into(wire.size());
  EXPECT_EQ(inflate_all(*d), "a NOOP\r\n");
}

TEST(DeflateStream, MemoryIsBounded) {
  auto d = DeflateStream::create();
  Peer peer;
  std::string big;
  for (int i = 0; i < 20000; ++i) big += "line " + std::to_string(i * 7919 % 10007) + "\r\n";
  std::string copy = big;
  ASSERT_TRUE(d->compress(copy));
  d->received(peer.compress(big));
  EXPECT_EQ(inflate_all(*d), big);
  // deflate: 4 KiB window (x2), 4 KiB prev, 8 KiB hash, 8 KiB pending, ~6 KiB state;
  // inflate: 32 KiB window, ~7 KiB state.
  EXPECT_LT(d->memory(), 96u * 1024) << d->memory();
  EXPECT_GT(d->memory(), 48u * 1024) << d->memory();
}

}  // namespace
}  // namespace mail::net
