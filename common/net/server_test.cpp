// net::Server and net::Connection over real loopback sockets: the per-address and global
// connection limits, the session lifetime, output back-pressure, and a worker job that
// throws (it must end its session and give the connection slot back).
#include "common/net/server.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "common/net/offload.h"
#include "common/net/test_tls_context.h"

namespace mail::net {
namespace {

using namespace std::chrono_literals;

// A blocking client socket with a receive timeout.
class Client {
 public:
  explicit Client(const tcp::endpoint& server, int rcvbuf = 0) : socket_(io_) {
    socket_.open(server.protocol());
    if (rcvbuf > 0) socket_.set_option(asio::socket_base::receive_buffer_size(rcvbuf));
    socket_.connect(server);
  }
  void send(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes)); }
  // Everything until EOF or `timeout` of silence.
  std::string read_all(std::chrono::milliseconds timeout = 3000ms) {
    std::string out;
    char buf[65536];
    for (;;) {
      pollfd p{socket_.native_handle(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return out;
      boost::system::error_code ec;
      size_t n = socket_.read_some(asio::buffer(buf), ec);
      if (ec) return out;
      out.append(buf, n);
    }
  }
  // Reads until `needle` appears (or EOF, or `timeout`).
  std::string read_until(std::string_view needle, std::chrono::milliseconds timeout = 3000ms) {
    std::string out;
    char buf[4096];
    auto end = std::chrono::steady_clock::now() + timeout;
    while (out.find(needle) == std::string::npos && std::chrono::steady_clock::now() < end) {
      pollfd p{socket_.native_handle(), POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      boost::system::error_code ec;
      size_t n = socket_.read_some(asio::buffer(buf), ec);
      if (ec) break;
      out.append(buf, n);
    }
    return out;
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
};

// A Runtime and Server on a free loopback port, run on a background thread.
class Harness {
 public:
  Harness(ServerLimits limits, SessionHandler handler, ListenerSpec spec = {})
      : runtime_(1, 2), server_(runtime_, "test", limits, nullptr) {
    spec.name = "test";
    spec.address = "127.0.0.1:0";
    if (spec.busy_reply.empty()) spec.busy_reply = "BUSY\r\n";
    if (spec.shutdown_reply.empty()) spec.shutdown_reply = "BYE\r\n";
    auto r = server_.listen(spec, std::move(handler));
    EXPECT_TRUE(r.ok());
    runtime_.on_shutdown([this] { server_.shutdown(); });
    thread_ = std::thread([this] { runtime_.run(2s); });
  }
  ~Harness() {
    runtime_.request_shutdown();
    thread_.join();
  }
  tcp::endpoint endpoint() const { return *server_.local_endpoint("test"); }
  Server& server() { return server_; }
  Runtime& runtime() { return runtime_; }

  // Waits until the server counts `n` open sessions.
  bool wait_sessions(int n, std::chrono::milliseconds timeout = 3000ms) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (server_.active_sessions() == n) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

 private:
  Runtime runtime_;
  Server server_;
  std::thread thread_;
};

// Greets, then answers each line with "OK <line>" until the client leaves.
awaitable<void> echo_session(std::shared_ptr<Connection> conn, const ListenerSpec&) {
  conn->send("HELLO\r\n");
  std::string line;
  while (co_await conn->read_line(line, 30s) == ReadStatus::Ok) conn->send("OK " + line + "\r\n");
}

TEST(ServerTest, PerAddressLimitRefusesWithItsReplyAndFreesTheSlot) {
  ServerLimits limits;
  limits.max_connections = 100;
  limits.max_connections_per_ip = 2;
  ListenerSpec spec;
  spec.per_ip_reply = "TOO MANY FROM YOU\r\n";
  Harness h(limits, echo_session, spec);
  auto a = std::make_unique<Client>(h.endpoint());
  Client b(h.endpoint());
  EXPECT_EQ(a->read_until("\r\n"), "HELLO\r\n");
  EXPECT_EQ(b.read_until("\r\n"), "HELLO\r\n");
  Client c(h.endpoint());
  EXPECT_EQ(c.read_all(), "TOO MANY FROM YOU\r\n");  // then EOF
  EXPECT_EQ(h.server().active_sessions(), 2);
  a.reset();  // one leaves: its slot comes back
  ASSERT_TRUE(h.wait_sessions(1));
  Client d(h.endpoint());
  EXPECT_EQ(d.read_until("\r\n"), "HELLO\r\n");
}

TEST(ServerTest, GlobalLimitRefusesWithBusyReply) {
  ServerLimits limits;
  limits.max_connections = 1;
  limits.max_connections_per_ip = 10;
  Harness h(limits, echo_session);
  Client a(h.endpoint());
  EXPECT_EQ(a.read_until("\r\n"), "HELLO\r\n");
  Client b(h.endpoint());
  EXPECT_EQ(b.read_all(), "BUSY\r\n");
}

TEST(ServerTest, SessionLifetimeEndsSessionWithItsReply) {
  ServerLimits limits;
  limits.max_session_time = 1s;
  ListenerSpec spec;
  spec.expired_reply = "EXPIRED\r\n";
  Harness h(limits, echo_session, spec);
  Client a(h.endpoint());
  a.send("ping\r\n");
  EXPECT_EQ(a.read_until("OK ping\r\n"), "HELLO\r\nOK ping\r\n");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(a.read_all(), "EXPIRED\r\n");  // at its next read, then EOF
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
  EXPECT_TRUE(h.wait_sessions(0));
}

// A worker job that throws: the session ends (the exception is rethrown in it), the
// connection is closed and its slot is free for the next client. Before, the exception
// escaped the pool thread and ended the process.
TEST(ServerTest, ThrowingWorkerJobEndsOnlyItsSessionAndFreesTheSlot) {
  ServerLimits limits;
  limits.max_connections = 1;
  std::atomic<int> resumed{0};
  Harness* harness = nullptr;
  auto handler = [&](std::shared_ptr<Connection> conn, const ListenerSpec&) -> awaitable<void> {
    conn->send("HELLO\r\n");
    std::string line;
    while (co_await conn->read_line(line, 30s) == ReadStatus::Ok) {
      if (line == "boom") {
        co_await offload(harness->runtime().workers(),
                         [&]() -> int { throw std::runtime_error("job failed"); });
        resumed++;  // never reached: the exception propagates out of the session
      }
      conn->send("OK\r\n");
    }
  };
  Harness h(limits, handler);
  harness = &h;
  {
    Client a(h.endpoint());
    EXPECT_EQ(a.read_until("\r\n"), "HELLO\r\n");
    a.send("boom\r\n");
    EXPECT_EQ(a.read_all(), "");  // closed without a reply
  }
  ASSERT_TRUE(h.wait_sessions(0));
  Client b(h.endpoint());  // the only slot is free again
  EXPECT_EQ(b.read_until("\r\n"), "HELLO\r\n");
  EXPECT_EQ(resumed.load(), 0);
}

// Pipelined commands whose replies the client never reads: once the queued output
// reaches the limit, the session writes it before taking the next command, so memory
// stays bounded and the session stalls until the client reads.
TEST(ConnectionTest, PipelinedRepliesAreBoundedByTheOutputLimit) {
  constexpr size_t kReply = 32 * 1024;
  constexpr int kCommands = 500;  // 16 MB of replies to 1.5 KB of commands
  ServerLimits limits;
  limits.connection.max_output = 256 * 1024;
  std::atomic<size_t> most_pending{0};
  std::atomic<int> answered{0};
  auto handler = [&](std::shared_ptr<Connection> conn, const ListenerSpec&) -> awaitable<void> {
    std::string line;
    const std::string reply(kReply - 2, 'r');
    for (;;) {
      most_pending = std::max(most_pending.load(), conn->pending_output());
      if (co_await conn->read_line(line, 30s) != ReadStatus::Ok) break;
      conn->send(reply);
      conn->send("\r\n");
      answered++;
    }
  };
  Harness h(limits, handler);
  Client client(h.endpoint(), 4096);
  std::string commands;
  for (int i = 0; i < kCommands; ++i) commands += "x\r\n";
  client.send(commands);
  std::this_thread::sleep_for(500ms);  // the server runs as far as it can without us
  EXPECT_LT(answered.load(), kCommands) << "the session did not wait for the client";
  EXPECT_LE(most_pending.load(), limits.connection.max_output + kReply);
  // Reading everything lets the session go on to the end.
  const std::string all = client.read_all(1500ms);
  EXPECT_EQ(all.size(), kCommands * kReply);
  EXPECT_EQ(answered.load(), kCommands);
  EXPECT_LE(most_pending.load(), limits.connection.max_output + kReply);
}

// drain() between the chunks of a long reply keeps at most the limit plus one chunk.
TEST(ConnectionTest, DrainBoundsALongReply) {
  constexpr size_t kChunk = 64 * 1024;
  constexpr int kChunks = 200;  // 12.5 MiB
  ServerLimits limits;
  limits.connection.max_output = 512 * 1024;
  std::atomic<size_t> most_pending{0};
  auto handler = [&](std::shared_ptr<Connection> conn, const ListenerSpec&) -> awaitable<void> {
    const std::string chunk(kChunk, 'c');
    for (int i = 0; i < kChunks; ++i) {
      conn->send(chunk);
      most_pending = std::max(most_pending.load(), conn->pending_output());
      if (!co_await conn->drain()) co_return;
    }
  };
  Harness h(limits, handler);
  Client client(h.endpoint(), 4096);
  EXPECT_EQ(client.read_all(1500ms).size(), kChunk * kChunks);
  EXPECT_LE(most_pending.load(), limits.connection.max_output + kChunk);
}

// Two clients pipelining thousands of commands on one event loop: each gets turns of
// kLinesPerTurn commands, not the whole 16 KiB read (over 5,000 commands) at a time.
TEST(ConnectionTest, PipelinedCommandsTakeTurns) {
  // 90 KB of commands per client: fits in the server's socket receive buffer, so both
  // clients' commands are all there before either session reads (whatever the load).
  constexpr int kCommands = 30000;
  ServerLimits limits;
  std::atomic<bool> go{false};
  std::atomic<int> ready{0};
  std::mutex mutex;
  std::map<const void*, int> handled;  // per session
  const void* last = nullptr;
  int run = 0, longest = 0;
  auto handler = [&](std::shared_ptr<Connection> conn, const ListenerSpec&) -> awaitable<void> {
    asio::steady_timer wait(conn->executor());
    while (!go) {
      wait.expires_after(5ms);
      co_await wait.async_wait(use_nothrow);
    }
    // Both sessions start reading in the same turn of the loop: otherwise the first to see
    // `go` may finish all its commands before the other's 5 ms timer fires.
    ++ready;
    while (ready < 2) {
      wait.expires_after(0ms);
      co_await wait.async_wait(use_nothrow);
    }
    std::string line;
    while (co_await conn->read_line(line, 30s) == ReadStatus::Ok) {
      {
        std::lock_guard lock(mutex);
        ++handled[conn.get()];
        run = last == conn.get() ? run + 1 : 1;
        last = conn.get();
        // Only while both sessions have work: a session alone may run on.
        bool both_busy = handled.size() == 2;
        for (auto& [session, n] : handled) both_busy = both_busy && n < kCommands;
        if (both_busy) longest = std::max(longest, run);
      }
      conn->send("k\r\n");
    }
  };
  Harness h(limits, handler);  // one event-loop thread: the sessions share it
  std::string commands;
  for (int i = 0; i < kCommands; ++i) commands += "x\r\n";
  Client a(h.endpoint()), b(h.endpoint());
  a.send(commands);
  b.send(commands);
  ASSERT_TRUE(h.wait_sessions(2));
  go = true;
  std::thread reader_a([&] { a.read_all(1500ms); });
  std::thread reader_b([&] { b.read_all(1500ms); });
  reader_a.join();
  reader_b.join();
  std::lock_guard lock(mutex);
  ASSERT_EQ(handled.size(), 2u);
  for (auto& [session, n] : handled) EXPECT_EQ(n, kCommands);
  EXPECT_GT(longest, 0);
  // A few turns in a row happen when the other session's next read has not completed
  // yet; without turns a session ran a whole read (16 KiB: over 5,000 commands).
  EXPECT_LE(longest, 16 * kLinesPerTurn) << "one session ran " << longest << " commands in a row";
}

// SIGTERM while sessions are inside their TLS handshake: Server::shutdown reaches every
// session through its executor, fixed at construction (reading it from the socket raced
// with the handshake when STARTTLS still moved the socket into an ssl::stream;
// ThreadSanitizer reported it), and each handshake ends at once instead of at its deadline.
TEST(ServerTest, ShutdownDuringTlsHandshakesEndsEverySession) {
  auto tls = test_tls_context();
  ServerLimits limits;
  limits.connection.tls_handshake_timeout = 30s;
  auto handler = [&](std::shared_ptr<Connection> conn, const ListenerSpec&) -> awaitable<void> {
    conn->send("220 go ahead\r\n");
    co_await conn->start_tls(*tls);  // the client never sends a ClientHello
  };
  auto runtime = std::make_unique<Runtime>(2, 1);
  Server server(*runtime, "test", limits, nullptr);
  ListenerSpec spec;
  spec.name = "test";
  spec.address = "127.0.0.1:0";
  spec.shutdown_reply = "BYE\r\n";
  ASSERT_TRUE(server.listen(spec, handler).ok());
  runtime->on_shutdown([&] { server.shutdown(); });
  std::thread loop([&] { runtime->run(10s); });
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(std::make_unique<Client>(*server.local_endpoint("test")));
    EXPECT_EQ(clients.back()->read_until("\r\n"), "220 go ahead\r\n");
  }
  const auto start = std::chrono::steady_clock::now();
  runtime->request_shutdown();
  loop.join();  // returns once no session is left (or after the 10 s grace)
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(server.active_sessions(), 0);
  for (auto& c : clients) EXPECT_EQ(c->read_all(1000ms), "");  // closed
}

// A worker job that throws resumes its caller with the exception (unit level).
TEST(OffloadTest, ExceptionIsRethrownInTheAwaitingCoroutine) {
  asio::io_context io;
  asio::thread_pool pool(1);
  std::string caught;
  int after = 0;
  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        try {
          co_await offload(pool, [&]() -> int { throw std::runtime_error("worker failed"); });
        } catch (const std::runtime_error& e) {
          caught = e.what();
        }
        after = co_await offload(pool, [&] { return 42; });  // the pool still works
      },
      asio::detached);
  io.run();
  pool.join();
  EXPECT_EQ(caught, "worker failed");
  EXPECT_EQ(after, 42);
}

}  // namespace
}  // namespace mail::net
