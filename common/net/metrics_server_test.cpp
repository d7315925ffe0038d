// The metrics endpoint over a real loopback socket: answers, refusals and its limits.
#include "common/net/metrics_server.h"

#include <gtest/gtest.h>

#include <thread>

namespace mail::net {
namespace {

class MetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.counter("mail_test_total", "Test.").add(7);
    server_ = std::make_unique<MetricsServer>(loop_, workers_, registry_, limits_);
  }
  void start() {
    ASSERT_TRUE(server_->listen("127.0.0.1:0").ok());
    server_->start();
    thread_ = std::thread([this] { loop_.run(); });
  }
  void TearDown() override {
    asio::post(loop_, [this] { server_->stop(); });
    work_.reset();
    if (thread_.joinable()) thread_.join();
  }
  // Sends `request`, returns everything the server wrote before closing.
  std::string exchange(const std::string& request) {
    asio::io_context client;
    tcp::socket s(client);
    s.connect(*server_->local_endpoint());
    asio::write(s, asio::buffer(request));
    std::string out;
    boost::system::error_code ec;
    char buf[4096];
    for (;;) {
      size_t n = s.read_some(asio::buffer(buf), ec);
      out.append(buf, n);
      if (ec) break;
    }
    return out;
  }

  asio::io_context loop_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      loop_.get_executor()};
  asio::thread_pool workers_{1};
  metrics::Registry registry_;
  MetricsServerLimits limits_;
  std::unique_ptr<MetricsServer> server_;
  std::thread thread_;
};

TEST_F(MetricsServerTest, ServesTheRegistry) {
  int collected = 0;
  server_->add_collector([&] {
    ++collected;
    registry_.gauge("mail_collected", "Collected.").set(collected);
  });
  start();
  std::string r = exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(r.find("\r\n\r\n# HELP mail_collected"), std::string::npos) << r;
  EXPECT_NE(r.find("mail_test_total 7\n"), std::string::npos);
  EXPECT_NE(r.find("mail_collected 1\n"), std::string::npos);
  EXPECT_EQ(collected, 1);
  // Within collect_interval the collectors are not run again.
  exchange("GET /metrics HTTP/1.0\r\n\r\n");
  EXPECT_EQ(collected, 1);
}

TEST_F(MetricsServerTest, HeadHasNoBody) {
  start();
  std::string r = exchange("HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_EQ(r.substr(r.size() - 4), "\r\n\r\n");
}

TEST_F(MetricsServerTest, RefusesOtherRequests) {
  start();
  EXPECT_EQ(exchange("GET / HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(exchange("POST /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 405", 0), 0u);
  EXPECT_EQ(exchange("HELO x\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  EXPECT_EQ(exchange(std::string(limits_.max_request + 10, 'a')).rfind("HTTP/1.1 431", 0), 0u);
}

TEST_F(MetricsServerTest, SilentClientIsClosedAtTheDeadline) {
  limits_.timeout = std::chrono::seconds(1);
  server_ = std::make_unique<MetricsServer>(loop_, workers_, registry_, limits_);
  start();
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(exchange("GET /metrics HTTP/1.1\r\n"), "");
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST_F(MetricsServerTest, BusyBeyondMaxClients) {
  limits_.max_clients = 1;
  server_ = std::make_unique<MetricsServer>(loop_, workers_, registry_, limits_);
  start();
  asio::io_context client;
  tcp::socket holder(client);
  holder.connect(*server_->local_endpoint());
  asio::write(holder, asio::buffer(std::string("GET /metrics HTTP/1.1\r\n")));  // unfinished
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(exchange("GET /metrics HTTP/1.1\r\n\r\n"), "");  // closed at once
  holder.close();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(exchange("GET /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 200", 0), 0u);
}

TEST_F(MetricsServerTest, BusyPortIsAnError) {
  ASSERT_TRUE(server_->listen("127.0.0.1:0").ok());
  auto port = server_->local_endpoint()->port();
  MetricsServer other(loop_, workers_, registry_);
  auto r = other.listen("127.0.0.1:" + std::to_string(port));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("metrics_listen"), std::string::npos);
}

}  // namespace
}  // namespace mail::net
