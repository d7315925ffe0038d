// The process skeleton every daemon shares: a Runtime (one io_context per event-loop
// thread, a worker pool for blocking calls, SIGTERM/SIGINT/SIGHUP handling) and a Server
// (TCP listeners that accept connections, enforce the connection limits overall and per
// client address, do the implicit TLS handshake, bound each session's lifetime and run
// one session coroutine per connection).
#pragma once

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
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
  // Begins the shutdown as SIGTERM does (from any thread).
  void request_shutdown();

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
  std::string per_ip_reply;    // the per-address limit is reached (empty: busy_reply)
  std::string expired_reply;   // at the next read after max_session_time (empty: shutdown_reply)
};

// What a Server enforces for every session of a daemon (the daemon's config section and
// [server]; see docs/config.md and docs/security.md).
struct ServerLimits {
  int max_connections = 1000;                   // <daemon>.max_connections, all listeners
  int max_connections_per_ip = 50;              // <daemon>.max_connections_per_ip
  std::chrono::seconds max_session_time{3600};  // <daemon>.max_session_time
  ConnectionLimits connection;                  // [server] output, write and TLS bounds
};

using SessionHandler =
    std::function<awaitable<void>(std::shared_ptr<Connection>, const ListenerSpec&)>;

class Server {
 public:
  // tls may be null when no certificate is configured (implicit TLS listeners then refuse
  // to start). Raises the process's open-file limit to fit max_connections.
  Server(Runtime& runtime, std::string daemon, ServerLimits limits,
         std::shared_ptr<TlsContexts> tls);

  // Binds now, so a busy port stops start-up with a clear message; accepts once running.
  Result<void> listen(ListenerSpec spec, SessionHandler handler);
  // Stops accepting; every open session gets its listener's shutdown_reply at its next
  // read and ends (see Connection::shut_down).
  void shutdown();
  TlsContexts* tls() const { return tls_.get(); }
  // Sessions open now (for tests and metrics).
  int active_sessions() const { return active_.load(); }
  // Where the named listener is bound (port 0 in its address picks a free port).
  std::optional<tcp::endpoint> local_endpoint(std::string_view listener) const;

 private:
  struct Listener;
  awaitable<void> accept_loop(std::shared_ptr<Listener> listener);
  awaitable<void> run_session(std::shared_ptr<Connection> conn, std::shared_ptr<Listener> listener);
  // Counts a new session from `address`; false (nothing counted) when a limit is reached,
  // with the reply to send in `refusal`.
  bool admit(const std::string& address, const Listener& listener, std::string& refusal);
  void release(const std::string& address);

  Runtime& runtime_;
  std::string daemon_;
  ServerLimits limits_;
  std::shared_ptr<TlsContexts> tls_;
  std::atomic<int> active_{0};
  std::mutex per_ip_mutex_;
  std::unordered_map<std::string, int> per_ip_;  // open sessions per client address
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

// The client address as text, IPv4-mapped IPv6 shown as IPv4 ("127.0.0.1", "::1").
std::string address_text(const asio::ip::address& address);

// Raises RLIMIT_NOFILE's soft limit to at least `needed` (and the hard limit too when
// allowed); logs a warning when the hard limit is lower. Returns the soft limit now set.
uint64_t raise_open_file_limit(uint64_t needed);

}  // namespace mail::net
