// queued's control socket: an AF_UNIX datagram socket in the data directory. smtpd (and
// mailctl queue flush/retry/release) send one datagram after a change; each datagram pokes
// the scheduler at once. The content is ignored.
//
// SECURITY: the socket is mode 0600 inside the data directory (mode 0700); a datagram
// can only make queued look at the queue sooner.
#pragma once

#include <filesystem>
#include <functional>

#include "common/net/asio.h"
#include "common/result.h"

namespace mail::queued {

class WakeupSocket {
 public:
  WakeupSocket(net::asio::io_context& loop, std::filesystem::path path);

  // Removes a stale socket file (a killed queued leaves one) and binds.
  Result<void> bind();
  // Calls on_wake (on the event loop) for every datagram until close().
  void start(std::function<void()> on_wake);
  void close();

 private:
  net::awaitable<void> listen();

  std::filesystem::path path_;
  net::asio::local::datagram_protocol::socket socket_;
  std::function<void()> on_wake_;
};

}  // namespace mail::queued
