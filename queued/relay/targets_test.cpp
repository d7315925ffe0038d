#include "queued/relay/targets.h"

#include <gtest/gtest.h>

#include <map>

namespace mail::relay {
namespace {

namespace asio = net::asio;

class FakeResolver final : public Resolver {
 public:
  std::map<std::string, MxAnswer> mx_answers;
  std::map<std::string, AddressAnswer> address_answers;
  std::vector<std::string> asked;

  net::awaitable<MxAnswer> mx(const std::string& domain) override {
    asked.push_back("MX " + domain);
    auto it = mx_answers.find(domain);
    if (it == mx_answers.end()) co_return MxAnswer{DnsStatus::NxDomain, {}, false, ""};
    co_return it->second;
  }
  net::awaitable<AddressAnswer> addresses(const std::string& host) override {
    asked.push_back("A " + host);
    auto it = address_answers.find(host);
    if (it == address_answers.end()) co_return AddressAnswer{DnsStatus::NxDomain, {}, false, ""};
    co_return it->second;
  }
};

AddressAnswer addrs(std::vector<std::string> list) {
  AddressAnswer a;
  a.status = DnsStatus::Ok;
  for (auto& s : list) a.addresses.push_back(asio::ip::make_address(s));
  return a;
}

TargetPlan run(FakeResolver& r, const NextHop& hop, const TargetLimits& limits = {}) {
  asio::io_context io;
  std::mt19937_64 rng(42);
  TargetPlan out;
  // A named coroutine lambda: its captures live in the closure, which must outlive run().
  auto task = [&]() -> net::awaitable<void> { out = co_await find_targets(r, hop, limits, rng); };
  asio::co_spawn(io, task(), asio::detached);
  io.run();
  return out;
}

NextHop mx_hop(std::string domain) {
  NextHop h;
  h.domain = std::move(domain);
  return h;
}

TEST(PlanMxTest, PreferenceOrderWithRandomisationAmongEquals) {
  std::vector<MxRecord> records{
      {20, "c.example"}, {10, "a.example"}, {10, "b.example"}, {30, "D.Example."}};
  std::map<std::string, int> first;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    std::mt19937_64 rng(seed);
    auto plan = plan_mx(records, {}, 10, rng);
    ASSERT_EQ(plan.kind, MxPlan::Kind::Hosts);
    ASSERT_EQ(plan.hosts.size(), 4u);
    first[plan.hosts[0]]++;
    EXPECT_EQ(plan.hosts[2], "c.example");
    EXPECT_EQ(plan.hosts[3], "d.example");
  }
  // Both equal-preference hosts come first, each in a fair share of the runs.
  EXPECT_GT(first["a.example"], 60);
  EXPECT_GT(first["b.example"], 60);
}

TEST(PlanMxTest, NullMxLoopAndLimit) {
  std::mt19937_64 rng(1);
  EXPECT_EQ(plan_mx({{0, ""}}, {}, 5, rng).kind, MxPlan::Kind::NullMx);
  EXPECT_EQ(plan_mx({{0, "."}}, {}, 5, rng).kind, MxPlan::Kind::NullMx);
  // A null MX beside real ones is ignored.
  auto mixed = plan_mx({{0, ""}, {10, "mx.example"}}, {}, 5, rng);
  EXPECT_EQ(mixed.kind, MxPlan::Kind::Hosts);
  EXPECT_EQ(mixed.hosts, std::vector<std::string>{"mx.example"});
  // We are an MX: only better ones remain; none better is a loop.
  auto self = plan_mx({{10, "better.example"}, {20, "me.example"}, {30, "worse.example"}},
                      {"me.example"}, 5, rng);
  EXPECT_EQ(self.hosts, std::vector<std::string>{"better.example"});
  EXPECT_EQ(plan_mx({{10, "me.example"}, {20, "other.example"}}, {"me.example"}, 5, rng).kind,
            MxPlan::Kind::Loop);
  auto limited = plan_mx({{1, "a"}, {2, "b"}, {3, "c"}}, {}, 2, rng);
  EXPECT_EQ(limited.hosts, (std::vector<std::string>{"a", "b"}));
}

TEST(FindTargetsTest, MxHostsThenTheirAddresses) {
  FakeResolver r;
  r.mx_answers["example.net"] =
      MxAnswer{DnsStatus::Ok, {{10, "mx1.example.net"}, {20, "mx2.example.net"}}, false, ""};
  r.address_answers["mx1.example.net"] = addrs({"::1", "127.0.0.11"});
  r.address_answers["mx2.example.net"] = addrs({"127.0.0.12"});
  auto plan = run(r, mx_hop("example.net"));
  ASSERT_FALSE(plan.failure);
  ASSERT_EQ(plan.targets.size(), 3u);
  EXPECT_EQ(plan.targets[0].host, "mx1.example.net");
  EXPECT_EQ(plan.targets[0].address.to_string(), "::1");
  EXPECT_EQ(plan.targets[2].address.to_string(), "127.0.0.12");
  TargetLimits v4only;
  v4only.ipv6 = false;
  auto v4 = run(r, mx_hop("example.net"), v4only);
  ASSERT_EQ(v4.targets.size(), 2u);
  EXPECT_EQ(v4.targets[0].address.to_string(), "127.0.0.11");
}

TEST(FindTargetsTest, NoMxFallsBackToTheDomainsAddress) {
  FakeResolver r;
  r.mx_answers["plain.example"] = MxAnswer{DnsStatus::NoData, {}, false, ""};
  r.address_answers["plain.example"] = addrs({"127.0.0.5"});
  auto plan = run(r, mx_hop("plain.example"));
  ASSERT_FALSE(plan.failure);
  ASSERT_EQ(plan.targets.size(), 1u);
  EXPECT_EQ(plan.targets[0].host, "plain.example");
}

TEST(FindTargetsTest, FailuresAndTheirKinds) {
  FakeResolver r;
  r.mx_answers["null.example"] = MxAnswer{DnsStatus::Ok, {{0, ""}}, false, ""};
  r.mx_answers["servfail.example"] = MxAnswer{DnsStatus::TempFail, {}, false, "SERVFAIL"};
  r.mx_answers["noaddr.example"] = MxAnswer{DnsStatus::NoData, {}, false, ""};
  r.mx_answers["deadmx.example"] = MxAnswer{DnsStatus::Ok, {{10, "gone.example"}}, false, ""};
  r.mx_answers["slowmx.example"] = MxAnswer{DnsStatus::Ok, {{10, "slow.example"}}, false, ""};
  r.address_answers["slow.example"] = AddressAnswer{DnsStatus::TempFail, {}, false, "timed out"};

  auto null_mx = run(r, mx_hop("null.example"));
  ASSERT_TRUE(null_mx.failure);
  EXPECT_EQ(null_mx.failure->code, 556);
  EXPECT_EQ(null_mx.failure->enhanced, "5.1.10");
  EXPECT_TRUE(null_mx.permanent);
  EXPECT_EQ(r.asked.back(), "MX null.example");  // no address lookups after a null MX

  auto nx = run(r, mx_hop("nxdomain.example"));
  EXPECT_TRUE(nx.permanent);
  EXPECT_EQ(nx.failure->enhanced, "5.1.2");

  auto temp = run(r, mx_hop("servfail.example"));
  EXPECT_FALSE(temp.permanent);
  EXPECT_EQ(temp.failure->code, 451);
  EXPECT_NE(temp.failure->lines[0].find("SERVFAIL"), std::string::npos);

  auto noaddr = run(r, mx_hop("noaddr.example"));
  EXPECT_TRUE(noaddr.permanent);
  EXPECT_EQ(noaddr.failure->enhanced, "5.4.4");

  EXPECT_TRUE(run(r, mx_hop("deadmx.example")).permanent);
  auto slow = run(r, mx_hop("slowmx.example"));
  EXPECT_FALSE(slow.permanent);
  EXPECT_EQ(slow.failure->enhanced, "4.4.3");
}

TEST(FindTargetsTest, FixedHostsSkipMxLookups) {
  FakeResolver r;
  NextHop literal;
  literal.domain = "example.net";
  literal.use_mx = false;
  literal.host = "127.0.0.1";
  literal.port = 2600;
  auto plan = run(r, literal);
  ASSERT_EQ(plan.targets.size(), 1u);
  EXPECT_EQ(plan.targets[0].port, 2600);
  EXPECT_TRUE(r.asked.empty());

  NextHop named = literal;
  named.host = "smart.example.org";
  r.address_answers["smart.example.org"] = addrs({"127.0.0.7"});
  auto p2 = run(r, named);
  ASSERT_EQ(p2.targets.size(), 1u);
  EXPECT_EQ(r.asked, std::vector<std::string>{"A smart.example.org"});
  named.host = "missing.example.org";
  auto p3 = run(r, named);
  ASSERT_TRUE(p3.failure);
  EXPECT_FALSE(p3.permanent);  // our configuration's fault: the mail waits
}

}  // namespace
}  // namespace mail::relay
