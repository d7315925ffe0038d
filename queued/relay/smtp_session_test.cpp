#include "queued/relay/smtp_session.h"

#include <gtest/gtest.h>

#include "queued/relay/test_smtp_server.h"

namespace mail::relay {
namespace {

namespace asio = net::asio;
using namespace fake;
using namespace std::chrono_literals;

const std::string kEhloFull =
    "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 100000\r\n250-8BITMIME\r\n250-DSN\r\n"
    "250-SMTPUTF8\r\n250-CHUNKING\r\n250-BINARYMIME\r\n250 ENHANCEDSTATUSCODES";
const std::string kMessage = "Subject: t\r\n\r\nline\r\n.starts with a dot\r\n";

OutgoingMessage outgoing(std::vector<std::string> to, std::string_view content = kMessage) {
  OutgoingMessage m;
  m.sender = "a@example.org";
  for (auto& t : to) m.recipients.push_back(OutgoingRecipient{t, 0, ""});
  m.content = content;
  m.traits = inspect_message(content);
  return m;
}

SessionSettings settings() {
  SessionSettings s;
  s.helo_name = "relay.test";
  s.tls = TlsPolicy::None;
  s.timeouts.greeting = 2s;
  s.timeouts.command = 2s;
  s.timeouts.mail = 2s;
  s.timeouts.rcpt = 2s;
  s.timeouts.data_init = 2s;
  s.timeouts.data_block = 2s;
  s.timeouts.data_done = 2s;
  s.timeouts.tls = 2s;
  return s;
}

// Connects to the server and runs `body` with an SmtpSession on the connection.
template <typename Body>
void with_session(asio::io_context& io, uint16_t port, const SessionSettings& s, Body& body) {
  auto task = [&]() -> net::awaitable<void> {
    auto conn = co_await net::ClientConnection::connect(
        io.get_executor(), net::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), {});
    EXPECT_TRUE(conn.ok());
    if (!conn.ok()) co_return;
    SmtpSession session(**conn, s, "mx.test");
    co_await body(session);
  };
  asio::co_spawn(io, task(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
}

TEST(SmtpSessionTest, PipelinedTransactionRecordsEveryRecipient) {
  asio::io_context io;
  ScriptedServer server(
      io, {{send("220 mx.test ESMTP"), expect("EHLO relay.test"), send(kEhloFull),
            expect("MAIL FROM:<a@example.org> SIZE=40"),
            expect("RCPT TO:<b@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;B@example.net"),
            expect("RCPT TO:<c@example.net>"),
            send("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 <c@example.net>: User unknown"),
            expect("DATA"), send("354 go"), take_message(), send("250 2.0.0 Ok: queued as X"),
            expect("QUIT"), send("221 2.0.0 Bye")}});
  auto s = settings();
  OpenResult opened;
  TransactionResult result;
  auto body = [&](SmtpSession& session) -> net::awaitable<void> {
    opened = co_await session.open();
    auto m = outgoing({"b@example.net", "c@example.net"});
    m.recipients[0].notify = queue::kNotifySuccess | queue::kNotifyFailure;
    m.recipients[0].orcpt = "rfc822;B@example.net";
    result = co_await session.send(m);
    co_await session.quit();
  };
  with_session(io, server.port(), s, body);
  EXPECT_EQ(server.mismatch, "");
  ASSERT_TRUE(opened.ok) << reply_text(opened.reply);
  ASSERT_EQ(result.recipients.size(), 2u);
  EXPECT_EQ(result.recipients[0].verdict, Verdict::Delivered);
  EXPECT_EQ(reply_text(result.recipients[0].reply), "250 2.0.0 Ok: queued as X");
  EXPECT_EQ(result.recipients[0].stage, "end of DATA");
  EXPECT_TRUE(result.recipients[0].remote);
  EXPECT_EQ(result.recipients[1].verdict, Verdict::Permanent);
  EXPECT_EQ(result.recipients[1].reply.enhanced, "5.1.1");
  EXPECT_EQ(result.recipients[1].stage, "RCPT TO");
  EXPECT_TRUE(result.reusable);
  ASSERT_EQ(server.messages.size(), 1u);
  EXPECT_EQ(server.messages[0], "Subject: t\r\n\r\nline\r\n..starts with a dot\r\n");
}

TEST(SmtpSessionTest, SecondMessageOnTheConnectionStartsWithRset) {
  asio::io_context io;
  ScriptedServer server(
      io, {{send("220 mx.test"), expect("EHLO"), send(kEhloFull), expect("MAIL"), expect("RCPT"),
            send("250 2.1.0 Ok\r\n250 2.1.5 Ok"), expect("DATA"), send("354 go"), take_message(),
            send("250 2.0.0 one"), expect("RSET"), expect("MAIL"), expect("RCPT"),
            send("250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok"), expect("DATA"), send("354 go"),
            take_message(), send("250 2.0.0 two")}});
  std::vector<TransactionResult> results;
  auto body = [&](SmtpSession& session) -> net::awaitable<void> {
    co_await session.open();
    {
      auto m = outgoing({"b@example.net"});
      auto r = co_await session.send(m);
      results.push_back(std::move(r));
    }
    {
      auto m = outgoing({"c@example.net"});
      auto r = co_await session.send(m);
      results.push_back(std::move(r));
    }
  };
  auto s = settings();
  with_session(io, server.port(), s, body);
  EXPECT_EQ(server.mismatch, "");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1].recipients[0].verdict, Verdict::Delivered);
  EXPECT_EQ(results[1].recipients[0].reply.lines[0], "two");
  EXPECT_EQ(server.messages.size(), 2u);
}

TEST(SmtpSessionTest, HeloFallbackAndNoEightBitMime) {
  asio::io_context io;
  ScriptedServer server(
      io, {{send("220 old.test"), expect("EHLO"), send("502 5.5.1 what?"),
            expect("HELO relay.test"), send("250 old.test"), expect("MAIL FROM:<a@example.org>"),
            send("250 Ok"), expect("RCPT TO:<b@example.net>"), send("250 Ok"), expect("DATA"),
            send("354 go"), take_message(), send("250 Ok"), expect("QUIT"), send("221 Bye")}});
  std::vector<TransactionResult> results;
  const std::string eight = "Subject: caf\xC3\xA9\r\n\r\nx\r\n";
  auto body = [&](SmtpSession& session) -> net::awaitable<void> {
    auto o = co_await session.open();
    EXPECT_TRUE(o.ok);
    EXPECT_FALSE(session.capabilities().esmtp);
    {
      auto m = outgoing({"b@example.net"}, eight);
      auto r = co_await session.send(m);
      results.push_back(std::move(r));
    }
    {
      auto m = outgoing({"b@example.net"});
      auto r = co_await session.send(m);
      results.push_back(std::move(r));
    }
    co_await session.quit();
  };
  auto s = settings();
  with_session(io, server.port(), s, body);
  EXPECT_EQ(server.mismatch, "");
  ASSERT_EQ(results.size(), 2u);
  // RFC 6152: 8-bit content to a server without 8BITMIME bounces, nothing is sent.
  EXPECT_EQ(results[0].recipients[0].verdict, Verdict::Permanent);
  EXPECT_EQ(results[0].recipients[0].reply.enhanced, "5.6.3");
  EXPECT_FALSE(results[0].recipients[0].remote);
  EXPECT_EQ(results[1].recipients[0].verdict, Verdict::Delivered);
  // No ESMTP: no SIZE or BODY parameter, no pipelining.
  EXPECT_EQ(server.commands[2], "MAIL FROM:<a@example.org>");
}

TEST(SmtpSessionTest, SizeAndSmtputf8AreCheckedBeforeAnyCommand) {
  asio::io_context io;
  ScriptedServer server(
      io, {{send("220 mx.test"), expect("EHLO"), send("250-mx.test\r\n250-SIZE 50\r\n250 8BITMIME"),
            expect("QUIT"), send("221 Bye")}});
  std::vector<TransactionResult> results;
  auto body = [&](SmtpSession& session) -> net::awaitable<void> {
    co_await session.open();
    const std::string big(51, 'x');
    {
      auto m = outgoing({"b@example.net"}, big);
      auto r = co_await session.send(m);
      results.push_back(std::move(r));
    }
    auto utf8 = outgoing({"b@example.net"});
    utf8.sender = "j\xC3\xB6rg@example.org";
    utf8.smtputf8 = true;
    results.push_back(co_await session.send(utf8));
    co_await session.quit();
  };
  auto s = settings();
  with_session(io, server.port(), s, body);
  EXPECT_EQ(server.mismatch, "");
  EXPECT_EQ(server.commands.size(), 2u);  // EHLO and QUIT only
  EXPECT_EQ(results[0].recipients[0].reply.code, 552);
  EXPECT_EQ(results[0].recipients[0].reply.enhanced, "5.3.4");
  EXPECT_EQ(results[1].recipients[0].reply.code, 553);
  EXPECT_EQ(results[1].recipients[0].reply.enhanced, "5.6.7");
}

TEST(SmtpSessionTest, OnlyTheUtf8RecipientFailsWithoutSmtputf8) {
  asio::io_context io;
  ScriptedServer server(
      io,
      {{send("220 mx.test"), expect("EHLO"), send("250-mx.test\r\n250 PIPELINING"),
        expect("MAIL FROM:<a@example.org>"), expect("RCPT TO:<b@example.net>"),
        send("250 Ok\r\n250 Ok"), expect("DATA"), send("354 go"), take_message(), send("250 Ok")}});
  TransactionResult result;
  auto body = [&](SmtpSession& session) -> net::awaitable<void> {
    co_await session.open();
    auto m = outgoing({"m\xC3\xBCller@example.net", "b@example.net"});
    m.smtputf8 = true;
    result = co_await session.send(m);
  };
  auto s = settings();
  with_session(io, server.port(), s, body);
  EXPECT_EQ(server.mismatch, "");
  EXPECT_EQ(result.recipients[0].reply.enhanced, "5.6.7");
  EXPECT_EQ(result.recipients[1].verdict, Verdict::Delivered);
}

TEST(SmtpSessionTest, BinaryMimeGoesAsBdat) {
  asio::io_context io;
  const std::string binary = std::string("Subject: b\r\n\r\n\x00\x01\n\r", 18);
  ScriptedServer server(io, {{send("220 mx.test"), expect("EHLO"), send(kEhloFull),
                              expect("MAIL FROM:<a@example.org> SIZE=18 BODY=BINARYMIME"),
                              expect("RCPT"), send("250 Ok\r\n250 Ok"), expect("BDAT 18 LAST")}});
  TransactionResult result;
  auto body = [&](SmtpSession& session) -> net::awaitable<void> {
    co_await session.open();
    auto m = outgoing({"b@example.net"}, binary);
    m.body = queue::BodyType::BinaryMime;
    result = co_await session.send(m);
  };
  auto s = settings();
  with_session(io, server.port(), s, body);
  EXPECT_EQ(server.mismatch, "");
  // The server hung up after BDAT: a temporary failure, never a loss.
  EXPECT_EQ(result.recipients[0].verdict, Verdict::Temporary);
  EXPECT_FALSE(result.reusable);
}

TEST(SmtpSessionTest, TimeoutWaitingForAReply) {
  asio::io_context io;
  ScriptedServer server(io, {{send("220 mx.test"), expect("EHLO"), send(kEhloFull), stall()}});
  auto s = settings();
  s.timeouts.mail = 1s;
  TransactionResult result;
  auto start = std::chrono::steady_clock::now();
  auto body = [&](SmtpSession& session) -> net::awaitable<void> {
    co_await session.open();
    auto msg = outgoing({"b@example.net"});
    result = co_await session.send(msg);
  };
  with_session(io, server.port(), s, body);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(result.recipients[0].verdict, Verdict::Temporary);
  EXPECT_EQ(result.recipients[0].reply.enhanced, "4.4.2");
  EXPECT_NE(
      reply_text(result.recipients[0].reply).find("timed out waiting for the reply to MAIL FROM"),
      std::string::npos);
  EXPECT_FALSE(result.reusable);
}

TEST(SmtpSessionTest, ConnectionLostAfterDataIsTemporary) {
  asio::io_context io;
  ScriptedServer server(
      io, {{send("220 mx.test"), expect("EHLO"), send(kEhloFull), expect("MAIL"), expect("RCPT"),
            send("250 Ok\r\n250 Ok"), expect("DATA"), send("354 go"), close()}});
  TransactionResult result;
  auto body = [&](SmtpSession& session) -> net::awaitable<void> {
    co_await session.open();
    auto msg = outgoing({"b@example.net"});
    result = co_await session.send(msg);
  };
  auto s = settings();
  with_session(io, server.port(), s, body);
  EXPECT_EQ(result.recipients[0].verdict, Verdict::Temporary);
  EXPECT_NE(result.recipients[0].stage.find("DATA"), std::string::npos);
  EXPECT_FALSE(result.reusable);
}

TEST(SmtpSessionTest, ServiceClosingAtRcptEndsTheConnection) {
  asio::io_context io;
  ScriptedServer server(
      io, {{send("220 mx.test"), expect("EHLO"), send(kEhloFull), expect("MAIL"), expect("RCPT"),
            expect("RCPT"), send("250 Ok\r\n421 4.7.0 too busy\r\n")}});
  TransactionResult result;
  auto body = [&](SmtpSession& session) -> net::awaitable<void> {
    co_await session.open();
    auto msg = outgoing({"b@example.net", "c@example.net"});
    result = co_await session.send(msg);
  };
  auto s = settings();
  with_session(io, server.port(), s, body);
  EXPECT_EQ(result.recipients[0].verdict, Verdict::Temporary);
  EXPECT_EQ(result.recipients[1].verdict, Verdict::Temporary);
  EXPECT_FALSE(result.reusable);
}

TEST(SmtpSessionTest, RefusedGreetings) {
  for (const auto& [greeting, permanent] :
       {std::pair{"554 5.7.1 go away", false}, std::pair{"521 5.3.2 no mail here", true},
        std::pair{"421 4.3.2 busy", false}}) {
    asio::io_context io;
    ScriptedServer server(io, {{send(greeting), expect("QUIT"), send("221 Bye")}});
    OpenResult opened;
    auto body = [&](SmtpSession& session) -> net::awaitable<void> {
      opened = co_await session.open();
    };
    auto s = settings();
    with_session(io, server.port(), s, body);
    EXPECT_FALSE(opened.ok);
    EXPECT_TRUE(opened.remote);
    EXPECT_EQ(opened.permanent, permanent) << greeting;
  }
}

TEST(SmtpSessionTest, RequiredTlsNotOffered) {
  asio::io_context io;
  ScriptedServer server(io, {{send("220 mx.test"), expect("EHLO"), send(kEhloFull), expect("QUIT"),
                              send("221 Bye")}});
  auto client = net::make_client_tls_context();
  auto s = settings();
  s.tls = TlsPolicy::Encrypt;
  s.tls_context = client->get();
  OpenResult opened;
  auto body = [&](SmtpSession& session) -> net::awaitable<void> {
    opened = co_await session.open();
  };
  with_session(io, server.port(), s, body);
  EXPECT_FALSE(opened.ok);
  EXPECT_EQ(opened.reply.enhanced, "4.7.4");
  EXPECT_FALSE(opened.permanent);
}

TEST(SmtpSessionTest, StartTlsThenAuthPlain) {
  asio::io_context io;
  auto cert = make_test_cert("mx.test");
  ScriptedServer server(
      io,
      {{send("220 mx.test"), expect("EHLO"),
        send("250-mx.test\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN"), expect("STARTTLS"),
        send("220 2.0.0 go ahead"), start_tls(), expect("EHLO relay.test"),
        send("250-mx.test\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN"),
        expect("AUTH PLAIN AHVzZXIAcGFzcw=="), send("235 2.7.0 ok"), expect("MAIL"), expect("RCPT"),
        send("250 Ok\r\n250 Ok"), expect("DATA"), send("354 go"), take_message(),
        send("250 2.0.0 Ok")}},
      server_context(cert));
  auto client = net::make_client_tls_context();
  auto s = settings();
  s.tls = TlsPolicy::Encrypt;
  s.tls_context = client->get();
  s.auth = std::make_shared<Credentials>(Credentials{"user", "pass"});
  OpenResult opened;
  TransactionResult result;
  bool tls = false;
  auto body = [&](SmtpSession& session) -> net::awaitable<void> {
    opened = co_await session.open();
    tls = session.tls();
    EXPECT_FALSE(session.tls_info().verified);      // self-signed, not in the trust store
    EXPECT_FALSE(session.capabilities().starttls);  // the second EHLO's keywords only
    auto msg = outgoing({"b@example.net"});
    if (opened.ok) result = co_await session.send(msg);
  };
  with_session(io, server.port(), s, body);
  EXPECT_EQ(server.mismatch, "");
  ASSERT_TRUE(opened.ok) << reply_text(opened.reply);
  EXPECT_TRUE(tls);
  EXPECT_EQ(result.recipients[0].verdict, Verdict::Delivered);
}

TEST(SmtpSessionTest, AuthLoginWhenPlainIsNotOfferedAndFailureIsTemporary) {
  asio::io_context io;
  auto cert = make_test_cert("mx.test");
  ScriptedServer server(
      io,
      {{send("220 mx.test"), expect("EHLO"), send("250-mx.test\r\n250 STARTTLS"),
        expect("STARTTLS"), send("220 go"), start_tls(), expect("EHLO"),
        send("250-mx.test\r\n250 AUTH LOGIN"), expect("AUTH LOGIN"), send("334 VXNlcm5hbWU6"),
        expect("dXNlcg=="), send("334 UGFzc3dvcmQ6"), expect("cGFzcw=="),
        send("535 5.7.8 bad credentials"), expect("QUIT"), send("221 Bye")}},
      server_context(cert));
  auto client = net::make_client_tls_context();
  auto s = settings();
  s.tls = TlsPolicy::Encrypt;
  s.tls_context = client->get();
  s.auth = std::make_shared<Credentials>(Credentials{"user", "pass"});
  OpenResult opened;
  auto body = [&](SmtpSession& session) -> net::awaitable<void> {
    opened = co_await session.open();
  };
  with_session(io, server.port(), s, body);
  EXPECT_EQ(server.mismatch, "");
  EXPECT_FALSE(opened.ok);
  EXPECT_FALSE(opened.permanent);
  EXPECT_EQ(opened.reply.code, 454);
  EXPECT_NE(reply_text(opened.reply).find("535 5.7.8 bad credentials"), std::string::npos);
}

TEST(SmtpSessionTest, VerifyPolicyChecksTheCertificateName) {
  for (const auto& [name, ok] : {std::pair{"mx.test", true}, std::pair{"other.test", false}}) {
    asio::io_context io;
    auto cert = make_test_cert("mx.test");
    ScriptedServer server(
        io,
        {{send("220 mx.test"), expect("EHLO"), send("250-mx.test\r\n250 STARTTLS"),
          expect("STARTTLS"), send("220 go"), start_tls(), expect("EHLO"), send("250 mx.test")}},
        server_context(cert));
    auto client = net::make_client_tls_context();
    ASSERT_TRUE(client.ok());
    X509_STORE_add_cert(SSL_CTX_get_cert_store((*client)->native_handle()), cert.cert.get());
    auto s = settings();
    s.tls = TlsPolicy::Verify;
    s.tls_context = client->get();
    OpenResult opened;
    bool verified = false;
    auto task = [&]() -> net::awaitable<void> {
      auto conn = co_await net::ClientConnection::connect(
          io.get_executor(), net::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()),
          {});
      SmtpSession session(**conn, s, name);
      opened = co_await session.open();
      verified = session.tls_info().verified;
    };
    asio::co_spawn(io, task(), asio::detached);
    io.run();
    EXPECT_EQ(opened.ok, ok) << name << ": " << reply_text(opened.reply);
    if (ok) {
      EXPECT_TRUE(verified);
    } else {
      EXPECT_EQ(opened.reply.enhanced, "4.7.5");
      EXPECT_NE(reply_text(opened.reply).find("certificate verification failed"),
                std::string::npos);
      EXPECT_TRUE(opened.tls_failed);
    }
  }
}

TEST(SmtpSessionTest, ProbeOfADeadCachedConnectionIsStale) {
  asio::io_context io;
  ScriptedServer server(io, {{send("220 mx.test"), expect("EHLO"), send(kEhloFull), close()}});
  TransactionResult result;
  auto body = [&](SmtpSession& session) -> net::awaitable<void> {
    co_await session.open();
    auto msg = outgoing({"b@example.net"});
    result = co_await session.send(msg, true);
  };
  auto s = settings();
  with_session(io, server.port(), s, body);
  EXPECT_TRUE(result.stale);
  EXPECT_FALSE(result.reusable);
}

TEST(SmtpSessionTest, DsnParametersOnlyWhenOffered) {
  asio::io_context io;
  ScriptedServer server(
      io,
      {{send("220 mx.test"), expect("EHLO"), send("250-mx.test\r\n250 PIPELINING"),
        expect("MAIL FROM:<a@example.org>"), expect("RCPT TO:<b@example.net>"),
        send("250 Ok\r\n250 Ok"), expect("DATA"), send("354 go"), take_message(), send("250 Ok")}});
  auto body = [&](SmtpSession& session) -> net::awaitable<void> {
    co_await session.open();
    auto m = outgoing({"b@example.net"});
    m.ret = queue::DsnRet::Headers;
    m.envid = "E1";
    m.recipients[0].notify = queue::kNotifySuccess;
    co_await session.send(m);
  };
  auto s = settings();
  with_session(io, server.port(), s, body);
  EXPECT_EQ(server.mismatch, "");
  EXPECT_EQ(server.commands[1], "MAIL FROM:<a@example.org>");
  EXPECT_EQ(server.commands[2], "RCPT TO:<b@example.net>");
}

}  // namespace
}  // namespace mail::relay
