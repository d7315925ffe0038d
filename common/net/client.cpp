#include "common/net/client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <tuple>
#include <variant>

namespace mail::net {
namespace {

using ReadResult = std::variant<std::tuple<boost::system::error_code, size_t>,
                                std::tuple<boost::system::error_code>>;

std::string endpoint_text(const tcp::endpoint& e) {
  const auto a = e.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(e.port());
}

}  // namespace

Result<std::shared_ptr<ssl::context>> make_client_tls_context(
    const std::filesystem::path& ca_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(ca_file.string(), ec);
  }
  if (ec)
    return make_error(ErrorKind::Invalid,
                      "CA certificates " +
                          (ca_file.empty() ? std::string("(system)") : ca_file.string()) + ": " +
                          ec.message());
  ctx->set_verify_mode(ssl::verify_none);  // per connection: ClientTlsOptions::verify
  return ctx;
}

ClientConnection::ClientConnection(tcp::socket socket, tcp::endpoint remote, size_t max_line)
    : plain_(std::move(socket)),
      timer_(plain_.get_executor()),
      remote_(std::move(remote)),
      input_(max_line) {
  boost::system::error_code ec;
  plain_.set_option(tcp::no_delay(true), ec);
}

ClientConnection::~ClientConnection() {
  close();
}

awaitable<Result<std::unique_ptr<ClientConnection>>> ClientConnection::connect(
    asio::any_io_executor executor, tcp::endpoint to, ConnectOptions options) {
  const std::string where = endpoint_text(to);
  tcp::socket socket(executor);
  boost::system::error_code ec;
  socket.open(to.protocol(), ec);
  if (!ec && options.source) {
    if (options.source->is_v4() != to.address().is_v4()) {
      co_return make_error(ErrorKind::Invalid, "connect " + where + ": source address " +
                                                   options.source->to_string() +
                                                   " is of the other address family");
    }
    socket.bind(tcp::endpoint(*options.source, 0), ec);
  }
  if (ec) co_return make_error(ErrorKind::Temporary, "connect " + where + ": " + ec.message());
  asio::steady_timer timer(executor);
  timer.expires_after(options.timeout);
  auto result = co_await (socket.async_connect(to, use_nothrow) || timer.async_wait(use_nothrow));
  if (result.index() == 1)
    co_return make_error(ErrorKind::Temporary, "connect " + where + ": timed out");
  if (auto [error] = std::get<0>(result); error)
    co_return make_error(ErrorKind::Temporary, "connect " + where + ": " + error.message());
  co_return std::unique_ptr<ClientConnection>(
      new ClientConnection(std::move(socket), to, options.max_line));
}

awaitable<ReadStatus> ClientConnection::read_line(std::string& line, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    switch (input_.next_line(line)) {
      case LineBuffer::Status::Line:
        co_return ReadStatus::Ok;
      case LineBuffer::Status::TooLong:
        co_return ReadStatus::TooLong;
      case LineBuffer::Status::NeedMore:
        break;
    }
    if (!output_.empty() && !co_await flush(timeout)) co_return ReadStatus::Closed;
    if (closed_) co_return ReadStatus::Closed;
    if (std::chrono::steady_clock::now() >= deadline) co_return ReadStatus::Timeout;
    auto space = input_.prepare(16 * 1024);
    auto buffer = asio::buffer(space.data(), space.size());
    timer_.expires_at(deadline);
    ReadResult result;
    if (tls_) {
      result =
          co_await (tls_->async_read_some(buffer, use_nothrow) || timer_.async_wait(use_nothrow));
    } else {
      result =
          co_await (plain_.async_read_some(buffer, use_nothrow) || timer_.async_wait(use_nothrow));
    }
    if (result.index() == 1) {
      input_.commit(0);
      co_return ReadStatus::Timeout;
    }
    auto [ec, n] = std::get<0>(result);
    input_.commit(n);
    if (n == 0 && ec) {
      close();
      co_return ReadStatus::Closed;
    }
  }
}

awaitable<bool> ClientConnection::write_all(std::string_view bytes, std::chrono::seconds timeout) {
  if (closed_) co_return false;
  if (bytes.empty()) co_return true;
  timer_.expires_after(timeout);
  ReadResult result;  // same shape: (error, octets) or the timer's (error)
  auto buffer = asio::buffer(bytes.data(), bytes.size());
  if (tls_) {
    result =
        co_await (asio::async_write(*tls_, buffer, use_nothrow) || timer_.async_wait(use_nothrow));
  } else {
    result =
        co_await (asio::async_write(plain_, buffer, use_nothrow) || timer_.async_wait(use_nothrow));
  }
  if (result.index() == 1 || std::get<0>(std::get<0>(result))) {
    close();
    co_return false;
  }
  co_return true;
}

awaitable<bool> ClientConnection::flush(std::chrono::seconds timeout) {
  if (output_.empty()) co_return !closed_;
  std::string pending;
  pending.swap(output_);
  const bool written = co_await write_all(pending, timeout);
  co_return written;
}

awaitable<bool> ClientConnection::write(std::string_view bytes, std::chrono::seconds timeout) {
  if (!co_await flush(timeout)) co_return false;
  const bool written = co_await write_all(bytes, timeout);
  co_return written;
}

awaitable<Result<void>> ClientConnection::start_tls(ssl::context& context,
                                                    const ClientTlsOptions& options) {
  if (tls_ || closed_) co_return make_error(ErrorKind::Invalid, "TLS already active or closed");
  if (!co_await flush(options.timeout))
    co_return make_error(ErrorKind::Temporary, "connection lost before the TLS handshake");
  input_.clear();
  tls_.emplace(std::move(plain_), context);
  SSL* ssl = tls_->native_handle();
  const std::string& name = options.server_name;
  boost::system::error_code ec;
  bool literal = false;
  if (!name.empty()) {
    asio::ip::make_address(name, ec);
    literal = !ec;
  }
  if (!name.empty()) {
    if (literal) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl, name.c_str());  // SNI: never an address literal
      SSL_set1_host(ssl, name.c_str());
    }
  }
  // Without `verify` OpenSSL still checks the chain and the name and records the result
  // (tls_info().verified), but completes the handshake whatever it is.
  SSL_set_verify(ssl, options.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  timer_.expires_after(options.timeout);
  auto result = co_await (tls_->async_handshake(ssl::stream_base::client, use_nothrow) ||
                          timer_.async_wait(use_nothrow));
  if (result.index() == 1) {
    close();
    co_return make_error(ErrorKind::Temporary, "TLS handshake timed out");
  }
  if (auto [error] = std::get<0>(result); error) {
    std::string why = error.message();
    const long verify = SSL_get_verify_result(ssl);
    if (options.verify && verify != X509_V_OK)
      why =
          std::string("certificate verification failed: ") + X509_verify_cert_error_string(verify);
    close();
    co_return make_error(ErrorKind::Temporary, "TLS handshake failed: " + why);
  }
  co_return Result<void>{};
}

ClientTlsInfo ClientConnection::tls_info() const {
  ClientTlsInfo info;
  if (!tls_) return info;
  SSL* ssl = const_cast<ssl::stream<tcp::socket>&>(*tls_).native_handle();
  info.version = SSL_get_version(ssl);
  if (const char* c = SSL_get_cipher_name(ssl)) info.cipher = c;
  X509* peer = SSL_get1_peer_certificate(ssl);
  const long verify = SSL_get_verify_result(ssl);
  info.verified = peer && verify == X509_V_OK;
  if (!peer) {
    info.verify_error = "no peer certificate";
  } else if (verify != X509_V_OK) {
    info.verify_error = X509_verify_cert_error_string(verify);
  }
  X509_free(peer);
  return info;
}

std::string ClientConnection::local_address() const {
  boost::system::error_code ec;
  auto local = const_cast<ClientConnection*>(this)->socket().local_endpoint(ec);
  return ec ? std::string() : local.address().to_string();
}

void ClientConnection::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  timer_.cancel();
  socket().shutdown(tcp::socket::shutdown_both, ec);
  socket().close(ec);
}

}  // namespace mail::net
