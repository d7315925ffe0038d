// SpfChecker (libspf2 over our resolver) against tests/dns/dns_server.py serving
// tests/dns/spf.test.zone: the results RFC 7208 gives where libspf2 alone says otherwise
// (several records, a record that does not compile, void lookups beyond two), at the
// void-lookup limit, and the plain ones beside them.
#include "mailauth/spf_check.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdio.h>

#include <optional>
#include <thread>

namespace mail::mailauth {
namespace {

namespace asio = net::asio;

// The test DNS server, started once for all tests (as common/dns/resolver_test.cpp).
class DnsServer {
 public:
  DnsServer() {
    std::string cmd =
        "exec /usr/bin/python3 " MAIL_SOURCE_DIR "/tests/dns/dns_server.py " MAIL_SOURCE_DIR
        "/tests/dns/spf.test.zone --servfail broken.spf.test";
    pipe_ = ::popen(cmd.c_str(), "r");
    char line[128] = {};
    if (!pipe_ || !std::fgets(line, sizeof line, pipe_) ||
        std::sscanf(line, "ready %d %d", &port_, &pid_) != 2)
      port_ = 0;
  }
  ~DnsServer() {
    if (!pipe_) return;
    if (pid_ > 0) ::kill(pid_, SIGTERM);  // the server we started, by the pid it printed
    ::pclose(pipe_);
  }
  int port() const { return port_; }

 private:
  FILE* pipe_ = nullptr;
  int port_ = 0;
  int pid_ = 0;
};

DnsServer* server = nullptr;

class SpfCheckTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server = new DnsServer;
    ASSERT_NE(server->port(), 0) << "tests/dns/dns_server.py did not start (python3-dnslib?)";
  }
  static void TearDownTestSuite() { delete server; }

  void SetUp() override {
    DnsConfig config;
    config.resolvers = {"127.0.0.1@" + std::to_string(server->port())};
    config.timeout = 2;
    auto r = dns::Resolver::create(loop, config);
    ASSERT_TRUE(r.ok()) << r.error().message;
    resolver = std::move(r).value();
    thread = std::thread([this] { loop.run(); });
    checker.emplace(*resolver, "mx.example.org");
  }
  void TearDown() override {
    checker.reset();
    guard.reset();
    loop.stop();
    if (thread.joinable()) thread.join();
    resolver.reset();  // with its loop stopped, as resolver.h requires
  }
  SpfResult check(const std::string& domain) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    return checker->check("192.0.2.10", "client.example.net", "someone@" + domain, deadline).result;
  }

  asio::io_context loop;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard{
      asio::make_work_guard(loop)};
  std::unique_ptr<dns::Resolver> resolver;
  std::thread thread;
  std::optional<SpfChecker> checker;
};

TEST_F(SpfCheckTest, PlainResults) {
  EXPECT_EQ(check("pass.spf.test"), SpfResult::Pass);
  EXPECT_EQ(check("fail.spf.test"), SpfResult::Fail);
  EXPECT_EQ(check("norecord.spf.test"), SpfResult::None);
  EXPECT_EQ(check("othertxt.spf.test"), SpfResult::None);
  EXPECT_EQ(check("nxdomain.spf.test"), SpfResult::None);
  EXPECT_EQ(check("include-none.spf.test"), SpfResult::PermError);
  EXPECT_EQ(check("servfail.spf.test"), SpfResult::TempError);
}

TEST_F(SpfCheckTest, SeveralRecordsArePermerror) {  // RFC 7208 4.5
  EXPECT_EQ(check("two.spf.test"), SpfResult::PermError);
}

TEST_F(SpfCheckTest, RecordThatDoesNotCompileIsPermerror) {  // RFC 7208 4.6
  EXPECT_EQ(check("syntax.spf.test"), SpfResult::PermError);
  EXPECT_EQ(check("mechanism.spf.test"), SpfResult::PermError);
}

TEST_F(SpfCheckTest, TwoVoidLookupsAreAllowedAThirdIsPermerror) {  // RFC 7208 4.6.4
  EXPECT_EQ(check("void2.spf.test"), SpfResult::Pass);
  EXPECT_EQ(check("void3.spf.test"), SpfResult::PermError);
}

}  // namespace
}  // namespace mail::mailauth
