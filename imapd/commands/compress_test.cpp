// COMPRESS=DEFLATE through a real session (RFC 4978): the OK goes out plain, everything
// after it is raw DEFLATE both ways, a second COMPRESS is refused, bad mechanisms are BAD.
#include <gtest/gtest.h>
#include <zlib.h>

#include "imapd/commands/testing/session_harness.h"

namespace mail::imapd::testing {
namespace {

// The client's side of the compression layer, with zlib used directly.
class ClientDeflate {
 public:
  ClientDeflate() {
    EXPECT_EQ(deflateInit2(&out_, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    EXPECT_EQ(inflateInit2(&in_, -15), Z_OK);
  }
  ~ClientDeflate() {
    deflateEnd(&out_);
    inflateEnd(&in_);
  }
  std::string compress(std::string_view plain) {
    std::string out(plain.size() + 64, '\0');
    out_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
    out_.avail_in = static_cast<uInt>(plain.size());
    out_.next_out = reinterpret_cast<Bytef*>(out.data());
    out_.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(::deflate(&out_, Z_SYNC_FLUSH), Z_OK);
    out.resize(out.size() - out_.avail_out);
    return out;
  }
  std::string inflate(std::string_view compressed) {
    std::string out(compressed.size() * 1032 + 64, '\0');
    in_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    in_.avail_in = static_cast<uInt>(compressed.size());
    in_.next_out = reinterpret_cast<Bytef*>(out.data());
    in_.avail_out = static_cast<uInt>(out.size());
    const int rc = ::inflate(&in_, Z_SYNC_FLUSH);
    EXPECT_TRUE(rc == Z_OK || rc == Z_BUF_ERROR) << rc;
    out.resize(out.size() - in_.avail_out);
    return out;
  }

 private:
  z_stream out_{};
  z_stream in_{};
};

// Sends a command compressed and collects the inflated replies up to its tagged one.
std::string compressed_transact(TestClient& c, ClientDeflate& z, std::string_view tag,
                                std::string_view command) {
  c.send(z.compress(std::string(tag) + " " + std::string(command) + "\r\n"));
  std::string plain;
  for (int i = 0; i < 50 && plain.find("\r\n" + std::string(tag) + " ") == std::string::npos &&
                  plain.rfind(std::string(tag) + " ", 0) != 0;
       ++i)
    plain += z.inflate(c.pending(std::chrono::milliseconds(100)));
  return plain;
}

TEST(Compress, DeflateBothWays) {
  SessionHarness h;
  h.deliver(make_message("squeezed", 4000));
  TestClient c = h.login();
  auto caps = c.transact("ok", "CAPABILITY").untagged.at(0);
  EXPECT_NE(caps.find(" COMPRESS=DEFLATE"), std::string::npos) << caps;
  const std::string tag = c.next_tag();
  auto r = c.transact("ok", "COMPRESS DEFLATE");
  EXPECT_EQ(r.tagged, tag + " OK DEFLATE active");
  ClientDeflate z;
  std::string reply = compressed_transact(c, z, "c1", "SELECT INBOX");
  EXPECT_NE(reply.find("* 1 EXISTS\r\n"), std::string::npos) << reply;
  EXPECT_NE(reply.find("c1 OK [READ-WRITE]"), std::string::npos) << reply;
  reply = compressed_transact(c, z, "c2", "FETCH 1 BODY.PEEK[]");
  EXPECT_NE(reply.find("line of text for squeezed"), std::string::npos);
  EXPECT_NE(reply.find("c2 OK"), std::string::npos) << reply;
  reply = compressed_transact(c, z, "c3", "COMPRESS DEFLATE");
  EXPECT_NE(reply.find("c3 NO [COMPRESSIONACTIVE]"), std::string::npos) << reply;
  reply = compressed_transact(c, z, "c4", "LOGOUT");
  EXPECT_NE(reply.find("* BYE"), std::string::npos) << reply;
}

TEST(Compress, CorruptStreamEndsTheSession) {
  SessionHarness h;
  TestClient c = h.login();
  c.transact("ok", "COMPRESS DEFLATE");
  c.send(std::string("\xff\xff\xff\xff not deflate\r\n"));
  EXPECT_TRUE(c.closed_by_server());
}

TEST(Compress, MechanismAndState) {
  SessionHarness h([](Config& cfg) { cfg.imapd.compress = false; });
  TestClient c = h.connect();
  c.transact("bad", "COMPRESS DEFLATE");  // not before login
  c.transact("ok", "LOGIN alice@example.test pw");
  auto caps = c.transact("ok", "CAPABILITY").untagged.at(0);
  EXPECT_EQ(caps.find("COMPRESS"), std::string::npos) << caps;
  c.transact("bad", "COMPRESS DEFLATE");  // switched off by imapd.compress
  SessionHarness on;
  TestClient d = on.login();
  d.transact("bad", "COMPRESS LZ4");
  d.transact("bad", "COMPRESS");
  d.transact("ok", "NOOP");  // still plain
}

}  // namespace
}  // namespace mail::imapd::testing
