// The Authenticator over a real LMDB directory and throttle: password logins, the cache,
// penalty delays and refusal, the bounded pool, SASL exchanges through a scripted channel
// (PLAIN, LOGIN, SCRAM-SHA-256 and -PLUS with a client from RFC 5802's formulas), and the
// SCRAM keys an account from before SCRAM gains at its first password login.
#include "auth/authenticator.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "auth/records.h"
#include "auth/sasl/scram_test_client.h"
#include "common/base64.h"
#include "common/codec.h"
#include "common/lmdb.h"

namespace mail::auth {
namespace {

using namespace std::chrono_literals;
namespace asio = net::asio;

// Answers each challenge (decoded) with the function's reply, base64-encoded; a reply of
// nullopt means "connection lost", and "*" is sent as is.
class ScriptedChannel : public SaslChannel {
 public:
  using Script = std::function<std::optional<std::string>(const std::string& challenge)>;
  explicit ScriptedChannel(Script script) : script_(std::move(script)) {}
  net::awaitable<std::optional<std::string>> challenge(std::string base64) override {
    challenges.push_back(base64_decode(base64).value_or("<bad base64>"));
    auto reply = script_(challenges.back());
    if (!reply) co_return std::nullopt;
    if (*reply == "*" || *reply == "!raw") co_return *reply;
    co_return base64_encode(*reply);
  }
  std::vector<std::string> challenges;

 private:
  Script script_;
};

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/auth_authenticator_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    options_.throttle.initial_delay = 40ms;
    options_.throttle.max_delay = 100ms;
    options_.throttle.account_failure_limit = 4;
    options_.throttle.ip_failure_limit = 100;
    options_.throttle.lockout = 2s;
    options_.throttle.map_size = 1 << 20;
    options_.scram_iterations = 4096;
    open_directory();
    ASSERT_TRUE(directory_->add_domain("example.com").ok());
    ASSERT_TRUE(directory_->add_account("alice@example.com", "alice-pw").ok());
  }
  void TearDown() override {
    auth_.reset();
    directory_.reset();
    std::filesystem::remove_all(root_);
  }
  void open_directory() {
    auto d = open_lmdb_directory(root_ / "directory", DirectoryOptions{4096});
    ASSERT_TRUE(d.ok()) << d.error().message;
    directory_ = std::move(*d);
  }
  Authenticator& auth() {
    if (!auth_) {
      auto t = LoginThrottle::open(root_ / "throttle", options_.throttle);
      EXPECT_TRUE(t.ok());
      auth_ = std::make_unique<Authenticator>(*directory_, std::move(*t), options_);
    }
    return *auth_;
  }
  // Runs coroutines on a fresh io_context until all finish.
  template <typename F>
  void run(F&& body) {
    asio::io_context io;
    asio::co_spawn(
        io, [&]() -> net::awaitable<void> { co_await body(); }, asio::detached);
    io.run();
  }
  LoginResult login(std::string_view user, std::string_view pw, std::string ip = "192.0.2.1") {
    LoginResult out;
    ClientInfo client{ip, "test", "S1", std::nullopt};
    run([&]() -> net::awaitable<void> { out = co_await auth().login(client, user, pw); });
    return out;
  }
  LoginResult sasl(std::string_view mech, std::optional<std::string_view> ir, SaslChannel& ch,
                   std::optional<std::string> exporter = std::nullopt) {
    LoginResult out;
    ClientInfo client{"192.0.2.1", "test", "S1", exporter};
    run([&]() -> net::awaitable<void> {
      out = co_await auth().authenticate(client, mech, ir, ch);
    });
    return out;
  }

  std::filesystem::path root_;
  AuthenticatorOptions options_;
  std::unique_ptr<Directory> directory_;
  std::unique_ptr<Authenticator> auth_;
};

TEST_F(AuthenticatorTest, PasswordLogin) {
  auto ok = login("Alice@Example.com", "alice-pw");
  EXPECT_EQ(ok.status, LoginStatus::Success);
  EXPECT_EQ(ok.account, "alice@example.com");
  EXPECT_EQ(login("alice@example.com", "wrong").status, LoginStatus::Denied);
  EXPECT_EQ(login("nobody@example.com", "alice-pw").status, LoginStatus::Denied);
  EXPECT_EQ(login("not an address", "x").status, LoginStatus::Denied);
  ASSERT_TRUE(directory_->set_enabled("alice@example.com", false).ok());
  EXPECT_EQ(login("alice@example.com", "alice-pw", "192.0.2.77").status, LoginStatus::Denied);
}

TEST_F(AuthenticatorTest, CacheSkipsArgon2AndAPasswordChangeInvalidatesIt) {
  EXPECT_EQ(login("alice@example.com", "alice-pw").status, LoginStatus::Success);
  EXPECT_EQ(auth().stats().password_checks, 1u);
  EXPECT_EQ(login("alice@example.com", "alice-pw").status, LoginStatus::Success);
  EXPECT_EQ(auth().stats().password_checks, 1u) << "the second login ran argon2id";
  EXPECT_EQ(auth().stats().cache_hits, 1u);
  ASSERT_TRUE(directory_->set_password("alice@example.com", "new-pw").ok());
  EXPECT_EQ(login("alice@example.com", "alice-pw").status, LoginStatus::Denied);
  EXPECT_EQ(auth().stats().password_checks, 2u);
  EXPECT_EQ(login("alice@example.com", "new-pw").status, LoginStatus::Success);
}

TEST_F(AuthenticatorTest, FailuresDelayThenRefuseBeforeHashing) {
  using Clock = std::chrono::steady_clock;
  EXPECT_EQ(login("alice@example.com", "bad1").status, LoginStatus::Denied);
  auto t0 = Clock::now();
  EXPECT_EQ(login("alice@example.com", "bad2").status, LoginStatus::Denied);
  EXPECT_GE(Clock::now() - t0, 40ms);
  t0 = Clock::now();
  EXPECT_EQ(login("alice@example.com", "bad3").status, LoginStatus::Denied);
  EXPECT_GE(Clock::now() - t0, 80ms);
  EXPECT_EQ(login("alice@example.com", "bad4").status, LoginStatus::Denied);
  const uint64_t checks = auth().stats().password_checks;
  auto refused = login("alice@example.com", "alice-pw");
  EXPECT_EQ(refused.status, LoginStatus::Throttled);
  EXPECT_EQ(refused.scope, ThrottleScope::Account);
  EXPECT_GE(refused.retry_after, 1s);
  EXPECT_EQ(auth().stats().password_checks, checks) << "argon2id ran for a refused attempt";
  // Another account from the same address is only delayed.
  ASSERT_TRUE(directory_->add_account("bob@example.com", "bob-pw").ok());
  EXPECT_EQ(login("bob@example.com", "bob-pw").status, LoginStatus::Success);
}

TEST_F(AuthenticatorTest, FullPoolAnswersTemporaryAtOnce) {
  options_.password_threads = 1;
  options_.password_queue = 1;
  options_.cache_ttl = 0s;
  // Logins started in one turn of the loop: each reaches the pool after two LMDB reads,
  // while one argon2id check takes tens of milliseconds, so most find it full. How many
  // pass depends on how the threads are scheduled (password_pool_test.cpp pins that
  // down); what holds however they are: every login is answered, a refused one is
  // Temporary and counted, never queued.
  std::vector<LoginResult> results(32);
  run([&]() -> net::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    for (size_t i = 0; i < results.size(); ++i) {
      asio::co_spawn(
          ex,
          [&, i]() -> net::awaitable<void> {
            ClientInfo c{"192.0.2." + std::to_string(i + 1), "test", "S", std::nullopt};
            results[i] = co_await auth().login(c, "alice@example.com", "alice-pw");
          },
          asio::detached);
    }
  });
  size_t ok = 0, temporary = 0;
  for (const auto& r : results) {
    ok += r.status == LoginStatus::Success;
    temporary += r.status == LoginStatus::Temporary;
  }
  EXPECT_GE(ok, 1u);
  EXPECT_GE(temporary, 1u);
  EXPECT_EQ(ok + temporary, results.size());
  EXPECT_EQ(auth().stats().pool_full, temporary);
  EXPECT_EQ(auth().stats().password_checks, ok);
}

TEST_F(AuthenticatorTest, SaslPlainAndLogin) {
  using namespace std::string_literals;
  ScriptedChannel none([](const std::string&) { return std::optional<std::string>("unused"); });
  const std::string ir = base64_encode("\0alice@example.com\0alice-pw"s);
  EXPECT_EQ(sasl("PLAIN", ir, none).status, LoginStatus::Success);
  EXPECT_TRUE(none.challenges.empty());

  ScriptedChannel plain([](const std::string& c) {
    EXPECT_EQ(c, "");
    return std::optional<std::string>("alice@example.com\0alice@example.com\0alice-pw"s);
  });
  EXPECT_EQ(sasl("plain", std::nullopt, plain).status, LoginStatus::Success);

  ScriptedChannel login_ch([](const std::string& c) {
    return std::optional<std::string>(c == "Username:" ? "alice@example.com" : "alice-pw");
  });
  EXPECT_EQ(sasl("LOGIN", std::nullopt, login_ch).status, LoginStatus::Success);
  EXPECT_EQ(login_ch.challenges, (std::vector<std::string>{"Username:", "Password:"}));

  const std::string other = base64_encode("bob@example.com\0alice@example.com\0alice-pw"s);
  EXPECT_EQ(sasl("PLAIN", other, none).status, LoginStatus::AuthzDenied);
  EXPECT_EQ(sasl("PLAIN", "not base64!", none).status, LoginStatus::Malformed);
  EXPECT_EQ(sasl("PLAIN", "=", none).status, LoginStatus::Malformed) << "empty PLAIN message";
  EXPECT_EQ(sasl("CRAM-MD5", std::nullopt, none).status, LoginStatus::UnknownMechanism);
  EXPECT_EQ(sasl("SCRAM-SHA-256-PLUS", std::nullopt, none).status, LoginStatus::UnknownMechanism)
      << "-PLUS needs TLS 1.3 channel binding data";

  ScriptedChannel cancel([](const std::string&) { return std::optional<std::string>("*"); });
  EXPECT_EQ(sasl("LOGIN", std::nullopt, cancel).status, LoginStatus::Cancelled);
  ScriptedChannel lost([](const std::string&) { return std::optional<std::string>(); });
  EXPECT_EQ(sasl("LOGIN", std::nullopt, lost).status, LoginStatus::ConnectionLost);
  ScriptedChannel garbage([](const std::string&) { return std::optional<std::string>("!raw"); });
  EXPECT_EQ(sasl("LOGIN", std::nullopt, garbage).status, LoginStatus::Malformed);
}

// Plays a SCRAM client over the channel: client-first, client-final, then checks the
// server signature and answers it with an empty line.
struct ScramScript {
  sasl::ScramTestClient client;
  bool server_verified = false;
  std::optional<std::string> operator()(const std::string& challenge) {
    if (challenge.empty()) return client.first();
    if (challenge.starts_with("r=")) return client.final(challenge);
    server_verified = challenge == client.expected_server_signature;
    return std::string();
  }
};

TEST_F(AuthenticatorTest, ScramSha256WithKeysFromAddAccount) {
  ScramScript script;
  script.client.bare = "n=alice@example.com,r=fyko+d2lbbFgONRv9qkxdawL";
  script.client.password = "alice-pw";
  ScriptedChannel ch(std::ref(script));
  auto r = sasl("SCRAM-SHA-256", std::nullopt, ch);
  EXPECT_EQ(r.status, LoginStatus::Success);
  EXPECT_EQ(r.account, "alice@example.com");
  EXPECT_TRUE(script.server_verified) << "server-final not sent or wrong";
  EXPECT_EQ(ch.challenges.size(), 3u);  // empty, server-first, server-final
  EXPECT_EQ(auth().stats().password_checks, 0u) << "SCRAM needs no argon2id";

  ScramScript wrong;
  wrong.client.bare = "n=alice@example.com,r=abc";
  wrong.client.password = "not-alice-pw";
  ScriptedChannel ch2(std::ref(wrong));
  EXPECT_EQ(sasl("SCRAM-SHA-256", std::nullopt, ch2).status, LoginStatus::Denied);

  ScramScript unknown;
  unknown.client.bare = "n=ghost@example.com,r=abc";
  unknown.client.password = "x";
  ScriptedChannel ch3(std::ref(unknown));
  EXPECT_EQ(sasl("SCRAM-SHA-256", std::nullopt, ch3).status, LoginStatus::Denied);
}

TEST_F(AuthenticatorTest, ScramPlusBindsToTheTlsExporter) {
  const std::string exporter(32, '\x42');
  ScramScript script;
  script.client.gs2_header = "p=tls-exporter,,";
  script.client.cbind_data = exporter;
  script.client.bare = "n=alice@example.com,r=abc";
  script.client.password = "alice-pw";
  ScriptedChannel ch(std::ref(script));
  EXPECT_EQ(sasl("SCRAM-SHA-256-PLUS", std::nullopt, ch, exporter).status, LoginStatus::Success);

  ScramScript mitm = script;  // the client saw another TLS session
  mitm.client.cbind_data = std::string(32, '\x43');
  ScriptedChannel ch2(std::ref(mitm));
  EXPECT_EQ(sasl("SCRAM-SHA-256-PLUS", std::nullopt, ch2, exporter).status, LoginStatus::Denied);
  EXPECT_EQ(auth().mechanisms(ClientInfo{"x", "t", "s", exporter}).front(), "SCRAM-SHA-256-PLUS");
  EXPECT_EQ(auth().mechanisms(ClientInfo{}).front(), "SCRAM-SHA-256");
}

TEST_F(AuthenticatorTest, ScramFailuresAreThrottledToo) {
  for (int i = 0; i < 4; ++i) {
    ScramScript wrong;
    wrong.client.bare = "n=alice@example.com,r=abc";
    wrong.client.password = "guess" + std::to_string(i);
    ScriptedChannel ch(std::ref(wrong));
    EXPECT_EQ(sasl("SCRAM-SHA-256", std::nullopt, ch).status, LoginStatus::Denied);
  }
  ScramScript right;
  right.client.bare = "n=alice@example.com,r=abc";
  right.client.password = "alice-pw";
  ScriptedChannel ch(std::ref(right));
  EXPECT_EQ(sasl("SCRAM-SHA-256", std::nullopt, ch).status, LoginStatus::Throttled);
  EXPECT_EQ(ch.challenges.size(), 1u) << "refused before the server-first";
}

TEST_F(AuthenticatorTest, AccountFromBeforeScramGainsKeysAtItsFirstPasswordLogin) {
  // Rewrite carol's record as version 1 (no SCRAM keys), as an older mailctl made it.
  ASSERT_TRUE(directory_->add_account("carol@example.com", "carol-pw").ok());
  auto creds = directory_->credentials("carol@example.com");
  ASSERT_TRUE(creds.ok() && creds->has_value());
  const std::string hash = (*creds)->password_hash;
  directory_.reset();
  {
    auto env = lmdb::Env::open(root_ / "directory", lmdb::EnvOptions{});
    ASSERT_TRUE(env.ok());
    auto txn = lmdb::Txn::begin(**env, true);
    auto dbi = txn->open_db("accounts", false);
    ASSERT_TRUE(dbi.ok());
    Encoder e;
    e.u8(1).str(hash).u8(1);
    ASSERT_TRUE(txn->put(*dbi, "carol@example.com", e.bytes()).ok());
    ASSERT_TRUE(txn->commit().ok());
  }
  open_directory();
  ASSERT_TRUE((*directory_->credentials("carol@example.com"))->scram.empty());

  ScramScript scram;
  scram.client.bare = "n=carol@example.com,r=abc";
  scram.client.password = "carol-pw";
  ScriptedChannel ch(std::ref(scram));
  EXPECT_EQ(sasl("SCRAM-SHA-256", std::nullopt, ch).status, LoginStatus::Denied)
      << "no keys yet: SCRAM cannot work";
  EXPECT_EQ(login("carol@example.com", "carol-pw", "192.0.2.50").status, LoginStatus::Success);
  auto after = directory_->credentials("carol@example.com");
  ASSERT_FALSE((*after)->scram.empty()) << "the login did not add SCRAM keys";
  EXPECT_EQ((*after)->scram.iterations, 4096u);
  ScramScript again = scram;
  ScriptedChannel ch2(std::ref(again));
  EXPECT_EQ(sasl("SCRAM-SHA-256", std::nullopt, ch2).status, LoginStatus::Success);
}

TEST_F(AuthenticatorTest, ScramKeysFromAnOldPasswordNeverLand) {
  ASSERT_TRUE(directory_->add_account("dave@example.com", "old").ok());
  auto creds = *directory_->credentials("dave@example.com");
  ASSERT_TRUE(directory_->set_password("dave@example.com", "new").ok());
  auto stale = sasl::derive_scram_credentials("old", "0123456789abcdef", 4096);
  auto added = directory_->add_scram_credentials("dave@example.com", creds->password_hash, stale);
  ASSERT_TRUE(added.ok());
  EXPECT_FALSE(*added);
  EXPECT_NE((*directory_->credentials("dave@example.com"))->scram, stale);
}

}  // namespace
}  // namespace mail::auth
