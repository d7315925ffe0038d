// Environment overrides and SIGHUP merges of the configuration (common/config.h,
// common/net/config_reload.h).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>

#include "common/config.h"
#include "common/net/config_reload.h"

namespace mail {
namespace {

Environment table(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

TEST(ConfigEnvironmentTest, NamesFollowSectionAndKey) {
  EXPECT_EQ(environment_name("server", "hostname"), "MAIL_SERVER_HOSTNAME");
  EXPECT_EQ(environment_name("tls", "cert_file"), "MAIL_TLS_CERT_FILE");
  EXPECT_EQ(environment_name("smtpd", "max_recipients"), "MAIL_SMTPD_MAX_RECIPIENTS");
}

TEST(ConfigEnvironmentTest, VariablesOverrideTheFile) {
  auto c = parse_config("[server]\nhostname = \"file.example\"\n[smtpd]\nmax_recipients = 5\n",
                        "t.toml", "/base",
                        table({{"MAIL_SERVER_HOSTNAME", "mx.example.org"},
                               {"MAIL_SMTPD_LISTEN", "0.0.0.0:25"},
                               {"MAIL_SMTPD_MAX_RECIPIENTS", "7"},
                               {"MAIL_IMAPD_ALLOW_PLAINTEXT_AUTH_ON_LOOPBACK", "true"},
                               {"MAIL_TLS_CERT_FILE", "/etc/mail/certs/fullchain.pem"},
                               {"MAIL_TLS_KEY_FILE", "certs/privkey.pem"},
                               {"MAIL_DNS_RESOLVERS", "[\"127.0.0.1@5353\"]"},
                               {"MAIL_UNRELATED", "x"}}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server.hostname, "mx.example.org");
  EXPECT_EQ(c->smtpd.listen, "0.0.0.0:25");
  EXPECT_EQ(c->smtpd.max_recipients, 7);
  EXPECT_TRUE(c->imapd.allow_plaintext_auth_on_loopback);
  EXPECT_EQ(c->tls.cert_file, std::filesystem::path("/etc/mail/certs/fullchain.pem"));
  EXPECT_EQ(c->tls.key_file, std::filesystem::path("/base/certs/privkey.pem"));
  ASSERT_EQ(c->dns.resolvers.size(), 1u);
  EXPECT_EQ(c->dns.resolvers[0], "127.0.0.1@5353");
}

TEST(ConfigEnvironmentTest, NumericTextForAStringKeyStaysText) {
  auto c = parse_config("", "t.toml", "/base", table({{"MAIL_SERVER_HOSTNAME", "12345"}}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server.hostname, "12345");
}

TEST(ConfigEnvironmentTest, BadValuesNameTheVariable) {
  auto c = parse_config("", "t.toml", "/base", table({{"MAIL_SMTPD_MAX_RECIPIENTS", "many"}}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("environment MAIL_SMTPD_MAX_RECIPIENTS: "
                                   "smtpd.max_recipients: expected an integer"),
            std::string::npos)
      << c.error().message;
  auto d = parse_config("", "t.toml", "/base", table({{"MAIL_SMTPD_LISTEN", "0.0.0.0"}}));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("MAIL_SMTPD_LISTEN"), std::string::npos);
  // Cross-key checks see the overrides too.
  auto e = parse_config("", "t.toml", "/base", table({{"MAIL_TLS_CERT_FILE", "/c.pem"}}));
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("must be set together"), std::string::npos);
}

TEST(ConfigEnvironmentTest, WithoutEnvironmentNothingIsRead) {
  ::setenv("MAIL_SMTPD_MAX_RECIPIENTS", "9", 1);
  auto c = parse_config("", "t.toml", "/base");
  ::unsetenv("MAIL_SMTPD_MAX_RECIPIENTS");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->smtpd.max_recipients, 100);
}

TEST(ConfigReloadTest, LiveKeysChangeOthersWaitForRestart) {
  const char* running = R"(
[log]
level = "info"
[smtpd]
listen = "127.0.0.1:2525"
max_recipients = 10
)";
  const char* now = R"(
[log]
level = "debug"
[smtpd]
listen = "127.0.0.1:2626"
max_recipients = 3
max_connections = 7
[imapd]
idle_timeout = 1900
)";
  auto r = reload_config(running, now, "t.toml", "/base");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->config.log.level, "debug");
  EXPECT_EQ(r->config.smtpd.max_recipients, 3);
  EXPECT_EQ(r->config.imapd.idle_timeout, 1900);
  EXPECT_EQ(r->config.smtpd.listen, "127.0.0.1:2525");  // kept
  EXPECT_EQ(r->config.smtpd.max_connections, 1000);     // kept (the default)
  EXPECT_EQ(r->changed,
            (std::vector<std::string>{"log.level", "smtpd.max_recipients", "imapd.idle_timeout"}));
  EXPECT_EQ(r->need_restart, (std::vector<std::string>{"smtpd.listen", "smtpd.max_connections"}));
}

TEST(ConfigReloadTest, RemovedLiveKeyReturnsToItsDefault) {
  auto r = reload_config("[smtpd]\nmax_recipients = 10\n", "", "t.toml", "/base");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->config.smtpd.max_recipients, 100);
  EXPECT_EQ(r->changed, std::vector<std::string>{"smtpd.max_recipients"});
}

TEST(ConfigReloadTest, BadFileIsRefused) {
  auto r = reload_config("", "[smtpd]\nmax_recipients = 0\n", "t.toml", "/base");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("t.toml:2: smtpd.max_recipients"), std::string::npos);
  EXPECT_FALSE(reload_config("", "[smtpd\n", "t.toml", "/base").ok());
}

TEST(ConfigReloadTest, LiveKeyList) {
  EXPECT_TRUE(is_live_key("log", "level"));
  EXPECT_TRUE(is_live_key("smtpd", "max_message_size"));
  EXPECT_TRUE(is_live_key("pop3d", "idle_timeout"));
  EXPECT_FALSE(is_live_key("smtpd", "listen"));
  EXPECT_FALSE(is_live_key("server", "data_dir"));
  EXPECT_FALSE(is_live_key("smtpd", "max_connections"));
  EXPECT_FALSE(is_live_key("smtp", "d.max_recipients"));
}

TEST(ConfigReloaderTest, GenerationsFollowTheFile) {
  auto dir = std::filesystem::temp_directory_path() / ("reload_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto file = dir / "mail.toml";
  std::ofstream(file) << "[smtpd]\nmax_recipients = 10\nlisten = \"127.0.0.1:1\"\n";
  auto start = load_config(file);
  ASSERT_TRUE(start.ok());
  net::ConfigReloader reloader(file, *start);
  struct Ctx {
    const Config& config;
    int tag;
  };
  net::LiveContext<Ctx> live(reloader.current(), [](const Config& c) { return Ctx{c, 1}; });
  reloader.on_change([&](std::shared_ptr<const Config> c) { live.replace(std::move(c)); });
  auto before = live.current();
  EXPECT_EQ(before->context.config.smtpd.max_recipients, 10);

  std::ofstream(file) << "[smtpd]\nmax_recipients = 4\nlisten = \"127.0.0.1:2\"\n";
  auto r = reloader.reload();
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto after = live.current();
  EXPECT_EQ(after->context.config.smtpd.max_recipients, 4);
  EXPECT_EQ(after->context.config.smtpd.listen, "127.0.0.1:1");
  // A session that started before keeps its generation.
  EXPECT_EQ(before->context.config.smtpd.max_recipients, 10);

  std::ofstream(file) << "[smtpd]\nmax_recipients = -1\n";
  EXPECT_FALSE(reloader.reload().ok());
  EXPECT_EQ(live.current()->context.config.smtpd.max_recipients, 4);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mail
