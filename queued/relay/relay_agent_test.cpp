#include "queued/relay/relay_agent.h"

#include <gtest/gtest.h>

#include <map>

#include "queued/relay/test_smtp_server.h"

namespace mail::relay {
namespace {

namespace asio = net::asio;
using namespace fake;

class FakeResolver final : public Resolver {
 public:
  std::map<std::string, MxAnswer> mx_answers;
  std::map<std::string, AddressAnswer> address_answers;
  int lookups = 0;
  net::awaitable<MxAnswer> mx(const std::string& domain) override {
    ++lookups;
    auto it = mx_answers.find(domain);
    co_return it == mx_answers.end() ? MxAnswer{DnsStatus::NxDomain, {}, false, ""} : it->second;
  }
  net::awaitable<AddressAnswer> addresses(const std::string& host) override {
    ++lookups;
    auto it = address_answers.find(host);
    co_return it == address_answers.end() ? AddressAnswer{DnsStatus::NxDomain, {}, false, ""}
                                          : it->second;
  }
  void host(const std::string& name, const std::string& ip) {
    address_answers[name] = AddressAnswer{DnsStatus::Ok, {asio::ip::make_address(ip)}, false, ""};
  }
};

const std::string kEhlo = "250-mx\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES";

std::vector<Step> deliver_one(const std::string& greeting = "220 mx ESMTP") {
  return {send(greeting), expect("EHLO"),
          send(kEhlo),    expect("MAIL"),
          expect("RCPT"), send("250 2.1.0 Ok\r\n250 2.1.5 Ok"),
          expect("DATA"), send("354 go"),
          take_message(), send("250 2.0.0 Ok: queued")};
}

// A port free on 127.0.0.1 (the other loopback addresses share the port number).
uint16_t free_port() {
  asio::io_context io;
  net::tcp::acceptor a(io, net::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

Config test_config(uint16_t port, const std::string& extra = "") {
  auto c = parse_config(
      "[server]\nhostname = \"relay.test\"\n[relay]\nsmtp_port = " + std::to_string(port) +
          "\nconnect_timeout = 2\ngreeting_timeout = 2\ncommand_timeout = 2\n"
          "mail_timeout = 2\nrcpt_timeout = 2\ndata_init_timeout = 2\n"
          "data_block_timeout = 2\ndata_done_timeout = 2\ntls_policy = \"none\"\n" +
          extra,
      "test.toml", "/tmp");
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return *c;
}

queue::Envelope envelope(const std::string& id, std::vector<std::string> to) {
  queue::Envelope e;
  e.id = id;
  e.sender = "a@example.org";
  for (auto& t : to) {
    queue::Recipient r;
    r.address = t;
    e.recipients.push_back(r);
  }
  return e;
}

struct Outcome {
  std::vector<std::vector<RelayResult>> results;
  RelayStats stats;
};

Outcome run(asio::io_context& io, const Config& config, Resolver& resolver,
            std::vector<queue::Envelope>& envelopes, const std::string& content) {
  auto routes = Routes::from_config(config);
  EXPECT_TRUE(routes.ok());
  RelayAgent agent(io.get_executor(), config, *routes, resolver, nullptr);
  std::vector<RelayJob> jobs;
  for (auto& e : envelopes) {
    RelayJob j{&e, content, {}};
    for (uint32_t i = 0; i < e.recipients.size(); ++i) j.recipients.push_back(i);
    jobs.push_back(std::move(j));
  }
  Outcome out;
  auto task = [&]() -> net::awaitable<void> {
    out.results = co_await agent.deliver(jobs);
    agent.close();
  };
  asio::co_spawn(io, task(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  out.stats = agent.stats();
  return out;
}

const std::string kContent = "Subject: x\r\n\r\nbody\r\n";

TEST(RelayAgentTest, NextMxAfterARefusedConnectionAndA4xxGreeting) {
  const uint16_t port = free_port();
  asio::io_context io;
  ScriptedServer busy(io, {{send("421 4.3.2 busy"), expect("QUIT")}}, nullptr, "127.0.0.3", port);
  ScriptedServer good(io, {deliver_one()}, nullptr, "127.0.0.4", port);
  FakeResolver dns;
  dns.mx_answers["dest.test"] =
      MxAnswer{DnsStatus::Ok,
               {{10, "mx1.dest.test"}, {20, "mx2.dest.test"}, {30, "mx3.dest.test"}},
               false,
               ""};
  dns.host("mx1.dest.test", "127.0.0.2");  // nothing listens there
  dns.host("mx2.dest.test", "127.0.0.3");
  dns.host("mx3.dest.test", "127.0.0.4");
  std::vector<queue::Envelope> envs{envelope("Q1", {"b@dest.test"})};
  Outcome r = run(io, test_config(port), dns, envs, kContent);
  ASSERT_EQ(r.results.size(), 1u);
  const RelayResult& res = r.results[0][0];
  EXPECT_EQ(res.verdict, Verdict::Delivered) << res.reply;
  EXPECT_EQ(res.mx, "mx3.dest.test");
  EXPECT_EQ(res.reply, "host mx3.dest.test[127.0.0.4] said: 250 2.0.0 Ok: queued");
  EXPECT_EQ(busy.connections, 1);
  EXPECT_EQ(good.messages.size(), 1u);
}

TEST(RelayAgentTest, EveryMxFailingIsTemporaryWithTheLastReason) {
  const uint16_t port = free_port();
  asio::io_context io;
  ScriptedServer busy(io, {{send("450 4.3.2 too busy"), expect("QUIT")}}, nullptr, "127.0.0.3",
                      port);
  FakeResolver dns;
  dns.mx_answers["dest.test"] =
      MxAnswer{DnsStatus::Ok, {{10, "mx1.dest.test"}, {20, "mx2.dest.test"}}, false, ""};
  dns.host("mx1.dest.test", "127.0.0.2");
  dns.host("mx2.dest.test", "127.0.0.3");
  std::vector<queue::Envelope> envs{envelope("Q1", {"b@dest.test", "c@dest.test"})};
  Outcome r = run(io, test_config(port), dns, envs, kContent);
  for (const auto& res : r.results[0]) {
    EXPECT_EQ(res.verdict, Verdict::Temporary);
    EXPECT_EQ(res.reply, "host mx2.dest.test[127.0.0.3] said: 450 4.3.2 too busy");
    EXPECT_EQ(res.bounce_class, BounceClass::Soft);
  }
}

TEST(RelayAgentTest, OneConnectionCarriesSeveralMessagesWithRsetBetween) {
  const uint16_t port = free_port();
  asio::io_context io;
  std::vector<Step> script = deliver_one();
  for (int i = 0; i < 2; ++i) {
    for (auto s : {expect("RSET"), expect("MAIL"), expect("RCPT"),
                   send("250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok"), expect("DATA"),
                   send("354 go"), take_message(), send("250 2.0.0 Ok: queued")})
      script.push_back(s);
  }
  script.push_back(expect("QUIT"));
  script.push_back(send("221 bye"));
  ScriptedServer server(io, {script}, nullptr, "127.0.0.5", port);
  FakeResolver dns;
  dns.mx_answers["dest.test"] = MxAnswer{DnsStatus::Ok, {{10, "mx.dest.test"}}, false, ""};
  dns.host("mx.dest.test", "127.0.0.5");
  std::vector<queue::Envelope> envs{envelope("Q1", {"b@dest.test"}),
                                    envelope("Q2", {"c@dest.test"}),
                                    envelope("Q3", {"d@dest.test"})};
  Outcome r = run(io, test_config(port, "destination_concurrency = 1\n"), dns, envs, kContent);
  EXPECT_EQ(server.mismatch, "");
  EXPECT_EQ(server.connections, 1);
  EXPECT_EQ(server.messages.size(), 3u);
  EXPECT_EQ(r.stats.connections, 1u);
  for (const auto& job : r.results) EXPECT_EQ(job[0].verdict, Verdict::Delivered);
  EXPECT_EQ(dns.lookups, 2);  // one MX and one address lookup for all three
}

TEST(RelayAgentTest, LoopingMessageAndNullMxFailAtOnce) {
  asio::io_context io;
  FakeResolver dns;
  dns.mx_answers["null.test"] = MxAnswer{DnsStatus::Ok, {{0, ""}}, false, ""};
  std::string looping;
  for (int i = 0; i < 101; ++i) looping += "Received: from hop" + std::to_string(i) + "\r\n";
  looping += "Subject: loop\r\n\r\nx\r\n";
  std::vector<queue::Envelope> loop_env{envelope("Q1", {"b@dest.test"})};
  Outcome loop = run(io, test_config(25), dns, loop_env, looping);
  EXPECT_EQ(loop.results[0][0].verdict, Verdict::Permanent);
  EXPECT_NE(loop.results[0][0].reply.find("554 5.4.6"), std::string::npos);
  EXPECT_EQ(dns.lookups, 0);

  asio::io_context io2;
  std::vector<queue::Envelope> null_env{envelope("Q2", {"b@null.test"})};
  Outcome null_mx = run(io2, test_config(25), dns, null_env, kContent);
  const RelayResult& res = null_mx.results[0][0];
  EXPECT_EQ(res.verdict, Verdict::Permanent);
  EXPECT_EQ(res.reply.substr(0, 10), "556 5.1.10");
  EXPECT_TRUE(res.suppress);
  EXPECT_EQ(res.bounce_class, BounceClass::Hard);
}

TEST(RelayAgentTest, RecipientsOfSeveralDomainsGoTheirOwnWays) {
  const uint16_t port = free_port();
  asio::io_context io;
  ScriptedServer one(io, {deliver_one()}, nullptr, "127.0.0.6", port);
  ScriptedServer two(io,
                     {{send("220 mx"), expect("EHLO"), send(kEhlo), expect("MAIL"), expect("RCPT"),
                       send("250 2.1.0 Ok\r\n550 5.1.1 no such user")}},
                     nullptr, "127.0.0.7", port);
  FakeResolver dns;
  dns.mx_answers["one.test"] = MxAnswer{DnsStatus::Ok, {{10, "mx.one.test"}}, false, ""};
  dns.mx_answers["two.test"] = MxAnswer{DnsStatus::Ok, {{10, "mx.two.test"}}, false, ""};
  dns.host("mx.one.test", "127.0.0.6");
  dns.host("mx.two.test", "127.0.0.7");
  std::vector<queue::Envelope> envs{envelope("Q1", {"b@one.test", "c@two.test"})};
  Outcome r = run(io, test_config(port), dns, envs, kContent);
  EXPECT_EQ(r.results[0][0].verdict, Verdict::Delivered);
  EXPECT_EQ(r.results[0][1].verdict, Verdict::Permanent);
  EXPECT_TRUE(r.results[0][1].suppress);
  EXPECT_EQ(r.results[0][1].recipient, 1u);
}

// An agent kept across several deliver() calls (batches), on a fake clock for its
// dead-destination memory.
struct KeptAgent {
  asio::io_context& io;
  Config config;  // the agent keeps a reference
  Routes routes;
  RelayAgent agent;
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now();
  KeptAgent(asio::io_context& io, Config c, Resolver& resolver)
      : io(io),
        config(std::move(c)),
        routes(*Routes::from_config(config)),
        agent(io.get_executor(), config, routes, resolver, nullptr) {
    agent.set_clock([this] { return now; });
  }
  static std::vector<RelayJob> jobs_of(std::vector<queue::Envelope>& envelopes) {
    std::vector<RelayJob> jobs;
    for (auto& e : envelopes) {
      RelayJob j{&e, kContent, {}};
      for (uint32_t i = 0; i < e.recipients.size(); ++i) j.recipients.push_back(i);
      jobs.push_back(std::move(j));
    }
    return jobs;
  }
  // A coroutine function, not a lambda: its parameters live in its frame.
  static net::awaitable<void> one(RelayAgent& agent, std::span<const RelayJob> jobs,
                                  std::vector<std::vector<RelayResult>>& out) {
    out = co_await agent.deliver(jobs);
  }
  // Runs the batches at once (as the scheduler may) until all are done.
  std::vector<std::vector<std::vector<RelayResult>>> deliver(
      std::vector<std::vector<queue::Envelope>*> batches) {
    std::vector<std::vector<RelayJob>> jobs;
    for (auto* b : batches) jobs.push_back(jobs_of(*b));
    std::vector<std::vector<std::vector<RelayResult>>> out(batches.size());
    size_t running = jobs.size();
    for (size_t i = 0; i < jobs.size(); ++i) {
      asio::co_spawn(io, one(agent, jobs[i], out[i]), [&](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
        if (--running == 0) io.stop();  // a scripted server may still wait for a connection
      });
    }
    io.restart();
    io.run_for(std::chrono::seconds(30));
    EXPECT_EQ(running, 0u);
    return out;
  }
  // QUITs the cached connections and lets the servers finish.
  void finish() {
    agent.close();
    io.restart();
    io.run_for(std::chrono::seconds(10));
  }
};

std::vector<queue::Envelope> many(const std::string& prefix, int n, const std::string& to) {
  std::vector<queue::Envelope> out;
  for (int i = 0; i < n; ++i) out.push_back(envelope(prefix + std::to_string(i), {to}));
  return out;
}

TEST(RelayAgentTest, ADeadDestinationGetsOneConnectionAndIsSuspendedUntilTheExpiry) {
  const uint16_t port = free_port();
  asio::io_context io;
  FakeResolver dns;
  dns.mx_answers["dest.test"] = MxAnswer{DnsStatus::Ok, {{10, "mx.dest.test"}}, false, ""};
  dns.host("mx.dest.test", "127.0.0.8");  // nothing listens there yet
  KeptAgent k(io, test_config(port, "dead_destination_time = 60\n"), dns);

  // 50 messages with 20 workers allowed: one connect, the other 49 suspended.
  auto first = many("A", 50, "b@dest.test");
  auto r1 = k.deliver({&first})[0];
  EXPECT_EQ(k.agent.stats().connect_attempts, 1u);
  ASSERT_EQ(r1.size(), 50u);
  EXPECT_NE(r1[0][0].reply.find("Connection refused"), std::string::npos) << r1[0][0].reply;
  EXPECT_EQ(r1[0][0].reply.find("suspended"), std::string::npos) << r1[0][0].reply;
  for (size_t i = 1; i < r1.size(); ++i) {
    EXPECT_EQ(r1[i][0].verdict, Verdict::Temporary);
    EXPECT_EQ(r1[i][0].reply.rfind("451 4.4.1 delivery temporarily suspended: mx.dest.test: ", 0),
              0u)
        << r1[i][0].reply;
    EXPECT_EQ(r1[i][0].bounce_class, BounceClass::Soft);
  }

  // A later batch within the expiry connects to nothing: the last error, at once.
  k.now += std::chrono::seconds(59);
  auto second = many("B", 10, "c@dest.test");
  auto r2 = k.deliver({&second})[0];
  EXPECT_EQ(k.agent.stats().connect_attempts, 1u);
  EXPECT_EQ(k.agent.stats().suspended, 49u + 10u);
  for (const auto& job : r2) {
    EXPECT_EQ(job[0].verdict, Verdict::Temporary);
    EXPECT_EQ(job[0].reply.rfind("451 4.4.1 delivery temporarily suspended: mx.dest.test: ", 0), 0u)
        << job[0].reply;
  }

  // After the expiry, with the far end up: delivered, and the memory forgets it.
  k.now += std::chrono::seconds(2);
  std::vector<Step> script = deliver_one();
  script.push_back(expect("QUIT"));
  script.push_back(send("221 bye"));
  ScriptedServer up(io, {script}, nullptr, "127.0.0.8", port);
  auto third = many("C", 1, "d@dest.test");
  auto r3 = k.deliver({&third})[0];
  EXPECT_EQ(r3[0][0].verdict, Verdict::Delivered) << r3[0][0].reply;
  EXPECT_EQ(up.messages.size(), 1u);
  EXPECT_EQ(k.agent.dead_destinations().size(), 0u);
  k.finish();
}

TEST(RelayAgentTest, ConcurrentBatchesToADeadDestinationShareOneConnectionAttempt) {
  const uint16_t port = free_port();
  asio::io_context io;
  FakeResolver dns;
  dns.mx_answers["dest.test"] =
      MxAnswer{DnsStatus::Ok, {{10, "mx1.dest.test"}, {20, "mx2.dest.test"}}, false, ""};
  dns.host("mx1.dest.test", "127.0.0.9");
  dns.host("mx2.dest.test", "127.0.0.10");
  KeptAgent k(io, test_config(port), dns);
  auto a = many("A", 20, "b@dest.test");
  auto b = many("B", 20, "c@dest.test");
  auto c = many("C", 20, "d@dest.test");
  auto r = k.deliver({&a, &b, &c});
  EXPECT_EQ(k.agent.stats().connect_attempts, 2u);  // each MX once, by the first batch
  for (const auto& batch : r)
    for (const auto& job : batch) EXPECT_EQ(job[0].verdict, Verdict::Temporary);
  EXPECT_EQ(k.agent.stats().suspended, 59u);
}

TEST(RelayAgentTest, AnMxAddressThatRefusedIsSkippedForOtherDomains) {
  const uint16_t port = free_port();
  asio::io_context io;
  std::vector<Step> script = deliver_one();
  script.push_back(expect("QUIT"));
  script.push_back(send("221 bye"));
  ScriptedServer good(io, {script}, nullptr, "127.0.0.12", port);
  FakeResolver dns;
  dns.mx_answers["one.test"] = MxAnswer{DnsStatus::Ok, {{10, "mx.shared.test"}}, false, ""};
  dns.mx_answers["two.test"] =
      MxAnswer{DnsStatus::Ok, {{10, "mx.shared.test"}, {20, "backup.two.test"}}, false, ""};
  dns.host("mx.shared.test", "127.0.0.11");  // refuses
  dns.host("backup.two.test", "127.0.0.12");
  KeptAgent k(io, test_config(port), dns);
  auto one = many("A", 3, "b@one.test");
  k.deliver({&one});
  EXPECT_EQ(k.agent.stats().connect_attempts, 1u);
  auto two = many("B", 1, "c@two.test");
  auto r = k.deliver({&two})[0];
  EXPECT_EQ(r[0][0].verdict, Verdict::Delivered) << r[0][0].reply;
  EXPECT_EQ(k.agent.stats().connect_attempts, 2u);  // the backup only
  k.finish();
}

TEST(RelayAgentTest, A4xxGreetingOnTheOnlyMxOpensOneConnectionForTheBatch) {
  const uint16_t port = free_port();
  asio::io_context io;
  // One script: a second connection would wait for its greeting until the timeout.
  ScriptedServer busy(io, {{send("421 4.3.2 busy"), expect("QUIT")}}, nullptr, "127.0.0.13", port);
  FakeResolver dns;
  dns.mx_answers["dest.test"] = MxAnswer{DnsStatus::Ok, {{10, "mx.dest.test"}}, false, ""};
  dns.host("mx.dest.test", "127.0.0.13");
  auto envs = many("A", 5, "b@dest.test");
  Outcome r = run(io, test_config(port), dns, envs, kContent);
  EXPECT_EQ(busy.connections, 1);
  EXPECT_EQ(r.stats.connect_attempts, 1u);
  EXPECT_EQ(r.results[0][0].reply, "host mx.dest.test[127.0.0.13] said: 421 4.3.2 busy");
  EXPECT_EQ(r.results[4][0].reply,
            "451 4.4.1 delivery temporarily suspended: host mx.dest.test[127.0.0.13] said: 421 "
            "4.3.2 busy");
}

}  // namespace
}  // namespace mail::relay
