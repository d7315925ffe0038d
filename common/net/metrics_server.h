// The metrics endpoint of a daemon: answers `GET /metrics` over plain HTTP/1.x with the
// process's registry (common/metrics.h) in Prometheus' text format, then closes. Meant for
// a loopback or internal address (<daemon>.metrics_listen; off when empty): it serves
// numbers, no mail, and takes no input beyond the request head.
//
// Bounded like every listener: the request head (max_request octets), one deadline per
// exchange (timeout), and concurrent scrapes (max_clients; more are closed at once).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/metrics.h"
#include "common/net/asio.h"
#include "common/result.h"

namespace mail::net {

class Runtime;

struct MetricsServerLimits {
  size_t max_request = 8192;
  std::chrono::seconds timeout{10};
  int max_clients = 8;
  // Collectors run at most this often, whatever the scrape rate.
  std::chrono::milliseconds collect_interval{1000};
};

class MetricsServer {
 public:
  MetricsServer(asio::io_context& loop, asio::thread_pool& workers, metrics::Registry& registry,
                MetricsServerLimits limits = {});
  ~MetricsServer();

  // Binds now ("127.0.0.1:9025"; port 0 picks one), so a busy port stops start-up.
  Result<void> listen(const std::string& address);
  // A function that refreshes gauges from storage (queue length, store size). Runs on the
  // worker pool before a scrape is answered, never on the event loop.
  void add_collector(std::function<void()> collect);
  void start();
  void stop();
  std::optional<tcp::endpoint> local_endpoint() const;

 private:
  awaitable<void> accept_loop();
  awaitable<void> serve(tcp::socket socket);
  awaitable<void> collect();

  asio::io_context& loop_;
  asio::thread_pool& workers_;
  metrics::Registry& registry_;
  MetricsServerLimits limits_;
  tcp::acceptor acceptor_;
  std::vector<std::function<void()>> collectors_;
  std::mutex collect_mutex_;
  std::chrono::steady_clock::time_point last_collect_{};
  std::atomic<int> clients_{0};
  bool stopped_ = false;
};

// For a daemon's main(): when `address` is not empty, registers the process metrics,
// binds (or exits with "program: metrics_listen ...") and serves until shutdown. Returns
// null when `address` is empty.
std::unique_ptr<MetricsServer> start_metrics_or_exit(Runtime& runtime, const std::string& address,
                                                     std::string_view program);

}  // namespace mail::net
