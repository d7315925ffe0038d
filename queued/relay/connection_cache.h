// Open SMTP sessions waiting for their next message, per next hop (NextHop::key()), for
// relay.connection_cache_time seconds (Postfix's smtp_connection_cache_time_limit): a
// destination that gets a steady stream of mail keeps one connection instead of a TCP
// and TLS handshake per batch. An idle session past its time gets QUIT and is closed.
//
// Lives on one event loop; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "common/net/asio.h"
#include "common/net/client.h"
#include "queued/relay/smtp_session.h"
#include "queued/relay/targets.h"

namespace mail::relay {

// A connection with its session; heap-allocated so the session's references stay valid.
struct LiveSession {
  std::unique_ptr<net::ClientConnection> connection;
  SessionSettings settings;
  std::unique_ptr<SmtpSession> session;
  Target target;
};

class ConnectionCache {
 public:
  ConnectionCache(net::asio::any_io_executor executor, std::chrono::seconds idle_time);
  ~ConnectionCache();

  // Keeps the session for `key` (or QUITs it at once when caching is off).
  void put(const std::string& key, std::unique_ptr<LiveSession> live);
  // A waiting session for `key`, or nullptr.
  std::unique_ptr<LiveSession> take(const std::string& key);
  size_t size() const;
  // QUITs every waiting session (shutdown).
  void close_all();

 private:
  struct Entry {
    std::string key;
    std::unique_ptr<LiveSession> live;
    std::shared_ptr<net::asio::steady_timer> timer;
  };
  struct State {
    std::map<uint64_t, Entry> entries;
    uint64_t next_id = 1;
    bool closed = false;
  };
  static net::awaitable<void> expire(std::shared_ptr<State> state, uint64_t id,
                                     std::shared_ptr<net::asio::steady_timer> timer);
  static net::awaitable<void> quit(std::unique_ptr<LiveSession> live);

  net::asio::any_io_executor executor_;
  std::chrono::seconds idle_time_;
  std::shared_ptr<State> state_;
};

}  // namespace mail::relay
