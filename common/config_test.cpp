#include "common/config.h"

#include <gtest/gtest.h>

namespace mail {
namespace {

Result<Config> parse(std::string_view text) {
  return parse_config(text, "test.toml", "/base");
}

TEST(ConfigTest, EmptyFileGivesDefaults) {
  auto c = parse("");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->smtpd.listen, "127.0.0.1:2525");
  EXPECT_EQ(c->smtpd.max_recipients, 100);
  EXPECT_EQ(c->imapd.idle_timeout, 1800);
  EXPECT_EQ(c->server.data_dir, std::filesystem::path("/base/data"));
  EXPECT_FALSE(c->tls.enabled());
}

TEST(ConfigTest, ReadsEveryKind) {
  auto c = parse(R"(
[server]
hostname = "mx.example.test"
data_dir = "var/mail"
[tls]
cert_file = "/etc/tls/cert.pem"
key_file = "key.pem"
[smtpd]
max_recipients = 5
listen = "[::1]:25"
[imapd]
allow_plaintext_auth_on_loopback = true
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server.hostname, "mx.example.test");
  EXPECT_EQ(c->server.data_dir, std::filesystem::path("/base/var/mail"));
  EXPECT_EQ(c->tls.cert_file, std::filesystem::path("/etc/tls/cert.pem"));
  EXPECT_EQ(c->tls.key_file, std::filesystem::path("/base/key.pem"));
  EXPECT_EQ(c->smtpd.max_recipients, 5);
  EXPECT_EQ(c->smtpd.listen, "[::1]:25");
  EXPECT_TRUE(c->imapd.allow_plaintext_auth_on_loopback);
  EXPECT_EQ(c->store_dir(), std::filesystem::path("/base/var/mail/store"));
}

struct BadCase {
  const char* text;
  const char* expected;  // a substring of the error
};

TEST(ConfigTest, BadInputNamesKeyAndLine) {
  const BadCase cases[] = {
      {"[smtpd]\nmax_recipent = 5\n", "test.toml:2: unknown key smtpd.max_recipent"},
      {"[smptd]\nlisten = \"1.2.3.4:25\"\n", "test.toml:1: unknown section [smptd]"},
      {"\n\n[smtpd]\nmax_recipients = \"many\"\n",
       "test.toml:4: smtpd.max_recipients: expected an integer"},
      {"[smtpd]\nmax_recipients = 0\n", "smtpd.max_recipients: expected an integer between 1"},
      {"[imapd]\nallow_plaintext_auth_on_loopback = 1\n", "expected true or false"},
      {"[smtpd]\nlisten = \"127.0.0.1\"\n", "smtpd.listen: expected \"address:port\""},
      {"[smtpd]\nlisten = \"127.0.0.1:99999\"\n", "bad port"},
      {"[log]\nlevel = \"loud\"\n", "log.level"},
      {"[tls]\ncert_file = \"c.pem\"\n", "must be set together"},
      {"[server\n", "test.toml:1"},
      {"hostname = \"x\"\n", "unknown section [hostname]"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.error().message.find(c.expected), std::string::npos)
        << "input: " << c.text << "\nerror: " << r.error().message;
  }
}

TEST(ConfigTest, QueueQueuedAndDnsSections) {
  auto d = parse("");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->queue.backend, "lmdb");
  EXPECT_EQ(d->queue.report_retention_days, 30);
  EXPECT_EQ(d->queue.report_max_records, 5'000'000);
  EXPECT_EQ(d->queue.report_max_domains, 100000);
  EXPECT_EQ(d->queued.retry_delay, 300);
  EXPECT_EQ(d->queued.max_retry_delay, 3600);
  EXPECT_EQ(d->queued.queue_lifetime, 5 * 86400);
  EXPECT_TRUE(d->dns.resolvers.empty());
  EXPECT_EQ(d->dns.timeout, 10);

  auto c = parse(R"(
[server]
queue_max_size = 1048576
[queue]
backend = "lmdb"
report_retention_days = 3660
report_max_records = 1000
report_max_domains = 10
[queued]
retry_delay = 60
max_retry_delay = 600
queue_lifetime = 3600
batch_size = 10000
[dns]
resolvers = ["127.0.0.1@5353", "::1", "192.0.2.1@53"]
timeout = 3
trust_anchor_file = "root.key"
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server.queue_max_size, 1048576u);
  EXPECT_EQ(c->queue.report_retention_days, 3660);
  EXPECT_EQ(c->queue.report_max_records, 1000);
  EXPECT_EQ(c->queue.report_max_domains, 10);
  EXPECT_EQ(c->queued.max_retry_delay, 600);
  EXPECT_EQ(c->queued.queue_lifetime, 3600);
  EXPECT_EQ(c->queued.batch_size, 10000);
  EXPECT_EQ(c->dns.resolvers, (std::vector<std::string>{"127.0.0.1@5353", "::1", "192.0.2.1@53"}));
  EXPECT_EQ(c->dns.timeout, 3);
  EXPECT_EQ(c->dns.trust_anchor_file, std::filesystem::path("/base/root.key"));

  const BadCase bad[] = {
      {"[queue]\nbackend = \"postgres\"\n", "queue.backend: expected \"lmdb\""},
      {"[queue]\nreport_retention_days = 0\n", "queue.report_retention_days: expected an integer"},
      {"[queue]\nreport_max_records = 999\n", "queue.report_max_records: expected an integer"},
      {"[queue]\nreport_max_domains = 9\n", "queue.report_max_domains: expected an integer"},
      {"[queued]\nbatch_size = 10001\n",
       "queued.batch_size: expected an integer between 1 and 10000"},
      {"[queued]\nretry_delay = 600\nmax_retry_delay = 60\n", "max_retry_delay must be at least"},
      {"[dns]\nresolvers = \"127.0.0.1\"\n", "dns.resolvers: expected an array"},
      {"[dns]\nresolvers = [\"localhost\"]\n", "got \"localhost\""},
      {"[dns]\nresolvers = [\"127.0.0.1@0\"]\n", "got \"127.0.0.1@0\""},
      {"[dns]\nresolvers = [\"127.0.0.1@65536\"]\n", "got \"127.0.0.1@65536\""},
      {"[dns]\nresolvers = [\"1.2.3\"]\n", "got \"1.2.3\""},
      {"[dns]\nresolvers = [1]\n", "a non-string"},
      {"[dns]\ntimeout = 0\n", "dns.timeout: expected an integer between 1 and 300"},
      {"[dns]\ntimeout = 301\n", "dns.timeout: expected an integer between 1 and 300"},
  };
  for (const auto& b : bad) {
    auto r = parse(b.text);
    ASSERT_FALSE(r.ok()) << b.text;
    EXPECT_NE(r.error().message.find(b.expected), std::string::npos)
        << "input: " << b.text << "\nerror: " << r.error().message;
  }
  std::string many = "[dns]\nresolvers = [";
  for (int i = 0; i < 17; ++i) many += std::string(i ? "," : "") + "\"127.0.0.1\"";
  auto r = parse(many + "]\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("at most 16 resolvers"), std::string::npos);
}

TEST(ConfigTest, RelayTablesAndTheirErrors) {
  auto c = parse(R"(
[relay]
smarthost = "[smtp.example.com]:587"
tls_policy = "encrypt"
destination_rate = 60
[relay.transport]
"Example.NET" = "127.0.0.1:2526"
[relay.tls_policies]
"bank.example" = "verify"
[relay.sender_routes]
"news.example.org" = { relayhost = "esp.example.com:2525", source_address = "192.0.2.10" }
[relay.destination_limits]
"gmail.com" = { concurrency = 5, rate = 600 }
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->relay.smarthost, "[smtp.example.com]:587");
  EXPECT_EQ(c->relay.transport.at("example.net"), "127.0.0.1:2526");  // keys lower-cased
  EXPECT_EQ(c->relay.tls_policies.at("bank.example"), "verify");
  EXPECT_EQ(c->relay.sender_routes.at("news.example.org").source_address, "192.0.2.10");
  EXPECT_EQ(c->relay.destination_limits.at("gmail.com").concurrency, 5);
  EXPECT_EQ(c->relay.destination_rate, 60);
  EXPECT_EQ(c->sending_dir(), std::filesystem::path("/base/data/sending"));

  const BadCase cases[] = {
      {"[relay]\nsmarthost = \"x\"\n", "test.toml:2: relay.smarthost: expected \"host:port\""},
      {"[relay.transport]\n\"a.example\" = \"h:0\"\n", "relay.transport: \"a.example\": bad port"},
      {"[relay.sender_routes]\n\"a@b\" = { source_address = \"x\" }\n", "expected an IP address"},
      {"[relay]\ndata_done_timeout = 0\n",
       "relay.data_done_timeout: expected an integer between 1"},
      {"[relay]\nmax_reply_line_length = 511\n", "between 512"},
  };
  for (const auto& bad : cases) {
    auto r = parse(bad.text);
    ASSERT_FALSE(r.ok()) << bad.text;
    EXPECT_NE(r.error().message.find(bad.expected), std::string::npos)
        << "input: " << bad.text << "\nerror: " << r.error().message;
  }
}

TEST(ConfigTest, MissingFileIsNotFound) {
  auto r = load_config("/nonexistent/mail.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::NotFound);
}

}  // namespace
}  // namespace mail
