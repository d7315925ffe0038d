#include "queued/relay/routing.h"

#include <gtest/gtest.h>

#include <fstream>

namespace mail::relay {
namespace {

Config config_from(std::string_view toml) {
  auto c = parse_config(toml, "test.toml", "/tmp");
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return c.ok() ? *c : Config{};
}

TEST(RoutingTest, DefaultIsMxOfTheRecipientDomain) {
  Config c = config_from("");
  auto routes = Routes::from_config(c);
  ASSERT_TRUE(routes.ok());
  NextHop hop = routes->next_hop("a@example.org", "B@Example.NET");
  EXPECT_TRUE(hop.use_mx);
  EXPECT_EQ(hop.domain, "example.net");
  EXPECT_EQ(hop.port, 25);
  EXPECT_EQ(hop.tls, TlsPolicy::May);
  EXPECT_EQ(hop.via, "mx");
  EXPECT_EQ(hop.key(), "example.net mx tls=may");
}

TEST(RoutingTest, TransportTableWinsAndMatchesSubdomains) {
  Config c = config_from(R"(
[relay]
smtp_port = 2526
smarthost = "smart.example.org:587"
[relay.transport]
"example.net" = "127.0.0.1:2600"
".corp.example" = "[::1]:2601"
)");
  auto routes = Routes::from_config(c);
  ASSERT_TRUE(routes.ok());
  NextHop t = routes->next_hop("", "b@example.net");
  EXPECT_FALSE(t.use_mx);
  EXPECT_EQ(t.host, "127.0.0.1");
  EXPECT_EQ(t.port, 2600);
  EXPECT_EQ(t.via, "transport");
  NextHop sub = routes->next_hop("", "b@eu.corp.example");
  EXPECT_EQ(sub.host, "::1");
  EXPECT_EQ(sub.port, 2601);
  NextHop other = routes->next_hop("", "b@elsewhere.example");
  EXPECT_EQ(other.via, "smarthost");
  EXPECT_EQ(other.host, "smart.example.org");
  EXPECT_EQ(other.port, 587);
  EXPECT_NE(t.key(), sub.key());
}

TEST(RoutingTest, SenderDependentRelayhostAndSourceAddress) {
  const std::string pw = ::testing::TempDir() + "/relay-pw";
  std::ofstream(pw) << "s3cret\n";
  Config c = config_from(R"(
[relay]
source_address = "127.0.0.1"
[relay.sender_routes]
"news.example.org" = { relayhost = "[esp.example.com]:2525", user = "news", password_file = ")" +
                         pw + R"(" }
"vip@example.org" = { source_address = "127.0.0.9" }
"@v6.example.org" = { source_address = "::1" }
)");
  auto routes = Routes::from_config(c);
  ASSERT_TRUE(routes.ok()) << routes.error().message;
  NextHop news = routes->next_hop("Letters@News.Example.org", "b@example.net");
  EXPECT_EQ(news.via, "sender_route");
  EXPECT_EQ(news.host, "esp.example.com");
  ASSERT_TRUE(news.auth);
  EXPECT_EQ(news.auth->user, "news");
  EXPECT_EQ(news.auth->password, "s3cret");
  EXPECT_EQ(news.tls, TlsPolicy::Encrypt);  // AUTH never without TLS
  NextHop vip = routes->next_hop("vip@example.org", "b@example.net");
  EXPECT_TRUE(vip.use_mx);
  EXPECT_EQ(vip.source4, "127.0.0.9");
  NextHop plain = routes->next_hop("other@example.org", "b@example.net");
  EXPECT_EQ(plain.source4, "127.0.0.1");
  EXPECT_NE(vip.key(), plain.key());  // different source: different connections
  NextHop v6 = routes->next_hop("x@v6.example.org", "b@example.net");
  EXPECT_EQ(v6.source6, "::1");
  EXPECT_EQ(v6.source4, "127.0.0.1");
  EXPECT_EQ(routes->next_hop("", "b@example.net").source4, "127.0.0.1");  // null sender
}

TEST(RoutingTest, TlsPolicyPerDomainAndHost) {
  Config c = config_from(R"(
[relay]
tls_policy = "may"
[relay.tls_policies]
"bank.example" = "verify"
".gov.example" = "encrypt"
"relay.example.org" = "none"
[relay.transport]
"internal.example" = "relay.example.org:25"
)");
  auto routes = Routes::from_config(c);
  ASSERT_TRUE(routes.ok());
  EXPECT_EQ(routes->next_hop("", "a@bank.example").tls, TlsPolicy::Verify);
  EXPECT_EQ(routes->next_hop("", "a@x.gov.example").tls, TlsPolicy::Encrypt);
  EXPECT_EQ(routes->next_hop("", "a@internal.example").tls, TlsPolicy::None);
  EXPECT_EQ(routes->next_hop("", "a@else.example").tls, TlsPolicy::May);
}

TEST(RoutingTest, UnreadablePasswordFileIsAnError) {
  Config c = config_from(R"(
[relay]
smarthost = "smart.example.org:587"
smarthost_user = "u"
smarthost_password_file = "/nonexistent/pw"
)");
  auto routes = Routes::from_config(c);
  ASSERT_FALSE(routes.ok());
  EXPECT_NE(routes.error().message.find("/nonexistent/pw"), std::string::npos);
}

TEST(RoutingTest, ConfigRefusesBadRelayValues) {
  const char* bad[] = {
      "[relay]\nsmarthost = \"nohostport\"\n",
      "[relay]\nsmarthost = \"::1:25\"\n",
      "[relay]\ntls_policy = \"sometimes\"\n",
      "[relay]\nsource_address = \"::1\"\n",
      "[relay.transport]\n\"x.example\" = 25\n",
      "[relay.tls_policies]\n\"x.example\" = \"maybe\"\n",
      "[relay.sender_routes]\n\"a@b\" = { relayhost = \"h:1\", user = \"u\" }\n",
      "[relay.sender_routes]\n\"a@b\" = { colour = \"blue\" }\n",
      "[relay.destination_limits]\n\"x.example\" = { concurrency = -1 }\n",
      "[relay]\nsmarthost_user = \"u\"\nsmarthost_password_file = \"/pw\"\n",
      "[relay]\ndestination_concurrency = 0\n",
      "[relay]\ndead_destination_time = -1\n",
      "[relay]\ndead_destination_time = 3601\n",
  };
  for (const char* text : bad) {
    EXPECT_FALSE(parse_config(text, "t.toml", "/").ok()) << text;
  }
}

TEST(RoutingTest, DeadDestinationTimeLimits) {
  for (int seconds : {0, 3600}) {
    auto c = parse_config("[relay]\ndead_destination_time = " + std::to_string(seconds) + "\n",
                          "t.toml", "/");
    ASSERT_TRUE(c.ok()) << seconds;
    EXPECT_EQ(c->relay.dead_destination_time, seconds);
  }
  auto d = parse_config("", "t.toml", "/");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->relay.dead_destination_time, 120);
}

TEST(RoutingTest, SplitHostPort) {
  auto a = split_host_port("[2001:db8::1]:25");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "2001:db8::1");
  EXPECT_EQ(a->second, 25);
  EXPECT_FALSE(split_host_port("host:0").ok());
  EXPECT_FALSE(split_host_port("host:").ok());
  EXPECT_EQ(address_domain("a@B.example"), "b.example");
  EXPECT_EQ(address_domain("postmaster"), "");
}

}  // namespace
}  // namespace mail::relay
