// The process skeleton every daemon shares: a Runtime (one io_context per event-loop
// thread, a worker pool for blocking calls, SIGTERM/SIGINT/SIGHUP handling) and a Server
// (TCP listeners that accept connections, enforce the connection limit, do the implicit
// TLS handshake and run one session coroutine per connection).
#pragma once

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/net/asio.h"
#include "common/net/connection.h"
#include "common/net/tls.h"
#include "common/result.h"

namespace mail::net {

class Runtime {
 public:
  Runtime(int io_threads, int worker_threads);
  ~Runtime();

  asio::thread_pool& workers() { return workers_; }
  asio::io_context& main_context() { return *contexts_.front(); }
  // Spreads connections over the event-loop threads round-robin.
  asio::io_context& next_context();

  // Called (on the main context) when SIGTERM or SIGINT arrives, before the loops stop.
  void on_shutdown(std::function<void()> fn) { shutdown_hooks_.push_back(std::move(fn)); }
  void on_reload(std::function<void()> fn) { reload_hooks_.push_back(std::move(fn)); }
  // During shutdown the loops stop once no busy check returns true (or the grace ends).
  void add_busy_check(std::function<bool()> fn) { busy_checks_.push_back(std::move(fn)); }

  // Runs the event loops until shutdown; returns when every loop has finished (sessions
  // get `grace` to end after the shutdown hooks ran).
  void run(std::chrono::seconds grace = std::chrono::seconds(10));

 private:
  void begin_shutdown();
  void wait_until_idle();
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  asio::thread_pool workers_;
  asio::signal_set signals_;
  asio::steady_timer grace_timer_;
  std::atomic<size_t> next_{0};
  std::vector<std::function<void()>> shutdown_hooks_, reload_hooks_;
  std::vector<std::function<bool()>> busy_checks_;
  std::chrono::steady_clock::time_point deadline_;
  std::chrono::seconds grace_{10};
  bool shutting_down_ = false;
};

struct ListenerSpec {
  std::string name;     // "smtp", "submission", "imaps", ...: names the listener in logs
  std::string address;  // "127.0.0.1:2525", "[::1]:143"
  bool implicit_tls = false;
  size_t max_line = 1000;      // initial line limit of each connection's input buffer
  std::string busy_reply;      // sent before closing when the connection limit is reached
  std::string shutdown_reply;  // sent to open sessions on SIGTERM, at their next read
};

using SessionHandler =
    std::function<awaitable<void>(std::shared_ptr<Connection>, const ListenerSpec&)>;

class Server {
 public:
  // tls may be null when no certificate is configured (implicit TLS listeners then refuse
  // to start).
  Server(Runtime& runtime, std::string daemon, int max_connections,
         std::shared_ptr<TlsContexts> tls);

  // Binds now, so a busy port stops start-up with a clear message; accepts once running.
  Result<void> listen(ListenerSpec spec, SessionHandler handler);
  // Stops accepting; every open session gets its listener's shutdown_reply at its next
  // read and ends (see Connection::shut_down).
  void shutdown();
  TlsContexts* tls() const { return tls_.get(); }

 private:
  struct Listener;
  awaitable<void> accept_loop(std::shared_ptr<Listener> listener);
  awaitable<void> run_session(std::shared_ptr<Connection> conn, std::shared_ptr<Listener> listener);

  Runtime& runtime_;
  std::string daemon_;
  int max_connections_;
  std::shared_ptr<TlsContexts> tls_;
  std::atomic<int> active_{0};
  std::vector<std::shared_ptr<Listener>> listeners_;
  std::mutex sessions_mutex_;
  struct OpenSession {
    std::weak_ptr<Connection> connection;
    std::string shutdown_reply;
  };
  std::list<OpenSession> sessions_;
  std::atomic<bool> stopping_{false};
};

// Parses "host:port" / "[v6]:port".
Result<tcp::endpoint> parse_endpoint(const std::string& address);

}  // namespace mail::net
