// Tests for the resolver against a real DNS server on loopback (tests/dns/dns_server.py
// serving tests/dns/example.test.zone): MX in order, A/AAAA, null MX, TXT, NXDOMAIN,
// NODATA, SERVFAIL, a slow answer (Timeout), lookups from coroutines and from worker
// threads, a trust anchor that makes answers bogus, and bad configuration.
#include "common/dns/resolver.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdio.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <thread>

namespace mail::dns {
namespace {

namespace asio = net::asio;

// The test DNS server, started once for all tests.
class DnsServer {
 public:
  DnsServer() {
    std::string cmd =
        "exec /usr/bin/python3 " MAIL_SOURCE_DIR "/tests/dns/dns_server.py " MAIL_SOURCE_DIR
        "/tests/dns/example.test.zone --servfail broken.example.test "
        "--delay slow.example.test=5";
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

class ResolverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server = new DnsServer;
    ASSERT_NE(server->port(), 0) << "tests/dns/dns_server.py did not start (python3-dnslib?)";
  }
  static void TearDownTestSuite() { delete server; }

  void SetUp() override {
    config.resolvers = {"127.0.0.1@" + std::to_string(server->port())};
    config.timeout = 2;
  }
  void start() {
    auto r = Resolver::create(loop, config);
    ASSERT_TRUE(r.ok()) << r.error().message;
    resolver = std::move(r).value();
    thread = std::thread([this] { loop.run(); });
  }
  void TearDown() override {
    if (thread.joinable()) {
      guard.reset();
      loop.stop();
      thread.join();
      resolver.reset();  // with its loop stopped, as resolver.h requires
    }
  }
  // Runs a coroutine on the loop and waits for its result.
  template <typename T>
  T run(asio::awaitable<T> a) {
    return asio::co_spawn(loop, std::move(a), asio::use_future).get();
  }

  DnsConfig config;
  asio::io_context loop;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard{
      asio::make_work_guard(loop)};
  std::unique_ptr<Resolver> resolver;
  std::thread thread;
};

TEST_F(ResolverTest, MxInTheServersOrderWithPreferences) {
  start();
  auto a = run(resolver->mx("example.test"));
  ASSERT_EQ(a.status, Status::Ok) << a.detail;
  EXPECT_EQ(a.security, Security::Insecure);
  ASSERT_EQ(a.records.size(), 2u);
  auto sorted = a.records;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& x, const auto& y) { return x.preference < y.preference; });
  EXPECT_EQ(sorted[0], (MxRecord{10, "mx1.example.test"}));
  EXPECT_EQ(sorted[1], (MxRecord{20, "mx2.example.test"}));
  EXPECT_EQ(a.ttl, 300u);
  EXPECT_FALSE(a.temporary());
}

TEST_F(ResolverTest, FallbackAddressesNullMxAndTxt) {
  start();
  // No MX: NODATA (the name exists), then A and AAAA (RFC 5321 5.1).
  auto none = run(resolver->mx("nomx.example.test"));
  EXPECT_EQ(none.status, Status::NoData);
  EXPECT_FALSE(none.temporary());
  auto v4 = run(resolver->a("nomx.example.test"));
  ASSERT_EQ(v4.status, Status::Ok);
  EXPECT_EQ(v4.records, std::vector{asio::ip::address(asio::ip::make_address("192.0.2.3"))});
  auto v6 = run(resolver->aaaa("nomx.example.test"));
  ASSERT_EQ(v6.status, Status::Ok);
  EXPECT_EQ(v6.records, std::vector{asio::ip::address(asio::ip::make_address("2001:db8::3"))});
  EXPECT_EQ(run(resolver->aaaa("mx1.example.test")).status, Status::NoData);

  auto null_mx = run(resolver->mx("nullmx.example.test"));
  ASSERT_EQ(null_mx.status, Status::Ok);
  ASSERT_EQ(null_mx.records.size(), 1u);
  EXPECT_TRUE(null_mx.records[0].null());
  EXPECT_EQ(null_mx.records[0].preference, 0);

  auto spf = run(resolver->txt("example.test"));
  ASSERT_EQ(spf.status, Status::Ok);
  EXPECT_EQ(spf.records, std::vector<std::string>{"v=spf1 ip4:192.0.2.0/24 -all"});
  auto dkim = run(resolver->txt("long.example.test"));
  EXPECT_EQ(dkim.records, std::vector<std::string>{"v=DKIM1; k=rsa; p=MIIBIjANBg"});
}

TEST_F(ResolverTest, OtherTypesAsRawRecordData) {
  start();
  auto ptr = run(resolver->rdata("ptr.example.test", 12));
  ASSERT_EQ(ptr.status, Status::Ok) << ptr.detail;
  ASSERT_EQ(ptr.records.size(), 1u);
  EXPECT_EQ(parse_name(ptr.records[0]), "mx1.example.test");
  // SRV (RFC 2782): priority, weight, port, then the target name uncompressed.
  auto srv2 = resolver->rdata_sync("_imaps._tcp.example.test", 33);
  ASSERT_EQ(srv2.status, Status::Ok) << srv2.detail;
  ASSERT_EQ(srv2.records.size(), 1u);
  const std::string& rd = srv2.records[0];
  ASSERT_GT(rd.size(), 6u);
  EXPECT_EQ(rd.substr(0, 6), std::string("\0\0\0\1\3\xe1", 6));
  EXPECT_EQ(parse_name(rd.substr(6)), "mx1.example.test");
  EXPECT_EQ(run(resolver->rdata("example.test", 12)).status, Status::NoData);
}

TEST_F(ResolverTest, PermanentAndTemporaryFailures) {
  start();
  auto nx = run(resolver->mx("nothing.example.test"));
  EXPECT_EQ(nx.status, Status::NxDomain);
  EXPECT_FALSE(nx.temporary());
  auto fail = run(resolver->mx("broken.example.test"));
  EXPECT_EQ(fail.status, Status::ServFail);
  EXPECT_TRUE(fail.temporary());
  auto bad = run(resolver->mx("bad..name"));
  EXPECT_EQ(bad.status, Status::BadName) << status_name(bad.status) << " " << bad.detail;
  EXPECT_FALSE(bad.temporary());
}

TEST_F(ResolverTest, ASlowAnswerTimesOutAndOthersAreNotHeldUp) {
  start();
  auto t0 = std::chrono::steady_clock::now();
  auto slow = asio::co_spawn(loop, resolver->a("slow.example.test"), asio::use_future);
  // Another lookup meanwhile is answered at once.
  auto quick = run(resolver->mx("example.test"));
  EXPECT_EQ(quick.status, Status::Ok);
  EXPECT_EQ(slow.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  auto a = slow.get();
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(a.status, Status::Timeout) << a.detail;
  EXPECT_TRUE(a.temporary());
  EXPECT_GE(waited, std::chrono::milliseconds(1900));  // dns.timeout = 2
  EXPECT_LT(waited, std::chrono::milliseconds(4500));  // before the server's 5 s
}

TEST_F(ResolverTest, SynchronousLookupsFromWorkerThreads) {
  start();
  std::vector<std::future<Answer<std::string>>> results;
  for (int i = 0; i < 8; ++i)
    results.push_back(
        std::async(std::launch::async, [&] { return resolver->txt_sync("example.test"); }));
  for (auto& f : results) {
    auto a = f.get();
    ASSERT_EQ(a.status, Status::Ok) << a.detail;
    EXPECT_EQ(a.records.at(0), "v=spf1 ip4:192.0.2.0/24 -all");
  }
  EXPECT_EQ(resolver->mx_sync("nothing.example.test").status, Status::NxDomain);
  EXPECT_EQ(resolver->a_sync("mx1.example.test").records.size(), 1u);
  EXPECT_EQ(resolver->aaaa_sync("mx2.example.test").records.size(), 1u);
  // On the resolver's own loop it would wait for itself: refused.
  auto on_loop =
      asio::co_spawn(
          loop,
          [&]() -> asio::awaitable<Status> { co_return resolver->mx_sync("example.test").status; },
          asio::use_future)
          .get();
  EXPECT_EQ(on_loop, Status::Error);
}

TEST_F(ResolverTest, ATrustAnchorWithoutSignaturesMakesAnswersBogus) {
  // A DS for example.test that no DNSKEY in the (unsigned) zone matches.
  std::string anchors = ::testing::TempDir() + "/anchors.txt";
  std::ofstream(anchors) << "example.test. IN DS 12345 8 2 "
                            "49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE0A7E8B1BD9E05A8AD3B0A1B2\n";
  config.trust_anchor_file = anchors;
  start();
  auto a = run(resolver->mx("example.test"));
  EXPECT_EQ(a.security, Security::Bogus) << status_name(a.status) << " " << a.detail;
  EXPECT_TRUE(a.temporary());
  EXPECT_FALSE(a.detail.empty());
}

TEST_F(ResolverTest, BadConfigurationIsRefused) {
  config.resolvers = {"not-an-address"};
  auto r = Resolver::create(loop, config);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not-an-address"), std::string::npos) << r.error().message;
  config.resolvers = {"127.0.0.1@" + std::to_string(server->port())};
  config.trust_anchor_file = "/nonexistent/anchors";
  EXPECT_FALSE(Resolver::create(loop, config).ok());
}

}  // namespace
}  // namespace mail::dns
