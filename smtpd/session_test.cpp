// Session tests: the real SMTP session over a loopback TCP connection, a real LMDB
// directory and a spool that records what would be queued. They check what integration
// tests cannot see from outside: the envelope smtpd hands to the queue (DSN fields, BODY,
// SMTPUTF8, recipients), and the dialogue at its edges.
#include <gtest/gtest.h>

#include <ctime>
#include <mutex>
#include <optional>
#include <thread>

#include "auth/authenticator.h"
#include "auth/directory.h"
#include "auth/sasl/scram_test_client.h"
#include "common/base64.h"
#include "queue/group_commit.h"
#include "queued/relay/sending_policy.h"
#include "smtpd/session.h"

namespace mail::smtpd {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::literals;

// A Spool that keeps every enqueued message in memory.
class RecordingSpool : public queue::Spool {
 public:
  Result<std::vector<std::string>> enqueue(std::span<queue::NewMessage> batch) override {
    std::lock_guard lock(mu_);
    std::vector<std::string> ids;
    for (auto& m : batch) {
      messages_.push_back(m);
      ids.push_back(m.envelope.id);
    }
    return ids;
  }
  // The session only enqueues.
  Result<std::vector<queue::Claim>> claim(int64_t, int64_t, size_t, std::string_view) override {
    return unsupported();
  }
  Result<size_t> expire_claims(std::string_view, int64_t) override { return unsupported(); }
  Result<std::vector<Result<queue::Completed>>> complete(std::span<const queue::Completion>,
                                                         int64_t) override {
    return unsupported();
  }
  Result<std::vector<Result<void>>> renew(std::span<const queue::ClaimRef>, int64_t) override {
    return unsupported();
  }
  Result<std::vector<queue::Envelope>> list() override { return unsupported(); }
  Result<queue::Envelope> envelope(std::string_view) override { return unsupported(); }
  Result<std::string> content(std::string_view) override { return unsupported(); }
  Result<void> hold(std::string_view) override { return unsupported(); }
  Result<void> release(std::string_view) override { return unsupported(); }
  Result<void> retry(std::string_view, int64_t) override { return unsupported(); }
  Result<size_t> flush(int64_t) override { return unsupported(); }
  Result<void> remove(std::string_view) override { return unsupported(); }

  std::vector<queue::NewMessage> messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }

 private:
  static Error unsupported() { return Error{ErrorKind::Invalid, "not in this test"}; }
  std::mutex mu_;
  std::vector<queue::NewMessage> messages_;
};

// What net::Server does around a session: run it, then write its last replies and close.
asio::awaitable<void> serve(SmtpContext& context, std::shared_ptr<net::Connection> conn,
                            Port port) {
  co_await run_session(context, conn, port_policy(port, context.config.smtpd));
  co_await conn->flush(std::chrono::seconds(5));
  conn->close();
}

class SessionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/smtpd_session_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = new std::filesystem::path(tmpl);
    auto d = auth::open_lmdb_directory(*dir_);
    ASSERT_TRUE(d.ok()) << d.error().message;
    directory_ = d->release();
    ASSERT_TRUE(directory_->add_domain("example.test").ok());
    ASSERT_TRUE(directory_
                    ->add_domain("b\xC3\xBC"
                                 "cher.test")
                    .ok());
    ASSERT_TRUE(directory_->add_account("alice@example.test", "pw").ok());
    ASSERT_TRUE(directory_
                    ->add_account("bob@b\xC3\xBC"
                                  "cher.test",
                                  "pw")
                    .ok());
    ASSERT_TRUE(directory_->add_alias("j\xC3\xB6rg@example.test", "alice@example.test").ok());
    ASSERT_TRUE(directory_->add_account("carol@example.test", "carol-pw").ok());
    ASSERT_TRUE(directory_->add_alias("sales@example.test", "carol@example.test").ok());
    ASSERT_TRUE(directory_->allow_sender("carol@example.test", "team@example.test").ok());
  }
  static void TearDownTestSuite() {
    delete directory_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  void SetUp() override {
    config_.server.hostname = "mx.example.test";
    config_.server.data_dir = *dir_;  // queued.sock is absent: the nudge is a no-op
    config_.smtpd.max_message_size = 1000;
    config_.smtpd.max_commands_without_progress = 5;
    config_.smtpd.max_errors = 50;
  }

  // Starts a session on `policy`'s port and connects a client to it.
  void start(Port port = Port::Mx) {
    committer_.emplace(spool_);
    if (!authenticator_) {
      auth::AuthenticatorOptions options;
      options.throttle.initial_delay = std::chrono::milliseconds(1);
      options.throttle.max_delay = std::chrono::milliseconds(2);
      options.throttle.ip_failure_limit = 1000;
      options.throttle.account_failure_limit = 1000;
      options.throttle.map_size = 1 << 20;
      options.scram_iterations = 4096;
      auto throttle = auth::LoginThrottle::open(*dir_ / "throttle", options.throttle);
      ASSERT_TRUE(throttle.ok());
      authenticator_ =
          std::make_unique<auth::Authenticator>(*directory_, std::move(*throttle), options);
    }
    context_.emplace(SmtpContext{config_, *directory_, *committer_, nullptr, *authenticator_,
                                 nullptr, sending_, &workers_});
    tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client_.connect(acceptor.local_endpoint());
    tcp::socket server_side = acceptor.accept();
    auto conn = std::make_shared<net::Connection>(std::move(server_side), 1000, "t1");
    conn_ = conn;
    asio::co_spawn(io_, serve(*context_, conn, port), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
    EXPECT_EQ(reply(), "220");
  }

  void TearDown() override {
    client_.close();
    if (thread_.joinable()) thread_.join();
    committer_.reset();
    authenticator_.reset();
  }

  void send(std::string_view text) { asio::write(client_, asio::buffer(text)); }

  // The code of the next reply (continuation lines read and dropped), plus " x.y.z" when
  // it has an enhanced code; "closed" at end of stream.
  std::string reply() {
    for (;;) {
      std::string line;
      while (true) {
        const size_t lf = buffer_.find("\r\n");
        if (lf != std::string::npos) {
          line = buffer_.substr(0, lf);
          buffer_.erase(0, lf + 2);
          break;
        }
        char chunk[4096];
        boost::system::error_code ec;
        const size_t n = client_.read_some(asio::buffer(chunk), ec);
        if (ec) return "closed";
        buffer_.append(chunk, n);
      }
      last_line_ = line;
      if (line.size() > 3 && line[3] == '-') continue;
      std::string out = line.substr(0, 3);
      // The enhanced status code (RFC 3463), whose parts may have several digits.
      if (line.size() > 9 && line[5] == '.') out += " " + line.substr(4, line.find(' ', 4) - 4);
      return out;
    }
  }
  std::string cmd(std::string_view line) {
    send(std::string(line) + "\r\n");
    return reply();
  }
  // "BDAT <args>" and its chunk, which follows the command line without a CRLF.
  std::string bdat(std::string_view args, std::string_view chunk) {
    send("BDAT " + std::string(args) + "\r\n" + std::string(chunk));
    return reply();
  }
  std::vector<std::string> ehlo() {
    send("EHLO client.test\r\n");
    std::vector<std::string> lines;
    for (;;) {
      reply_line_into(lines);
      if (lines.back().size() > 3 && lines.back()[3] == ' ') return lines;
    }
  }
  void reply_line_into(std::vector<std::string>& lines) {
    while (buffer_.find("\r\n") == std::string::npos) {
      char chunk[4096];
      const size_t n = client_.read_some(asio::buffer(chunk));
      buffer_.append(chunk, n);
    }
    const size_t lf = buffer_.find("\r\n");
    lines.push_back(buffer_.substr(0, lf));
    buffer_.erase(0, lf + 2);
  }
  size_t queued_count() { return spool_.messages().size(); }
  std::vector<queue::NewMessage> queued() {
    cmd("NOOP");  // the reply after the commit has come: the spool has the message
    return spool_.messages();
  }

  static std::filesystem::path* dir_;
  static auth::Directory* directory_;
  Config config_;
  RecordingSpool spool_;
  std::optional<queue::GroupCommitter> committer_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::optional<SmtpContext> context_;
  relay::SendingPolicy* sending_ = nullptr;  // the suppression list, when a test sets one
  asio::thread_pool workers_{1};
  asio::io_context io_;
  tcp::socket client_{io_};
  std::thread thread_;
  std::string buffer_;
  std::string last_line_;
  std::shared_ptr<net::Connection> conn_;
};

std::filesystem::path* SessionTest::dir_ = nullptr;
auth::Directory* SessionTest::directory_ = nullptr;

TEST_F(SessionTest, EhloOffersTheEnabledExtensions) {
  start();
  auto lines = ehlo();
  const std::string all = [&] {
    std::string s;
    for (auto& l : lines) s += l.substr(4) + "|";
    return s;
  }();
  for (const char* k : {"PIPELINING|", "SIZE 1000|", "8BITMIME|", "ENHANCEDSTATUSCODES|",
                        "SMTPUTF8|", "DSN|", "CHUNKING|", "BINARYMIME|"})
    EXPECT_NE(all.find(k), std::string::npos) << k << " in " << all;
  EXPECT_EQ(all.find("STARTTLS"), std::string::npos);  // no certificate here
}

TEST_F(SessionTest, ExtensionsSwitchedOffAreNeitherOfferedNorAccepted) {
  config_.smtpd.smtputf8 = config_.smtpd.dsn = config_.smtpd.chunking = false;
  start();
  auto lines = ehlo();
  for (auto& l : lines) {
    for (const char* k : {"SMTPUTF8", "DSN", "CHUNKING", "BINARYMIME"})
      EXPECT_EQ(l.find(k), std::string::npos) << l;
  }
  EXPECT_EQ(cmd("MAIL FROM:<a@x.test> SMTPUTF8"), "555 5.5.4");
  EXPECT_EQ(cmd("MAIL FROM:<a@x.test> RET=FULL"), "555 5.5.4");
  EXPECT_EQ(cmd("MAIL FROM:<a@x.test> BODY=BINARYMIME"), "555 5.5.4");
  EXPECT_EQ(cmd("MAIL FROM:<a@x.test>"), "250 2.1.0");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test> NOTIFY=NEVER"), "555 5.5.4");
}

TEST_F(SessionTest, DsnFieldsReachTheEnvelope) {
  start();
  ehlo();
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test> RET=HDRS ENVID=QQ+2B314159 BODY=8BITMIME"), "250 2.1.0");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;A+2Bb@x.test"),
            "250 2.1.5");
  EXPECT_EQ(cmd("RCPT TO:<Postmaster> NOTIFY=NEVER"), "250 2.1.5");
  EXPECT_EQ(cmd("DATA"), "354");
  EXPECT_EQ(cmd("Subject: t\r\n\r\nhi\r\n."), "250 2.0.0");
  auto msgs = queued();
  ASSERT_EQ(msgs.size(), 1u);
  const queue::Envelope& e = msgs[0].envelope;
  EXPECT_EQ(e.sender, "s@x.test");
  EXPECT_EQ(e.dsn_ret, queue::DsnRet::Headers);
  EXPECT_EQ(e.dsn_envid, "QQ+314159");
  EXPECT_EQ(e.body, queue::BodyType::EightBitMime);
  EXPECT_FALSE(e.smtputf8);
  ASSERT_EQ(e.recipients.size(), 2u);
  EXPECT_EQ(e.recipients[0].address, "alice@example.test");
  EXPECT_EQ(e.recipients[0].dsn_notify, queue::kNotifySuccess | queue::kNotifyDelay);
  EXPECT_EQ(e.recipients[0].orcpt, "rfc822;A+b@x.test");
  EXPECT_EQ(e.recipients[1].address, "Postmaster");
  EXPECT_EQ(e.recipients[1].dsn_notify, queue::kNotifyNever);
  EXPECT_EQ(e.recipients[1].orcpt, "");
}

TEST_F(SessionTest, DsnErrors) {
  start();
  ehlo();
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test> RET=NONE"), "501 5.5.4");
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test> RET=FULL RET=HDRS"), "501 5.5.4");
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test> ENVID=" + std::string(101, 'e')), "501 5.5.4");
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test> NOTIFY=NEVER"), "555 5.5.4");
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test> RET=FULL"), "250 2.1.0");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test> NOTIFY=NEVER,FAILURE"), "501 5.5.4");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test> NOTIFY=FAILURE NOTIFY=DELAY"), "501 5.5.4");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test> ORCPT=rfc822"), "501 5.5.4");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test> ORCPT=rfc822;a+zz"), "501 5.5.4");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test> RET=FULL"), "555 5.5.4");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test> NOTIFY=FAILURE"), "250 2.1.5");
}

TEST_F(SessionTest, Smtputf8AddressesNeedTheParameter) {
  start();
  ehlo();
  // RFC 6531 3.4: 553 5.6.7 only when the client did not ask for SMTPUTF8.
  EXPECT_EQ(cmd("MAIL FROM:<s\xC3\xA9@x.test>"), "553 5.6.7");
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test>"), "250 2.1.0");
  EXPECT_EQ(cmd("RCPT TO:<j\xC3\xB6rg@example.test>"), "553 5.6.7");
  EXPECT_EQ(cmd("RSET"), "250 2.0.0");
  EXPECT_EQ(cmd("MAIL FROM:<s\xC3\xA9@x.test> SMTPUTF8"), "250 2.1.0");
  EXPECT_EQ(cmd("RCPT TO:<j\xC3\xB6rg@example.test>"), "250 2.1.5");
  EXPECT_EQ(cmd("RCPT TO:<bob@B\xC3\x9C"
                "CHER.test>"),
            "250 2.1.5");                                           // U-label domain
  EXPECT_EQ(cmd("RCPT TO:<bob@xn--bcher-kva.test>"), "250 2.1.5");  // its A-label
  EXPECT_EQ(cmd("RCPT TO:<nobody@b\xC3\xBC"
                "cher.test>"),
            "550 5.1.1");
  EXPECT_EQ(cmd("DATA"), "354");
  EXPECT_EQ(cmd("Subject: \xC3\xA9t\xC3\xA9\r\n\r\nhi\r\n."), "250 2.0.0");
  auto msgs = queued();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_TRUE(msgs[0].envelope.smtputf8);
  EXPECT_EQ(msgs[0].envelope.sender, "s\xC3\xA9@x.test");
  ASSERT_EQ(msgs[0].envelope.recipients.size(), 3u);
  EXPECT_EQ(msgs[0].envelope.recipients[0].address, "j\xC3\xB6rg@example.test");
  EXPECT_NE(msgs[0].content.find("with UTF8SMTP id"), std::string::npos);
}

TEST_F(SessionTest, BdatChunksPipelinedWithLast) {
  start();
  ehlo();
  send(
      "MAIL FROM:<s@x.test> BODY=BINARYMIME\r\nRCPT TO:<alice@example.test>\r\n"
      "BDAT 5\r\n.\r\n\0\n"
      "BDAT 6 LAST\r\n\r\r\n.\r\n"sv);
  EXPECT_EQ(reply(), "250 2.1.0");
  EXPECT_EQ(reply(), "250 2.1.5");
  EXPECT_EQ(reply(), "250 2.0.0");
  EXPECT_EQ(last_line_, "250 2.0.0 5 octets received");
  EXPECT_EQ(reply(), "250 2.0.0");
  auto msgs = queued();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].envelope.body, queue::BodyType::BinaryMime);
  const std::string& c = msgs[0].content;
  EXPECT_EQ(c.substr(c.size() - 11), std::string(".\r\n\0\n\r\r\n.\r\n", 11));
}

TEST_F(SessionTest, BdatErrorCases) {
  start();
  ehlo();
  // BDAT before MAIL: refused, chunk skipped, dialogue in step.
  EXPECT_EQ(bdat("4", "NOOP"), "503 5.5.1");
  EXPECT_EQ(cmd("NOOP"), "250 2.0.0");
  // Every RCPT refused: 554, chunk skipped.
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test>"), "250 2.1.0");
  EXPECT_EQ(cmd("RCPT TO:<nobody@example.test>"), "550 5.1.1");
  EXPECT_EQ(bdat("3 LAST", "abc"), "554 5.5.1");
  EXPECT_EQ(cmd("RSET"), "250 2.0.0");
  // DATA after BDAT; size limit over chunks; the rest of the pipeline refused.
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test>"), "250 2.1.0");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test>"), "250 2.1.5");
  EXPECT_EQ(bdat("600", std::string(598, 'a') + "\r\n"), "250 2.0.0");
  EXPECT_EQ(cmd("DATA"), "503 5.5.1");
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test>"), "503 5.5.1");
  send("BDAT 600\r\n" + std::string(600, 'b') + "BDAT 2 LAST\r\nzz");
  EXPECT_EQ(reply(), "552 5.3.4");
  EXPECT_EQ(reply(), "503 5.5.1");  // the pipelined LAST chunk, read and dropped
  EXPECT_EQ(cmd("NOOP"), "250 2.0.0");
  // Bare LF in a text message sent with BDAT.
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test>"), "250 2.1.0");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test>"), "250 2.1.5");
  EXPECT_EQ(bdat("4 LAST", "a\nb."), "550 5.5.2");
  // DATA with BODY=BINARYMIME.
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test> BODY=BINARYMIME"), "250 2.1.0");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test>"), "250 2.1.5");
  EXPECT_EQ(cmd("DATA"), "503 5.5.1");
  EXPECT_TRUE(queued().empty());
  // A BDAT whose size cannot be read ends the session: its chunk cannot be skipped.
  EXPECT_EQ(cmd("BDAT 99999999999999999999999 LAST"), "501 5.5.4");
  EXPECT_EQ(reply(), "closed");
}

TEST_F(SessionTest, BareLfCommandIsRefused) {
  start();
  send("EHLO client.test\n");
  EXPECT_EQ(reply(), "500 5.5.2");
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test>"), "503 5.5.1");  // the EHLO did not count
  send("NOOP\r\nNOOP\nNOOP\r\n");
  EXPECT_EQ(reply(), "250 2.0.0");
  EXPECT_EQ(reply(), "500 5.5.2");
  EXPECT_EQ(reply(), "250 2.0.0");
}

TEST_F(SessionTest, CommandsWithoutProgressAreLimited) {
  start();  // max_commands_without_progress = 5
  EXPECT_EQ(cmd("EHLO a"), "250");
  EXPECT_EQ(cmd("NOOP"), "250 2.0.0");
  EXPECT_EQ(cmd("RSET"), "250 2.0.0");
  EXPECT_EQ(cmd("VRFY bob"), "252 2.5.0");
  EXPECT_EQ(cmd("HELP"), "214 2.0.0");
  // A queued message resets the count.
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test>"), "250 2.1.0");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test>"), "250 2.1.5");
  EXPECT_EQ(cmd("BDAT 0 LAST"), "250 2.0.0");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(cmd("NOOP"), "250 2.0.0") << i;
  EXPECT_EQ(cmd("NOOP"), "421 4.7.0");
  EXPECT_EQ(reply(), "closed");
}

TEST_F(SessionTest, RelayTricksAndPostmaster) {
  start();
  ehlo();
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test>"), "250 2.1.0");
  EXPECT_EQ(cmd("RCPT TO:<victim%elsewhere.test@example.test>"), "554 5.7.1");
  EXPECT_EQ(cmd("RCPT TO:<elsewhere.test!victim@example.test>"), "554 5.7.1");
  EXPECT_EQ(cmd("RCPT TO:<\"victim@elsewhere.test\"@example.test>"), "554 5.7.1");
  EXPECT_EQ(cmd("RCPT TO:<alice@[127.0.0.1]>"), "554 5.7.1");
  EXPECT_EQ(cmd("RCPT TO:<alice@[127.0.0.300]>"), "501 5.1.3");
  EXPECT_EQ(cmd("RCPT TO:<@example.test:victim@elsewhere.test>"), "554 5.7.1");
  EXPECT_EQ(cmd("RCPT TO:<@a.test,@b.test:alice@example.test>"), "250 2.1.5");
  EXPECT_EQ(cmd("RCPT TO:<\"john doe\"@example.test>"), "550 5.1.1");
  EXPECT_EQ(cmd("RCPT TO:<POSTMASTER@EXAMPLE.TEST>"), "250 2.1.5");
  EXPECT_EQ(cmd("RCPT TO:<postmaster>"), "250 2.1.5");
  EXPECT_EQ(cmd("RCPT TO:<postmaster@elsewhere.test>"), "554 5.7.1");
}

TEST_F(SessionTest, SubmissionPortGatesMailOnAuth) {
  start(Port::Submissions);  // no TLS in this test: the TLS rule refuses first
  ehlo();
  EXPECT_EQ(cmd("MAIL FROM:<alice@example.test>"), "530 5.7.0");
  EXPECT_EQ(cmd("AUTH PLAIN"), "538 5.7.11");  // RFC 4954 6: not over plaintext
  EXPECT_EQ(bdat("3", "abc"), "503 5.5.1");
  EXPECT_EQ(cmd("NOOP"), "250 2.0.0");
}

// SIGTERM while a message is in DATA: it may finish within smtpd.shutdown_grace and gets
// its 250, then the goodbye.
TEST_F(SessionTest, ShutdownLetsDataFinishWithinTheGrace) {
  config_.smtpd.shutdown_grace = 5;
  start();
  ehlo();
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test>"), "250 2.1.0");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test>"), "250 2.1.5");
  EXPECT_EQ(cmd("DATA"), "354");
  send("Subject: t\r\n\r\nfirst\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  asio::post(conn_->executor(), [c = conn_] { c->shut_down("421 4.3.2 bye\r\n"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(cmd("second\r\n."), "250 2.0.0");
  EXPECT_EQ(reply(), "421 4.3.2");
  EXPECT_EQ(queued_count(), 1u);
}

// Without a message in progress the goodbye comes at once; a message not finished within
// the grace is dropped with the goodbye.
TEST_F(SessionTest, ShutdownEndsAStalledMessageAfterTheGrace) {
  config_.smtpd.shutdown_grace = 1;
  start();
  ehlo();
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test>"), "250 2.1.0");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test>"), "250 2.1.5");
  EXPECT_EQ(cmd("DATA"), "354");
  send("Subject: t\r\n\r\nfirst\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto started = std::chrono::steady_clock::now();
  asio::post(conn_->executor(), [c = conn_] { c->shut_down("421 4.3.2 bye\r\n"); });
  EXPECT_EQ(reply(), "421 4.3.2");
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, std::chrono::milliseconds(900));
  EXPECT_LT(waited, std::chrono::milliseconds(3000));
  EXPECT_EQ(reply(), "closed");
  EXPECT_EQ(spool_.messages().size(), 0u);
}

TEST_F(SessionTest, StateErrors) {
  start();
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test>"), "503 5.5.1");
  EXPECT_EQ(cmd("HELO client.test"), "250");
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test> SIZE=10"), "555 5.5.4");  // HELO: no parameters
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test>"), "503 5.5.1");
  EXPECT_EQ(cmd("DATA"), "503 5.5.1");
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test>"), "250 2.1.0");
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test>"), "503 5.5.1");
  EXPECT_EQ(cmd("AUTH PLAIN"), "503 5.5.1");  // not in a transaction (RFC 4954 4)
  EXPECT_EQ(cmd("DATA"), "503 5.5.1");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test>"), "250 2.1.5");
  EXPECT_EQ(cmd("STARTTLS"), "503 5.5.1");
  EXPECT_EQ(cmd("QUIT"), "221 2.0.0");
}

// --- SMTP AUTH (RFC 4954) and submission (RFC 6409) ---------------------------------

std::string plain(std::string_view authzid, std::string_view user, std::string_view password) {
  std::string raw(authzid);
  raw.push_back('\0');
  raw += user;
  raw.push_back('\0');
  raw += password;
  return base64_encode(raw);
}

std::string auth_line(const std::vector<std::string>& ehlo_lines) {
  for (const auto& l : ehlo_lines) {
    if (l.substr(4, 5) == "AUTH ") return l.substr(4);
  }
  return "";
}

// The loopback exception off (the default): no AUTH before TLS on any port.
TEST_F(SessionTest, NoAuthWithoutTls) {
  start(Port::Submission);
  EXPECT_EQ(auth_line(ehlo()), "");
  EXPECT_EQ(cmd("AUTH PLAIN " + plain("", "alice@example.test", "pw")), "538 5.7.11");
  EXPECT_EQ(cmd("MAIL FROM:<alice@example.test>"), "530 5.7.0");
  EXPECT_EQ(last_line_, "530 5.7.0 Must issue a STARTTLS command first");
}

TEST_F(SessionTest, MxOffersAuthOnlyWhenConfigured) {
  config_.smtpd.allow_plaintext_auth_on_loopback = true;
  start(Port::Mx);
  EXPECT_EQ(auth_line(ehlo()), "");
  EXPECT_EQ(cmd("AUTH PLAIN " + plain("", "alice@example.test", "pw")), "502 5.5.1");
  EXPECT_EQ(cmd("MAIL FROM:<a@x.test> AUTH=<>"), "555 5.5.4");  // AUTH not offered
}

TEST_F(SessionTest, MxWithAuthOnMx) {
  config_.smtpd.allow_plaintext_auth_on_loopback = true;
  config_.smtpd.auth_on_mx = true;
  start(Port::Mx);
  // SCRAM-SHA-256-PLUS only on TLS 1.3.
  EXPECT_EQ(auth_line(ehlo()), "AUTH SCRAM-SHA-256 PLAIN LOGIN");
  // Port 25 still takes mail for our domains without AUTH.
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test>"), "250 2.1.0");
  EXPECT_EQ(cmd("RSET"), "250 2.0.0");
  EXPECT_EQ(cmd("AUTH PLAIN " + plain("", "alice@example.test", "pw")), "235 2.7.0");
  EXPECT_EQ(cmd("MAIL FROM:<s@x.test>"), "553 5.7.1");  // now it is a submission
}

TEST_F(SessionTest, SubmissionAuthPlainAndSend) {
  config_.smtpd.allow_plaintext_auth_on_loopback = true;
  start(Port::Submission);
  EXPECT_EQ(auth_line(ehlo()), "AUTH SCRAM-SHA-256 PLAIN LOGIN");
  EXPECT_EQ(cmd("MAIL FROM:<alice@example.test>"), "530 5.7.0");
  EXPECT_EQ(last_line_, "530 5.7.0 Authentication required");
  EXPECT_EQ(cmd("AUTH PLAIN " + plain("", "Alice@Example.test", "pw")), "235 2.7.0");
  EXPECT_EQ(cmd("AUTH PLAIN " + plain("", "alice@example.test", "pw")), "503 5.5.1");
  EXPECT_EQ(cmd("MAIL FROM:<carol@example.test>"), "553 5.7.1");
  EXPECT_EQ(last_line_, "553 5.7.1 Sender address rejected: not owned by user alice@example.test");
  // An alias delivering to alice is hers to send as.
  EXPECT_EQ(cmd("MAIL FROM:<j\xC3\xB6rg@example.test> SMTPUTF8"), "250 2.1.0");
  EXPECT_EQ(cmd("RSET"), "250 2.0.0");
  EXPECT_EQ(cmd("MAIL FROM:<alice@example.test>"), "250 2.1.0");
  EXPECT_EQ(cmd("RCPT TO:<someone@elsewhere.test>"), "250 2.1.5");  // relayed for her
  EXPECT_EQ(cmd("RCPT TO:<nobody@example.test>"), "550 5.1.1");
  EXPECT_EQ(cmd("DATA"), "354");
  EXPECT_EQ(cmd("From: Alice <alice@example.test>\r\nSubject: s\r\n\r\nhi\r\n."), "250 2.0.0");
  auto q = queued();
  ASSERT_EQ(q.size(), 1u);
  const auto& m = q[0];
  EXPECT_EQ(m.envelope.client, "alice@example.test");
  EXPECT_EQ(m.envelope.recipients.at(0).address, "someone@elsewhere.test");
  const std::string& c = m.content;
  EXPECT_NE(c.find("with ESMTPA id " + m.envelope.id), std::string::npos) << c;
  EXPECT_NE(c.find("(authenticated as alice@example.test)"), std::string::npos) << c;
  // RFC 6409 8.2 and 8.3, below the Received header and above the client's fields.
  const size_t date = c.find("\r\nDate: ");
  const size_t id = c.find("\r\nMessage-ID: <" + m.envelope.id + "@mx.example.test>\r\n");
  const size_t from = c.find("\r\nFrom: Alice");
  EXPECT_NE(date, std::string::npos) << c;
  EXPECT_NE(id, std::string::npos) << c;
  EXPECT_LT(date, from);
  EXPECT_LT(id, from);
}

// A hard-bounced address that queued put on the suppression list is refused at RCPT with
// the bounce's status, before it is queued and relayed again; others in the same
// transaction still go. relay.suppression = false keeps the list but does not enforce it.
class SuppressionTest : public SessionTest {
 protected:
  void suppress_and_start(bool enforce) {
    auto policy = relay::open_sending_policy(*dir_ / "sending");
    ASSERT_TRUE(policy.ok()) << policy.error().message;
    owner_ = std::move(*policy);
    ASSERT_TRUE(owner_
                    ->suppress(relay::SuppressionEntry{
                        "gone@elsewhere.test", 1700000000, relay::BounceClass::Hard,
                        "host mx.elsewhere.test[192.0.2.1] said: 550 5.1.2 No such domain", "Q1"})
                    .ok());
    sending_ = owner_.get();
    config_.relay.suppression = enforce;
    config_.smtpd.allow_plaintext_auth_on_loopback = true;
    start(Port::Submission);
    ehlo();
    EXPECT_EQ(cmd("AUTH PLAIN " + plain("", "alice@example.test", "pw")), "235 2.7.0");
    EXPECT_EQ(cmd("MAIL FROM:<alice@example.test>"), "250 2.1.0");
  }
  // A sending-policy store in `name` with alice's `limits`, and alice logged in on 587.
  void limit_and_login(const char* name, std::optional<relay::UserLimits> limits) {
    auto policy = relay::open_sending_policy(*dir_ / name);
    ASSERT_TRUE(policy.ok()) << policy.error().message;
    owner_ = std::move(*policy);
    if (limits) {
      ASSERT_TRUE(owner_->set_user_limits("alice@example.test", *limits).ok());
    }
    sending_ = owner_.get();
    config_.smtpd.allow_plaintext_auth_on_loopback = true;
    start(Port::Submission);
    ehlo();
    EXPECT_EQ(cmd("AUTH PLAIN " + plain("", "alice@example.test", "pw")), "235 2.7.0");
  }
  void TearDown() override {
    SessionTest::TearDown();  // the session ends before the list closes
    owner_.reset();
  }
  std::unique_ptr<relay::SendingPolicy> owner_;
};

TEST_F(SuppressionTest, SuppressedRecipientIsRefusedAtRcpt) {
  suppress_and_start(true);
  EXPECT_EQ(cmd("RCPT TO:<Gone@Elsewhere.TEST>"), "550 5.1.2");
  EXPECT_NE(last_line_.find("recipient suppressed after a hard bounce"), std::string::npos)
      << last_line_;
  EXPECT_EQ(cmd("RCPT TO:<someone@elsewhere.test>"), "250 2.1.5");
  EXPECT_EQ(cmd("DATA"), "354");
  EXPECT_EQ(cmd("From: <alice@example.test>\r\nSubject: s\r\n\r\nhi\r\n."), "250 2.0.0");
  auto q = queued();
  ASSERT_EQ(q.size(), 1u);
  ASSERT_EQ(q[0].envelope.recipients.size(), 1u);
  EXPECT_EQ(q[0].envelope.recipients[0].address, "someone@elsewhere.test");
}

TEST_F(SuppressionTest, SuppressionOffTakesTheRecipient) {
  suppress_and_start(false);
  EXPECT_EQ(cmd("RCPT TO:<gone@elsewhere.test>"), "250 2.1.5");
}

// Per-user sending limits: a user with a limit of 2 messages per hour sends two, then MAIL
// gets 450 4.7.1; a user without a limit (and no default) is never counted.
TEST_F(SuppressionTest, SendingLimitRefusesMailOnceReached) {
  limit_and_login("sending-limit", relay::UserLimits{2, 0});
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(cmd("MAIL FROM:<alice@example.test>"), "250 2.1.0");
    EXPECT_EQ(cmd("RCPT TO:<someone@elsewhere.test>"), "250 2.1.5");
    EXPECT_EQ(cmd("DATA"), "354");
    EXPECT_EQ(cmd("From: <alice@example.test>\r\nSubject: s\r\n\r\nhi\r\n."), "250 2.0.0");
  }
  EXPECT_EQ(cmd("MAIL FROM:<alice@example.test>"), "450 4.7.1");
  EXPECT_NE(last_line_.find("2 messages per hour"), std::string::npos) << last_line_;
  EXPECT_EQ(queued().size(), 2u);
  auto sent = owner_->sent("alice@example.test", std::time(nullptr));
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->last_hour, 2u);
}

TEST_F(SuppressionTest, NoSendingLimitNothingCounted) {
  limit_and_login("sending-nolimit", std::nullopt);
  EXPECT_EQ(cmd("MAIL FROM:<alice@example.test>"), "250 2.1.0");
  EXPECT_EQ(cmd("RCPT TO:<someone@elsewhere.test>"), "250 2.1.5");
  EXPECT_EQ(cmd("DATA"), "354");
  EXPECT_EQ(cmd("From: <alice@example.test>\r\nSubject: s\r\n\r\nhi\r\n."), "250 2.0.0");
  EXPECT_EQ(queued().size(), 1u);
  auto sent = owner_->sent("alice@example.test", std::time(nullptr));
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->last_day, 0u);
}

TEST_F(SessionTest, HeaderAuthorsMustBeTheUsers) {
  config_.smtpd.allow_plaintext_auth_on_loopback = true;
  start(Port::Submission);
  ehlo();
  EXPECT_EQ(cmd("AUTH PLAIN " + plain("", "carol@example.test", "carol-pw")), "235 2.7.0");
  // carol may send as herself, her alias sales@ and team@ (granted), not as alice.
  EXPECT_EQ(cmd("MAIL FROM:<team@example.test>"), "250 2.1.0");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test>"), "250 2.1.5");
  EXPECT_EQ(cmd("DATA"), "354");
  EXPECT_EQ(cmd("From: Alice <alice@example.test>\r\n\r\nhi\r\n."), "550 5.7.1");
  EXPECT_EQ(last_line_, "550 5.7.1 From:/Sender: address not owned by user carol@example.test");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test>"), "503 5.5.1");  // the transaction is over
  // A Sender: that is not hers, beside a From: that is.
  EXPECT_EQ(cmd("MAIL FROM:<carol@example.test>"), "250 2.1.0");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test>"), "250 2.1.5");
  EXPECT_EQ(cmd("DATA"), "354");
  EXPECT_EQ(cmd("From: carol@example.test\r\nSender: alice@example.test\r\n\r\nhi\r\n."),
            "550 5.7.1");
  // An unreadable author is refused, not skipped.
  EXPECT_EQ(cmd("MAIL FROM:<carol@example.test>"), "250 2.1.0");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test>"), "250 2.1.5");
  EXPECT_EQ(cmd("DATA"), "354");
  EXPECT_EQ(cmd("From: carol@example.test, broken\r\n\r\nhi\r\n."), "550 5.7.1");
  EXPECT_EQ(queued_count(), 0u);
  // The null path (vacation replies), the alias, the grant, and a message that has its
  // own Date and Message-ID keeps them.
  EXPECT_EQ(cmd("MAIL FROM:<>"), "250 2.1.0");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test>"), "250 2.1.5");
  EXPECT_EQ(cmd("DATA"), "354");
  EXPECT_EQ(cmd("From: Sales <sales@example.test>, \"Team\" <team@EXAMPLE.test>\r\n"
                "Sender: carol@example.test\r\nDate: Mon, 01 Jan 2024 00:00:00 +0000\r\n"
                "Message-ID: <own@x>\r\n\r\nhi\r\n."),
            "250 2.0.0");
  auto q = queued();
  ASSERT_EQ(q.size(), 1u);
  const std::string& c = q[0].content;
  EXPECT_EQ(c.find("Date: "), c.rfind("Date: ")) << c;
  EXPECT_EQ(c.find("Message-ID: "), c.rfind("Message-ID: ")) << c;
}

TEST_F(SessionTest, HeaderCheckOffAndHiddenUser) {
  config_.smtpd.allow_plaintext_auth_on_loopback = true;
  config_.smtpd.check_header_from = false;
  config_.smtpd.hide_authenticated_user = true;
  start(Port::Submission);
  ehlo();
  EXPECT_EQ(cmd("AUTH PLAIN " + plain("", "carol@example.test", "carol-pw")), "235 2.7.0");
  EXPECT_EQ(cmd("MAIL FROM:<carol@example.test>"), "250 2.1.0");
  EXPECT_EQ(cmd("RCPT TO:<alice@example.test>"), "250 2.1.5");
  EXPECT_EQ(cmd("DATA"), "354");
  EXPECT_EQ(cmd("From: alice@example.test\r\n\r\nhi\r\n."), "250 2.0.0");
  auto q = queued();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_NE(q[0].content.find("with ESMTPA id"), std::string::npos) << q[0].content;
  EXPECT_EQ(q[0].content.find("carol"), std::string::npos) << q[0].content;  // nor Sender:
}

TEST_F(SessionTest, TooManyAuthorAddresses) {
  config_.smtpd.allow_plaintext_auth_on_loopback = true;
  config_.smtpd.max_author_addresses = 2;
  start(Port::Submission);
  ehlo();
  EXPECT_EQ(cmd("AUTH PLAIN " + plain("", "carol@example.test", "carol-pw")), "235 2.7.0");
  for (const char* from : {"carol@example.test, sales@example.test",
                           "carol@example.test, sales@example.test, team@example.test"}) {
    EXPECT_EQ(cmd("MAIL FROM:<carol@example.test>"), "250 2.1.0");
    EXPECT_EQ(cmd("RCPT TO:<alice@example.test>"), "250 2.1.5");
    EXPECT_EQ(cmd("DATA"), "354");
    EXPECT_EQ(cmd("From: " + std::string(from) + "\r\n\r\nhi\r\n."),
              std::string(from).find("team") == std::string::npos ? "250 2.0.0" : "550 5.7.1");
  }
}

TEST_F(SessionTest, AuthExchangesAndFailures) {
  config_.smtpd.allow_plaintext_auth_on_loopback = true;
  config_.smtpd.max_auth_failures = 3;
  start(Port::Submission);
  ehlo();
  // LOGIN's two challenges (RFC 4954 4: "334 <base64>"), then "*" cancels.
  EXPECT_EQ(cmd("AUTH LOGIN"), "334");
  EXPECT_EQ(last_line_, "334 VXNlcm5hbWU6");
  EXPECT_EQ(cmd(base64_encode("alice@example.test")), "334");
  EXPECT_EQ(last_line_, "334 UGFzc3dvcmQ6");
  EXPECT_EQ(cmd("*"), "501 5.7.0");
  // PLAIN without an initial response gets an empty challenge.
  EXPECT_EQ(cmd("AUTH PLAIN"), "334");
  EXPECT_EQ(last_line_, "334 ");
  EXPECT_EQ(cmd("not base64!"), "501 5.5.2");
  EXPECT_EQ(cmd("AUTH PLAIN ==="), "501 5.5.2");
  EXPECT_EQ(cmd("AUTH CRAM-MD5"), "504 5.5.4");
  EXPECT_EQ(cmd("AUTH SCRAM-SHA-256-PLUS"), "504 5.5.4");  // not without TLS 1.3
  // Wrong passwords and a foreign authorization identity: 535, and the third ends it.
  EXPECT_EQ(cmd("AUTH PLAIN " + plain("", "alice@example.test", "wrong")), "535 5.7.8");
  EXPECT_EQ(cmd("AUTH PLAIN " + plain("carol@example.test", "alice@example.test", "pw")),
            "535 5.7.8");
  EXPECT_EQ(cmd("AUTH LOGIN " + base64_encode("nobody@example.test")), "334");
  EXPECT_EQ(cmd(base64_encode("pw")), "535 5.7.8");
  EXPECT_EQ(reply(), "421 4.7.0");
  EXPECT_EQ(reply(), "closed");
}

TEST_F(SessionTest, AuthLoginWithChallengesSucceeds) {
  config_.smtpd.allow_plaintext_auth_on_loopback = true;
  start(Port::Submission);
  ehlo();
  EXPECT_EQ(cmd("AUTH LOGIN"), "334");
  EXPECT_EQ(cmd(base64_encode("alice@example.test")), "334");
  EXPECT_EQ(cmd(base64_encode("pw")), "235 2.7.0");
  EXPECT_EQ(cmd("MAIL FROM:<alice@example.test>"), "250 2.1.0");
}

TEST_F(SessionTest, AuthAnswerLineTooLong) {
  config_.smtpd.allow_plaintext_auth_on_loopback = true;
  start(Port::Submission);
  ehlo();
  EXPECT_EQ(cmd("AUTH PLAIN"), "334");
  EXPECT_EQ(cmd(std::string(1500, 'A')), "500 5.5.6");
  EXPECT_EQ(cmd("NOOP"), "250 2.0.0");
  EXPECT_EQ(cmd("AUTH PLAIN " + plain("", "alice@example.test", "pw")), "235 2.7.0");
}

TEST_F(SessionTest, AuthParameterOnMail) {
  config_.smtpd.allow_plaintext_auth_on_loopback = true;
  start(Port::Submission);
  ehlo();
  EXPECT_EQ(cmd("AUTH PLAIN " + plain("", "alice@example.test", "pw")), "235 2.7.0");
  EXPECT_EQ(cmd("MAIL FROM:<alice@example.test> AUTH=<>"), "250 2.1.0");
  EXPECT_EQ(cmd("RSET"), "250 2.0.0");
  EXPECT_EQ(cmd("MAIL FROM:<alice@example.test> AUTH=alice+40example.test"), "250 2.1.0");
  EXPECT_EQ(cmd("RSET"), "250 2.0.0");
  // Someone else's mailbox is accepted and treated as AUTH=<> (RFC 4954 5).
  EXPECT_EQ(cmd("MAIL FROM:<alice@example.test> AUTH=carol@example.test"), "250 2.1.0");
  EXPECT_EQ(cmd("RSET"), "250 2.0.0");
  EXPECT_EQ(cmd("MAIL FROM:<alice@example.test> AUTH=bad+ZZ"), "501 5.5.4");
  EXPECT_EQ(cmd("MAIL FROM:<alice@example.test> AUTH="), "501 5.5.4");
}

TEST_F(SessionTest, ScramSha256OverSmtp) {
  config_.smtpd.allow_plaintext_auth_on_loopback = true;
  start(Port::Submission);
  ehlo();
  auth::sasl::ScramTestClient client;
  client.bare = "n=alice@example.test,r=smtpclientnonce";
  client.password = "pw";
  EXPECT_EQ(cmd("AUTH SCRAM-SHA-256 " + base64_encode(client.first())), "334");
  const std::string server_first = base64_decode(last_line_.substr(4)).value_or("");
  ASSERT_EQ(server_first.rfind("r=smtpclientnonce", 0), 0u) << server_first;
  EXPECT_EQ(cmd(base64_encode(client.final(server_first))), "334");
  EXPECT_EQ(base64_decode(last_line_.substr(4)).value_or(""), client.expected_server_signature);
  EXPECT_EQ(cmd(""), "235 2.7.0");
}

}  // namespace
}  // namespace mail::smtpd
