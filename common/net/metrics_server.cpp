#include "common/net/metrics_server.h"

#include "common/log.h"
#include "common/net/daemon.h"
#include "common/net/http_request.h"
#include "common/net/offload.h"
#include "common/net/server.h"

namespace mail::net {
namespace {

std::string response(std::string_view status, std::string_view content_type, std::string_view body,
                     bool head_only) {
  std::string out = "HTTP/1.1 ";
  out += status;
  out += "\r\nContent-Type: ";
  out += content_type;
  out += "\r\nContent-Length: " + std::to_string(body.size());
  out += "\r\nConnection: close\r\n\r\n";
  if (!head_only) out += body;
  return out;
}

}  // namespace

MetricsServer::MetricsServer(asio::io_context& loop, asio::thread_pool& workers,
                             metrics::Registry& registry, MetricsServerLimits limits)
    : loop_(loop), workers_(workers), registry_(registry), limits_(limits), acceptor_(loop) {}

MetricsServer::~MetricsServer() = default;

Result<void> MetricsServer::listen(const std::string& address) {
  auto endpoint = parse_endpoint(address);
  if (!endpoint) return endpoint.error();
  boost::system::error_code ec;
  acceptor_.open(endpoint->protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(*endpoint, ec);
  if (!ec) acceptor_.listen(16, ec);
  if (ec) return make_error(ErrorKind::Invalid, "metrics_listen " + address + ": " + ec.message());
  return {};
}

void MetricsServer::add_collector(std::function<void()> collect) {
  collectors_.push_back(std::move(collect));
}

void MetricsServer::start() {
  asio::co_spawn(loop_, accept_loop(), asio::detached);
}

void MetricsServer::stop() {
  stopped_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
}

std::optional<tcp::endpoint> MetricsServer::local_endpoint() const {
  boost::system::error_code ec;
  auto ep = acceptor_.local_endpoint(ec);
  if (ec) return std::nullopt;
  return ep;
}

awaitable<void> MetricsServer::accept_loop() {
  while (!stopped_) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_nothrow);
    if (ec) {
      if (stopped_ || ec == asio::error::operation_aborted) co_return;
      continue;  // EMFILE and the like: the next scrape tries again
    }
    if (clients_.load() >= limits_.max_clients) {
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    asio::co_spawn(loop_, serve(std::move(socket)), asio::detached);
  }
}

awaitable<void> MetricsServer::collect() {
  if (collectors_.empty()) co_return;
  co_await offload(workers_, [&] {
    std::lock_guard lock(collect_mutex_);
    auto now = std::chrono::steady_clock::now();
    if (now - last_collect_ < limits_.collect_interval) return true;
    for (auto& c : collectors_) c();
    last_collect_ = std::chrono::steady_clock::now();
    return true;
  });
}

awaitable<void> MetricsServer::serve(tcp::socket socket) {
  ++clients_;
  asio::steady_timer deadline(loop_);
  deadline.expires_after(limits_.timeout);
  std::string received;
  std::string reply;
  char buf[1024];
  bool head_only = false;
  for (;;) {
    auto r = co_await (socket.async_read_some(asio::buffer(buf), use_nothrow) ||
                       deadline.async_wait(use_nothrow));
    if (r.index() == 1) break;  // deadline
    auto [ec, n] = std::get<0>(r);
    if (ec) break;
    received.append(buf, n);
    HttpParseResult parsed = parse_http_request_head(received, limits_.max_request);
    if (parsed.status == HttpParseStatus::NeedMore) continue;
    if (parsed.status == HttpParseStatus::TooLarge) {
      reply = response("431 Request Header Fields Too Large", "text/plain", "too large\n", false);
    } else if (parsed.status == HttpParseStatus::Bad) {
      reply = response("400 Bad Request", "text/plain", "bad request\n", false);
    } else if (parsed.head.method != "GET" && parsed.head.method != "HEAD") {
      reply = response("405 Method Not Allowed", "text/plain", "GET only\n", false);
    } else if (http_target_path(parsed.head.target) != "/metrics") {
      reply = response("404 Not Found", "text/plain", "see /metrics\n", false);
    } else {
      head_only = parsed.head.method == "HEAD";
      co_await collect();
      reply = response("200 OK", "text/plain; version=0.0.4; charset=utf-8", registry_.render(),
                       head_only);
    }
    break;
  }
  if (!reply.empty()) {
    co_await (asio::async_write(socket, asio::buffer(reply), use_nothrow) ||
              deadline.async_wait(use_nothrow));
  }
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  --clients_;
}

std::unique_ptr<MetricsServer> start_metrics_or_exit(Runtime& runtime, const std::string& address,
                                                     std::string_view program) {
  if (address.empty()) return nullptr;
  metrics::register_process_metrics(metrics::registry());
  auto server = std::make_unique<MetricsServer>(runtime.main_context(), runtime.workers(),
                                                metrics::registry());
  if (auto r = server->listen(address); !r) exit_with_error(program, "", r.error());
  server->start();
  MetricsServer* raw = server.get();
  runtime.on_shutdown([raw] { raw->stop(); });
  log::info("metrics_listening").kv("address", address);
  return server;
}

}  // namespace mail::net
