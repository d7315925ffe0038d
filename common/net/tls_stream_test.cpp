// net::TlsStream (the server side) against Asio's ssl::stream (the client side) over a
// loopback TCP pair on one io_context: handshake, both directions, a 1 MiB write against a
// slow reader, a read waiting while writes proceed (IMAP IDLE), the peer's close, and
// cancellation by a deadline.
#include "common/net/tls_stream.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/net/test_tls_context.h"

namespace mail::net {
namespace {

using namespace std::chrono_literals;
using boost::system::error_code;

// test_tls_context() with the server settings of tls.cpp that
// matter here (TLS 1.2 and up, record buffers released between records).
std::shared_ptr<ssl::context> server_context() {
  auto ctx = test_tls_context();
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  return ctx;
}

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

// A connected pair: `server` (a plain socket for TlsStream) and `client` (ssl::stream).
class TlsStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client_.next_layer().connect(acceptor.local_endpoint());
    acceptor.accept(server_);
    server_.set_option(tcp::no_delay(true));
    client_.next_layer().set_option(tcp::no_delay(true));
    client_context_.set_verify_mode(ssl::verify_none);
  }

  // Small kernel buffers, so that a large write meets a full socket (WANT_WRITE). (Not
  // smaller: at 16 KiB TCP's silly-window avoidance stalls each window update for ~25 ms.)
  void small_socket_buffers() {
    server_.set_option(asio::socket_base::send_buffer_size(65536));
    client_.next_layer().set_option(asio::socket_base::receive_buffer_size(65536));
  }

  // Runs the coroutines until they are done (at most 20 s: a hang fails, not blocks).
  void run() {
    io_.run_for(20s);
    EXPECT_TRUE(io_.stopped()) << "operations still pending after 20 s";
  }

  // Starts a coroutine on the loop; run() waits for it.
  template <typename F>
  void spawn(F&& f) {
    asio::co_spawn(io_, std::forward<F>(f), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
  }

  awaitable<void> server_handshake(TlsStream& stream) {
    auto [ec] = co_await stream.async_handshake(use_nothrow);
    EXPECT_FALSE(ec) << ec.message();
  }
  awaitable<void> client_handshake() {
    auto [ec] = co_await client_.async_handshake(ssl::stream_base::client, use_nothrow);
    EXPECT_FALSE(ec) << ec.message();
  }
  // Reads from the client side until `n` octets arrived (or an error), `pause` before each
  // read of at most `chunk` octets: a slow reader.
  awaitable<std::string> client_read(size_t n, size_t chunk = 65536,
                                     std::chrono::milliseconds pause = 0ms) {
    std::string got;
    std::vector<char> buffer(chunk);
    asio::steady_timer timer(io_);
    while (got.size() < n) {
      if (pause > 0ms) {
        timer.expires_after(pause);
        co_await timer.async_wait(use_nothrow);
      }
      auto [ec, k] = co_await client_.async_read_some(asio::buffer(buffer), use_nothrow);
      got.append(buffer.data(), k);
      if (ec) break;
    }
    co_return got;
  }

  asio::io_context io_;
  tcp::socket server_{io_};
  std::shared_ptr<ssl::context> server_context_ = server_context();
  ssl::context client_context_{ssl::context::tls_client};
  ssl::stream<tcp::socket> client_{io_, client_context_};
};

TEST_F(TlsStreamTest, HandshakeWithAsioClientThenEchoBothWays) {
  TlsStream stream(server_, *server_context_);
  std::string server_got, client_got;
  spawn([&]() -> awaitable<void> {
    co_await server_handshake(stream);
    char buffer[64];
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(buffer), use_nothrow);
    EXPECT_FALSE(ec) << ec.message();
    server_got.assign(buffer, n);
    auto [wec, written] =
        co_await asio::async_write(stream, asio::buffer("pong: " + server_got), use_nothrow);
    EXPECT_FALSE(wec) << wec.message();
  });
  spawn([&]() -> awaitable<void> {
    co_await client_handshake();
    co_await asio::async_write(client_, asio::buffer(std::string("ping")), use_nothrow);
    client_got = co_await client_read(10);
  });
  run();
  EXPECT_EQ(server_got, "ping");
  EXPECT_EQ(client_got, "pong: ping");
  EXPECT_STREQ(SSL_get_version(stream.native_handle()), "TLSv1.3");
}

TEST_F(TlsStreamTest, Tls12HandshakeToo) {
  SSL_CTX_set_max_proto_version(client_context_.native_handle(), TLS1_2_VERSION);
  ssl::stream<tcp::socket> client(std::move(client_.next_layer()), client_context_);
  TlsStream stream(server_, *server_context_);
  std::string got;
  spawn([&]() -> awaitable<void> {
    co_await server_handshake(stream);
    co_await asio::async_write(stream, asio::buffer(std::string("over 1.2")), use_nothrow);
  });
  spawn([&]() -> awaitable<void> {
    auto [ec] = co_await client.async_handshake(ssl::stream_base::client, use_nothrow);
    EXPECT_FALSE(ec) << ec.message();
    char buffer[64];
    auto [rec, n] = co_await client.async_read_some(asio::buffer(buffer), use_nothrow);
    got.assign(buffer, n);
  });
  run();
  EXPECT_EQ(got, "over 1.2");
  EXPECT_STREQ(SSL_get_version(stream.native_handle()), "TLSv1.2");
}

// 1 MiB out against a reader taking 4 KiB every millisecond: the socket fills, OpenSSL
// asks to wait for writability, and async_write_some reports partial writes.
TEST_F(TlsStreamTest, LargeWriteAgainstSlowReader) {
  small_socket_buffers();
  TlsStream stream(server_, *server_context_);
  const std::string data = pattern(1024 * 1024);
  std::string got;
  int partial_writes = 0;
  spawn([&]() -> awaitable<void> {
    co_await server_handshake(stream);
    size_t done = 0;
    while (done < data.size()) {
      auto [ec, n] = co_await stream.async_write_some(
          asio::buffer(data.data() + done, data.size() - done), use_nothrow);
      if (ec) {
        ADD_FAILURE() << ec.message();
        co_return;
      }
      if (done + n < data.size()) ++partial_writes;
      done += n;
    }
  });
  spawn([&]() -> awaitable<void> {
    co_await client_handshake();
    got = co_await client_read(data.size(), 4096, 1ms);
  });
  run();
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data) << "the octets differ";
  EXPECT_GE(partial_writes, 3);  // each one after a wait for writability
}

// The other direction: 1 MiB in, read by the server in 1,000-octet pieces.
TEST_F(TlsStreamTest, LargeReadInSmallPieces) {
  TlsStream stream(server_, *server_context_);
  const std::string data = pattern(1024 * 1024);
  std::string got;
  spawn([&]() -> awaitable<void> {
    co_await server_handshake(stream);
    char buffer[1000];
    while (got.size() < data.size()) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(buffer), use_nothrow);
      got.append(buffer, n);
      if (ec) {
        ADD_FAILURE() << ec.message();
        co_return;
      }
    }
  });
  spawn([&]() -> awaitable<void> {
    co_await client_handshake();
    auto [ec, n] = co_await asio::async_write(client_, asio::buffer(data), use_nothrow);
    EXPECT_FALSE(ec) << ec.message();
  });
  run();
  EXPECT_TRUE(got == data) << got.size() << " octets, or they differ";
}

// IMAP IDLE: a read waits for the client's DONE while the server writes 256 KiB to a
// slow reader. The writes complete first; the read then gets DONE.
TEST_F(TlsStreamTest, ReadWaitsWhileWritesProceed) {
  small_socket_buffers();
  TlsStream stream(server_, *server_context_);
  const std::string data = pattern(256 * 1024);
  std::vector<std::string> events;
  std::string client_got;
  bool handshaken = false;
  spawn([&]() -> awaitable<void> {
    co_await server_handshake(stream);
    handshaken = true;
    asio::co_spawn(
        io_,
        [&]() -> awaitable<void> {
          char buffer[64];
          auto [ec, n] = co_await stream.async_read_some(asio::buffer(buffer), use_nothrow);
          EXPECT_FALSE(ec) << ec.message();
          events.push_back("read " + std::string(buffer, n));
        },
        asio::detached);
    for (int i = 0; i < 16; ++i) {
      auto [ec, n] = co_await asio::async_write(
          stream, asio::buffer(data.data() + i * 16384, 16384), use_nothrow);
      EXPECT_FALSE(ec) << ec.message();
    }
    events.push_back("written");
  });
  spawn([&]() -> awaitable<void> {
    co_await client_handshake();
    client_got = co_await client_read(data.size(), 4096, 1ms);
    co_await asio::async_write(client_, asio::buffer(std::string("DONE\r\n")), use_nothrow);
  });
  run();
  ASSERT_TRUE(handshaken);
  EXPECT_TRUE(client_got == data) << client_got.size() << " octets, or they differ";
  EXPECT_EQ(events, (std::vector<std::string>{"written", "read DONE\r\n"}));
}

// The client's close_notify ends the server's read with eof; a TCP close without one
// with stream_truncated.
TEST_F(TlsStreamTest, PeerCloseNotifyIsEof) {
  TlsStream stream(server_, *server_context_);
  error_code read_ec;
  spawn([&]() -> awaitable<void> {
    co_await server_handshake(stream);
    char buffer[64];
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(buffer), use_nothrow);
    read_ec = ec;
    server_.close();  // the client's shutdown waits for our close_notify, or this
  });
  spawn([&]() -> awaitable<void> {
    co_await client_handshake();
    co_await client_.async_shutdown(use_nothrow);
  });
  run();
  EXPECT_EQ(read_ec, asio::error::eof) << read_ec.message();
}

TEST_F(TlsStreamTest, TcpCloseWithoutCloseNotifyIsTruncation) {
  TlsStream stream(server_, *server_context_);
  error_code read_ec;
  spawn([&]() -> awaitable<void> {
    co_await server_handshake(stream);
    char buffer[64];
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(buffer), use_nothrow);
    read_ec = ec;
  });
  spawn([&]() -> awaitable<void> {
    co_await client_handshake();
    client_.next_layer().close();
  });
  run();
  EXPECT_EQ(read_ec, ssl::error::stream_truncated) << read_ec.message();
}

// Writing to a peer that is gone fails with an error: send() with MSG_NOSIGNAL, so no
// SIGPIPE ends this test binary.
TEST_F(TlsStreamTest, WriteToClosedPeerFailsWithoutSigpipe) {
  TlsStream stream(server_, *server_context_);
  error_code write_ec;
  spawn([&]() -> awaitable<void> {
    co_await server_handshake(stream);
    asio::steady_timer timer(io_);
    timer.expires_after(50ms);  // the client's close arrives
    co_await timer.async_wait(use_nothrow);
    const std::string data = pattern(64 * 1024);
    for (int i = 0; i < 100 && !write_ec; ++i) {
      auto [ec, n] = co_await asio::async_write(stream, asio::buffer(data), use_nothrow);
      write_ec = ec;
    }
  });
  spawn([&]() -> awaitable<void> {
    co_await client_handshake();
    client_.next_layer().close();
  });
  run();
  EXPECT_TRUE(write_ec == asio::error::broken_pipe || write_ec == asio::error::connection_reset)
      << write_ec.message();
}

// A deadline (`op || timer`, as Connection reads) cancels a read on a silent peer at the
// deadline; the stream stays usable, and the next read gets what comes later.
TEST_F(TlsStreamTest, TimerCancelsPendingRead) {
  TlsStream stream(server_, *server_context_);
  size_t winner = 99;
  std::chrono::steady_clock::duration waited{};
  std::string later;
  bool timed_out = false;
  spawn([&]() -> awaitable<void> {
    co_await server_handshake(stream);
    char buffer[64];
    asio::steady_timer timer(io_);
    timer.expires_after(100ms);
    const auto start = std::chrono::steady_clock::now();
    auto result = co_await (stream.async_read_some(asio::buffer(buffer), use_nothrow) ||
                            timer.async_wait(use_nothrow));
    waited = std::chrono::steady_clock::now() - start;
    winner = result.index();
    timed_out = true;
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(buffer), use_nothrow);
    EXPECT_FALSE(ec) << ec.message();
    later.assign(buffer, n);
  });
  spawn([&]() -> awaitable<void> {
    co_await client_handshake();
    asio::steady_timer timer(io_);
    timer.expires_after(300ms);
    co_await timer.async_wait(use_nothrow);
    EXPECT_TRUE(timed_out);
    co_await asio::async_write(client_, asio::buffer(std::string("late")), use_nothrow);
  });
  run();
  EXPECT_EQ(winner, 1u);  // the timer
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, 1s);
  EXPECT_EQ(later, "late");
}

// The same for a write that cannot proceed (the client reads nothing), and for a
// handshake with a client that never speaks.
TEST_F(TlsStreamTest, TimerCancelsBlockedWriteAndHandshake) {
  small_socket_buffers();
  TlsStream stream(server_, *server_context_);
  size_t write_winner = 99, handshake_winner = 99;
  spawn([&]() -> awaitable<void> {
    co_await server_handshake(stream);
    const std::string data = pattern(4 * 1024 * 1024);
    asio::steady_timer timer(io_);
    timer.expires_after(200ms);
    auto result = co_await (asio::async_write(stream, asio::buffer(data), use_nothrow) ||
                            timer.async_wait(use_nothrow));
    write_winner = result.index();
  });
  spawn([&]() -> awaitable<void> { co_await client_handshake(); });
  run();
  EXPECT_EQ(write_winner, 1u);

  tcp::socket silent(io_), server2(io_);
  tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  silent.connect(acceptor.local_endpoint());
  acceptor.accept(server2);
  TlsStream stream2(server2, *server_context_);
  io_.restart();
  spawn([&]() -> awaitable<void> {
    asio::steady_timer timer(io_);
    timer.expires_after(100ms);
    auto result = co_await (stream2.async_handshake(use_nothrow) || timer.async_wait(use_nothrow));
    handshake_winner = result.index();
  });
  run();
  EXPECT_EQ(handshake_winner, 1u);
}

// A client that speaks plaintext gets a handshake error, not a hang.
TEST_F(TlsStreamTest, PlaintextClientFailsHandshake) {
  TlsStream stream(server_, *server_context_);
  error_code handshake_ec;
  spawn([&]() -> awaitable<void> {
    auto [ec] = co_await stream.async_handshake(use_nothrow);
    handshake_ec = ec;
  });
  asio::write(client_.next_layer(), asio::buffer(std::string("a LOGIN x y\r\n")));
  run();
  EXPECT_TRUE(handshake_ec);
  EXPECT_EQ(handshake_ec.category(), asio::error::get_ssl_category()) << handshake_ec.message();
}

// How Connection reads: wait for input without a buffer, then take what is there.
TEST_F(TlsStreamTest, WaitReadableThenReadSome) {
  TlsStream stream(server_, *server_context_);
  error_code before_ec, wait_ec, after_ec, drained_ec;
  std::string got;
  spawn([&]() -> awaitable<void> {
    co_await server_handshake(stream);
    char buffer[64];
    stream.read_some(asio::buffer(buffer), before_ec);  // nothing sent yet
    auto [ec] = co_await stream.async_wait_readable(use_nothrow);
    wait_ec = ec;
    size_t n = stream.read_some(asio::buffer(buffer), after_ec);
    got.assign(buffer, n);
    stream.read_some(asio::buffer(buffer), drained_ec);
  });
  spawn([&]() -> awaitable<void> {
    co_await client_handshake();
    asio::steady_timer timer(io_);
    timer.expires_after(50ms);
    co_await timer.async_wait(use_nothrow);
    co_await asio::async_write(client_, asio::buffer(std::string("a IDLE\r\n")), use_nothrow);
  });
  run();
  EXPECT_EQ(before_ec, asio::error::would_block);
  EXPECT_FALSE(wait_ec) << wait_ec.message();
  EXPECT_FALSE(after_ec) << after_ec.message();
  EXPECT_EQ(got, "a IDLE\r\n");
  EXPECT_EQ(drained_ec, asio::error::would_block);
}

TEST_F(TlsStreamTest, TimerCancelsWaitReadable) {
  TlsStream stream(server_, *server_context_);
  size_t winner = 99;
  error_code eof_ec;
  spawn([&]() -> awaitable<void> {
    co_await server_handshake(stream);
    asio::steady_timer timer(io_);
    timer.expires_after(100ms);
    auto result =
        co_await (stream.async_wait_readable(use_nothrow) || timer.async_wait(use_nothrow));
    winner = result.index();
    auto [ec] = co_await stream.async_wait_readable(use_nothrow);  // then the client closes
    eof_ec = ec;
    server_.close();
  });
  spawn([&]() -> awaitable<void> {
    co_await client_handshake();
    asio::steady_timer timer(io_);
    timer.expires_after(300ms);
    co_await timer.async_wait(use_nothrow);
    co_await client_.async_shutdown(use_nothrow);
  });
  run();
  EXPECT_EQ(winner, 1u);
  EXPECT_EQ(eof_ec, asio::error::eof) << eof_ec.message();
}

}  // namespace
}  // namespace mail::net
