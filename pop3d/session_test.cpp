// Tests for the POP3 session through a real socket on loopback: a blocking client in the
// test thread talks to run_session() on an io_context thread, over a real LMDB directory
// and store in a temporary directory.
#include "pop3d/session.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>

#include "auth/sasl/scram_test_client.h"
#include "common/base64.h"

namespace mail::pop3d {
namespace {

namespace asio = net::asio;
using net::tcp;

const std::string kMessage1 =
    "Subject: one\r\nFrom: a@example.test\r\n\r\nHello\r\n.dotted line\r\nbye\r\n";
const std::string kMessage2 = "Subject: two\r\n\r\nsecond body\r\n";

class Client {
 public:
  explicit Client(uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  std::string line() {
    boost::system::error_code ec;
    size_t n = asio::read_until(socket_, asio::dynamic_buffer(buf_), "\r\n", ec);
    if (ec) return "<closed>";
    std::string out = buf_.substr(0, n - 2);
    buf_.erase(0, n);
    return out;
  }
  // The body of a multi-line response, up to (not including) the "." line, still stuffed.
  std::string body() {
    std::string out;
    for (;;) {
      std::string l = line();
      if (l == "." || l == "<closed>") return out;
      out += l + "\r\n";
    }
  }
  void send(const std::string& text) { asio::write(socket_, asio::buffer(text + "\r\n")); }
  std::string cmd(const std::string& text) {
    send(text);
    return line();
  }
  void close() { socket_.close(); }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  std::string buf_;
};

class Pop3SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pop3d_session_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto d = auth::open_lmdb_directory(dir_ / "directory", auth::DirectoryOptions{4096});
    ASSERT_TRUE(d) << d.error().message;
    directory_ = std::move(*d);
    auto s = store::open_lmdb_store(dir_ / "store", store::StoreOptions{size_t{64} << 20});
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    ASSERT_TRUE(directory_->add_domain("example.test"));
    ASSERT_TRUE(directory_->add_account("alice@example.test", "secret"));
    ASSERT_TRUE(store_->create_account("alice@example.test"));
    std::vector<store::Delivery> to(1);
    to[0].account = "alice@example.test";
    ASSERT_TRUE(store_->deliver(to, kMessage1, 1700000000));
    ASSERT_TRUE(store_->deliver(to, kMessage2, 1700000001));
    config_.pop3d.allow_plaintext_auth_on_loopback = true;
    config_.pop3d.max_bad_commands = 4;
  }

  void TearDown() override {
    if (acceptor_) {
      asio::post(io_, [this] { acceptor_->close(); });
    }
    if (thread_.joinable()) thread_.join();
    workers_.join();
    std::filesystem::remove_all(dir_);
  }

  // Starts accepting sessions; returns the port.
  uint16_t start() {
    auth::AuthenticatorOptions options;
    options.throttle = throttle_;
    options.scram_iterations = 4096;
    auto throttle = auth::LoginThrottle::open(dir_ / "throttle", options.throttle);
    EXPECT_TRUE(throttle.ok());
    authenticator_ =
        std::make_unique<auth::Authenticator>(*directory_, std::move(*throttle), options);
    context_.reset(
        new Pop3Context{config_, *directory_, *store_, workers_, nullptr, *authenticator_});
    acceptor_.emplace(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
    return acceptor_->local_endpoint().port();
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_->async_accept(net::use_nothrow);
      if (ec) co_return;
      auto conn = std::make_shared<net::Connection>(std::move(socket), 1024, "T");
      asio::co_spawn(
          io_,
          [this, conn]() -> net::awaitable<void> {
            co_await run_session(*context_, conn);
            co_await conn->flush(std::chrono::seconds(5));
            conn->close();
          },
          asio::detached);
    }
  }

  size_t stored_messages() {
    auto box = store_->mailbox("alice@example.test", "INBOX");
    EXPECT_TRUE(box);
    auto m = store_->messages(box->id);
    EXPECT_TRUE(m);
    return m->size();
  }

  void login(Client& c) {
    ASSERT_EQ(c.line(), "+OK POP3 server ready");
    ASSERT_EQ(c.cmd("USER alice@example.test"), "+OK send PASS");
    ASSERT_EQ(c.cmd("PASS secret").substr(0, 3), "+OK");
  }

  std::filesystem::path dir_;
  std::unique_ptr<auth::Directory> directory_;
  std::unique_ptr<store::MailStore> store_;
  Config config_;
  asio::io_context io_;
  asio::thread_pool workers_{2};
  auth::ThrottlePolicy throttle_{std::chrono::milliseconds(1),
                                 std::chrono::milliseconds(4),
                                 100,
                                 100,
                                 std::chrono::seconds(60),
                                 std::chrono::seconds(60),
                                 size_t{1} << 20};
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<Pop3Context> context_;
  std::optional<tcp::acceptor> acceptor_;
  std::thread thread_;
};

TEST_F(Pop3SessionTest, FullTransactionAndUpdate) {
  Client c(start());
  ASSERT_EQ(c.line(), "+OK POP3 server ready");
  EXPECT_EQ(c.cmd("STAT"), "-ERR command not valid in this state");
  EXPECT_EQ(c.cmd("CAPA"), "+OK Capability list follows");
  EXPECT_EQ(c.body(),
            "TOP\r\nUIDL\r\nUSER\r\nSASL SCRAM-SHA-256 PLAIN LOGIN\r\nRESP-CODES\r\n"
            "AUTH-RESP-CODE\r\nPIPELINING\r\nIMPLEMENTATION mailsuite\r\n");
  EXPECT_EQ(c.cmd("PASS secret"), "-ERR USER first");
  EXPECT_EQ(c.cmd("user alice@example.test"), "+OK send PASS");
  const uint64_t total = kMessage1.size() + kMessage2.size();
  EXPECT_EQ(c.cmd("PASS secret"),
            "+OK maildrop has 2 messages (" + std::to_string(total) + " octets)");
  EXPECT_EQ(c.cmd("STAT"), "+OK 2 " + std::to_string(total));
  EXPECT_EQ(c.cmd("LIST"), "+OK maildrop has 2 messages (" + std::to_string(total) + " octets)");
  EXPECT_EQ(c.body(), "1 " + std::to_string(kMessage1.size()) + "\r\n2 " +
                          std::to_string(kMessage2.size()) + "\r\n");
  EXPECT_EQ(c.cmd("LIST 2"), "+OK 2 " + std::to_string(kMessage2.size()));
  EXPECT_EQ(c.cmd("LIST 3"), "-ERR no such message");
  EXPECT_EQ(c.cmd("UIDL"), "+OK");
  const std::string uidl = c.body();
  EXPECT_NE(uidl.find("1 "), std::string::npos);
  EXPECT_EQ(c.cmd("RETR 1"), "+OK " + std::to_string(kMessage1.size()) + " octets");
  EXPECT_EQ(c.body(),
            "Subject: one\r\nFrom: a@example.test\r\n\r\nHello\r\n..dotted line\r\nbye\r\n");
  EXPECT_EQ(c.cmd("TOP 1 1"), "+OK top of message follows");
  EXPECT_EQ(c.body(), "Subject: one\r\nFrom: a@example.test\r\n\r\nHello\r\n");
  EXPECT_EQ(c.cmd("DELE 1"), "+OK message 1 deleted");
  EXPECT_EQ(c.cmd("DELE 1"), "-ERR no such message");
  EXPECT_EQ(c.cmd("RETR 1"), "-ERR no such message");
  EXPECT_EQ(c.cmd("STAT"), "+OK 1 " + std::to_string(kMessage2.size()));
  EXPECT_EQ(c.cmd("RSET"), "+OK maildrop has 2 messages (" + std::to_string(total) + " octets)");
  EXPECT_EQ(c.cmd("DELE 2"), "+OK message 2 deleted");
  EXPECT_EQ(c.cmd("NOOP"), "+OK");
  EXPECT_EQ(c.cmd("QUIT"), "+OK POP3 server signing off (1 messages deleted)");
  EXPECT_EQ(c.line(), "<closed>");
  EXPECT_EQ(stored_messages(), 1u);

  // The unique-ids are the same in the next session.
  Client again(acceptor_->local_endpoint().port());
  login(again);
  EXPECT_EQ(again.cmd("UIDL 1"), "+OK 1 " + uidl.substr(2, uidl.find("\r\n") - 2));
  EXPECT_EQ(again.cmd("QUIT"), "+OK POP3 server signing off");
}

TEST_F(Pop3SessionTest, DroppedConnectionDeletesNothing) {
  {
    Client c(start());
    login(c);
    EXPECT_EQ(c.cmd("DELE 1"), "+OK message 1 deleted");
    c.close();
  }
  // The lock is released when the session ends; a new login then succeeds.
  for (int i = 0; i < 100; ++i) {
    Client c(acceptor_->local_endpoint().port());
    c.line();
    c.cmd("USER alice@example.test");
    std::string r = c.cmd("PASS secret");
    if (r.rfind("+OK", 0) == 0) break;
    EXPECT_EQ(r, "-ERR [IN-USE] Maildrop already locked by another session");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(stored_messages(), 2u);
}

TEST_F(Pop3SessionTest, SecondSessionIsRefusedWhileLocked) {
  Client a(start());
  login(a);
  Client b(acceptor_->local_endpoint().port());
  ASSERT_EQ(b.line(), "+OK POP3 server ready");
  b.cmd("USER alice@example.test");
  EXPECT_EQ(b.cmd("PASS secret"), "-ERR [IN-USE] Maildrop already locked by another session");
}

TEST_F(Pop3SessionTest, FailedLoginsEndTheSessionAtTheLimit) {
  config_.pop3d.max_login_failures = 2;
  Client c(start());
  ASSERT_EQ(c.line(), "+OK POP3 server ready");
  c.cmd("USER alice@example.test");
  EXPECT_EQ(c.cmd("PASS wrong"), "-ERR [AUTH] Authentication failed");
  c.cmd("USER nobody@example.test");
  EXPECT_EQ(c.cmd("PASS secret"), "-ERR [AUTH] Authentication failed");
  EXPECT_EQ(c.line(), "-ERR Too many failed logins");
  EXPECT_EQ(c.line(), "<closed>");
}

TEST_F(Pop3SessionTest, TooManyErrors) {
  Client c(start());
  ASSERT_EQ(c.line(), "+OK POP3 server ready");
  EXPECT_EQ(c.cmd("XYZZY"), "-ERR unknown command");
  EXPECT_EQ(c.cmd("RETR 1"), "-ERR command not valid in this state");
  EXPECT_EQ(c.cmd("PASS x"), "-ERR USER first");
  EXPECT_EQ(c.cmd("AUTH PLAIN !!!!"), "-ERR Malformed SASL message");
  EXPECT_EQ(c.line(), "-ERR too many errors");
  EXPECT_EQ(c.line(), "<closed>");
}

TEST_F(Pop3SessionTest, AuthPlainLoginAndCancel) {
  Client c(start());
  ASSERT_EQ(c.line(), "+OK POP3 server ready");
  EXPECT_EQ(c.cmd("AUTH"), "+OK Supported mechanisms follow");
  EXPECT_EQ(c.body(), "SCRAM-SHA-256\r\nPLAIN\r\nLOGIN\r\n");
  EXPECT_EQ(c.cmd("AUTH CRAM-MD5"), "-ERR Unsupported authentication mechanism");
  EXPECT_EQ(c.cmd("AUTH SCRAM-SHA-256-PLUS"), "-ERR Unsupported authentication mechanism");
  EXPECT_EQ(c.cmd("AUTH LOGIN"), "+ VXNlcm5hbWU6");  // "Username:"
  EXPECT_EQ(c.cmd("*"), "-ERR Authentication cancelled");
  EXPECT_EQ(c.cmd("AUTH PLAIN"), "+ ");
  // "\0alice@example.test\0wrong"
  EXPECT_EQ(c.cmd("AGFsaWNlQGV4YW1wbGUudGVzdAB3cm9uZw=="), "-ERR [AUTH] Authentication failed");
  // Initial response "\0alice@example.test\0secret" (RFC 5034 4).
  EXPECT_EQ(c.cmd("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABzZWNyZXQ=").substr(0, 28),
            "+OK maildrop has 2 messages ");
  EXPECT_EQ(c.cmd("AUTH PLAIN"), "-ERR command not valid in this state");
  EXPECT_EQ(c.cmd("QUIT"), "+OK POP3 server signing off");
}

TEST_F(Pop3SessionTest, AuthLoginMechanism) {
  Client c(start());
  ASSERT_EQ(c.line(), "+OK POP3 server ready");
  EXPECT_EQ(c.cmd("AUTH LOGIN YWxpY2VAZXhhbXBsZS50ZXN0"), "+ UGFzc3dvcmQ6");  // "Password:"
  EXPECT_EQ(c.cmd("c2VjcmV0").substr(0, 3), "+OK");
}

TEST_F(Pop3SessionTest, AuthScramSha256) {
  Client c(start());
  ASSERT_EQ(c.line(), "+OK POP3 server ready");
  auth::sasl::ScramTestClient scram;
  scram.bare = "n=alice@example.test,r=Ae5yLr0t2fcOl0T8";
  scram.password = "secret";
  const std::string server_first = c.cmd("AUTH SCRAM-SHA-256 " + base64_encode(scram.first()));
  ASSERT_EQ(server_first.substr(0, 2), "+ ");
  const std::string final_msg = scram.final(*base64_decode(server_first.substr(2)));
  const std::string server_final = c.cmd(base64_encode(final_msg));
  ASSERT_EQ(server_final.substr(0, 2), "+ ");
  EXPECT_EQ(*base64_decode(server_final.substr(2)), scram.expected_server_signature);
  EXPECT_EQ(c.cmd("").substr(0, 3), "+OK");
  EXPECT_EQ(c.cmd("STAT").substr(0, 5), "+OK 2");
}

TEST_F(Pop3SessionTest, ThrottledAccountGetsLoginDelay) {
  throttle_.account_failure_limit = 2;
  config_.pop3d.max_login_failures = 10;
  Client c(start());
  ASSERT_EQ(c.line(), "+OK POP3 server ready");
  for (int i = 0; i < 2; ++i) {
    c.cmd("USER alice@example.test");
    EXPECT_EQ(c.cmd("PASS wrong"), "-ERR [AUTH] Authentication failed");
  }
  c.cmd("USER alice@example.test");
  EXPECT_EQ(c.cmd("PASS secret").substr(0, 18), "-ERR [LOGIN-DELAY]");
}

TEST_F(Pop3SessionTest, LoginTimeoutAndCommandLimitBeforeLogin) {
  config_.pop3d.login_timeout = 1;
  config_.pop3d.max_login_commands = 3;
  Client c(start());
  ASSERT_EQ(c.line(), "+OK POP3 server ready");
  EXPECT_EQ(c.line(), "-ERR [SYS/TEMP] Login timeout");
  EXPECT_EQ(c.line(), "<closed>");
  Client d(acceptor_->local_endpoint().port());
  ASSERT_EQ(d.line(), "+OK POP3 server ready");
  EXPECT_EQ(d.cmd("NOOP"), "-ERR command not valid in this state");
  EXPECT_EQ(d.cmd("CAPA"), "+OK Capability list follows");
  d.body();
  EXPECT_EQ(d.cmd("USER alice@example.test"), "+OK send PASS");
  EXPECT_EQ(d.cmd("CAPA"), "-ERR Too many commands without login");
  EXPECT_EQ(d.line(), "<closed>");
}

TEST_F(Pop3SessionTest, PlaintextRefusedWithoutTls) {
  config_.pop3d.allow_plaintext_auth_on_loopback = false;
  Client c(start());
  ASSERT_EQ(c.line(), "+OK POP3 server ready");
  EXPECT_EQ(c.cmd("CAPA"), "+OK Capability list follows");
  EXPECT_EQ(c.body().find("USER"), std::string::npos);
  EXPECT_EQ(c.cmd("USER alice@example.test"),
            "-ERR [AUTH] Plaintext authentication requires TLS, use STLS");
  EXPECT_EQ(c.cmd("STLS"), "-ERR STLS not available");  // no certificate in this test
  EXPECT_EQ(c.cmd("QUIT"), "+OK POP3 server signing off");
}

TEST_F(Pop3SessionTest, LongLineAndPipelining) {
  Client c(start());
  ASSERT_EQ(c.line(), "+OK POP3 server ready");
  EXPECT_EQ(c.cmd(std::string(2000, 'A')), "-ERR line too long");
  c.send("USER alice@example.test\r\nPASS secret\r\nSTAT\r\nQUIT");
  EXPECT_EQ(c.line(), "+OK send PASS");
  EXPECT_EQ(c.line().substr(0, 3), "+OK");
  EXPECT_EQ(c.line(), "+OK 2 " + std::to_string(kMessage1.size() + kMessage2.size()));
  EXPECT_EQ(c.line(), "+OK POP3 server signing off");
}

}  // namespace
}  // namespace mail::pop3d
