// Test helpers: a scripted SMTP server on a loopback port (each step sends a reply,
// expects a command, takes a message, starts TLS, stalls or hangs up) and a throw-away
// self-signed certificate made in memory. For the relay's unit tests only.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/net/asio.h"

namespace mail::relay::fake {

namespace asio = net::asio;
namespace ssl = net::ssl;

struct Step {
  enum Kind { Send, Expect, Message, StartTls, Close, Stall } kind;
  std::string text;  // Send: the reply; Expect: the command's prefix; Stall: ignored
};
inline Step send(std::string text) {
  return {Step::Send, std::move(text)};
}
inline Step expect(std::string prefix) {
  return {Step::Expect, std::move(prefix)};
}
inline Step take_message() {
  return {Step::Message, ""};
}  // DATA lines up to "."
inline Step start_tls() {
  return {Step::StartTls, ""};
}
inline Step close() {
  return {Step::Close, ""};
}
inline Step stall() {
  return {Step::Stall, ""};
}  // reads nothing until the client leaves

// A certificate for `name`, self-signed, valid for an hour.
struct TestCert {
  std::shared_ptr<EVP_PKEY> key;
  std::shared_ptr<X509> cert;
};

inline TestCert make_test_cert(const std::string& name) {
  TestCert c;
  c.key.reset(EVP_EC_gen("P-256"), EVP_PKEY_free);
  c.cert.reset(X509_new(), X509_free);
  X509* x = c.cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, c.key.get());
  X509_NAME* subject = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, subject);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
  const std::string san = "DNS:" + name;
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, san.c_str());
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(x, c.key.get(), EVP_sha256());
  return c;
}

inline std::shared_ptr<ssl::context> server_context(const TestCert& c) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX_use_certificate(ctx->native_handle(), c.cert.get());
  SSL_CTX_use_PrivateKey(ctx->native_handle(), c.key.get());
  return ctx;
}

// Runs `steps` against each accepted connection in turn (one script per connection).
class ScriptedServer {
 public:
  ScriptedServer(asio::io_context& io, std::vector<std::vector<Step>> scripts,
                 std::shared_ptr<ssl::context> tls = nullptr, const char* address = "127.0.0.1",
                 uint16_t port = 0)
      : acceptor_(io, net::tcp::endpoint(asio::ip::make_address(address), port)),
        scripts_(std::move(scripts)),
        tls_(std::move(tls)) {
    asio::co_spawn(io, run(), asio::detached);
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  std::vector<std::string> commands;  // every line read outside a message
  std::vector<std::string> messages;  // the DATA payloads, as received (still stuffed)
  std::string mismatch;               // the first expectation that failed
  int connections = 0;

 private:
  asio::awaitable<void> run() {
    for (auto& script : scripts_) {
      auto [ec, socket] = co_await acceptor_.async_accept(net::use_nothrow);
      if (ec) co_return;
      ++connections;
      co_await serve(std::move(socket), script);
    }
  }

  template <typename Stream>
  static asio::awaitable<bool> read_line(Stream& s, std::string& buffer, std::string& line) {
    for (;;) {
      const size_t lf = buffer.find('\n');
      if (lf != std::string::npos) {
        line = buffer.substr(0, lf);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        buffer.erase(0, lf + 1);
        co_return true;
      }
      char chunk[4096];
      auto [ec, n] = co_await s.async_read_some(asio::buffer(chunk), net::use_nothrow);
      if (ec) co_return false;
      buffer.append(chunk, n);
    }
  }

  template <typename Stream>
  asio::awaitable<bool> step(Stream& s, std::string& buffer, const Step& st) {
    std::string line;
    switch (st.kind) {
      case Step::Send: {
        const std::string out = st.text + "\r\n";
        auto [ec, n] = co_await asio::async_write(s, asio::buffer(out), net::use_nothrow);
        co_return !ec;
      }
      case Step::Expect:
        if (!co_await read_line(s, buffer, line)) co_return false;
        commands.push_back(line);
        if (line.rfind(st.text, 0) != 0 && mismatch.empty())
          mismatch = "expected \"" + st.text + "\", got \"" + line + "\"";
        co_return true;
      case Step::Message: {
        std::string data;
        for (;;) {
          if (!co_await read_line(s, buffer, line)) co_return false;
          if (line == ".") break;
          data += line + "\r\n";
        }
        messages.push_back(data);
        co_return true;
      }
      case Step::Stall: {
        char chunk[256];
        for (;;) {
          auto [ec, n] = co_await s.async_read_some(asio::buffer(chunk), net::use_nothrow);
          if (ec) co_return false;
        }
      }
      case Step::Close:
      case Step::StartTls:
        co_return false;  // handled by serve()
    }
    co_return false;
  }

  asio::awaitable<void> serve(net::tcp::socket socket, const std::vector<Step>& script) {
    std::string buffer;
    size_t i = 0;
    for (; i < script.size(); ++i) {
      if (script[i].kind == Step::Close) co_return;
      if (script[i].kind == Step::StartTls) break;
      if (!co_await step(socket, buffer, script[i])) co_return;
    }
    if (i == script.size() || !tls_) co_return;
    ssl::stream<net::tcp::socket> tls(std::move(socket), *tls_);
    auto [ec] = co_await tls.async_handshake(ssl::stream_base::server, net::use_nothrow);
    if (ec) co_return;
    buffer.clear();
    for (++i; i < script.size(); ++i) {
      if (script[i].kind == Step::Close) co_return;
      if (!co_await step(tls, buffer, script[i])) co_return;
    }
  }

  net::tcp::acceptor acceptor_;
  std::vector<std::vector<Step>> scripts_;
  std::shared_ptr<ssl::context> tls_;
};

}  // namespace mail::relay::fake
