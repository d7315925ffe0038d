// The client side of a TCP connection, as the SMTP relay client uses it: connect with a
// deadline (optionally from a chosen source address, for senders with a dedicated IP), an
// upgrade to TLS in the middle (STARTTLS) with SNI and optional certificate verification
// against a host name, lines read through a bounded buffer with a deadline per read, and
// writes with a deadline per call.
//
// Trusts nothing it reads: every line is bounded (LineBuffer), every wait has a deadline.
// One coroutine uses a connection at a time.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/net/asio.h"
#include "common/net/connection.h"  // ReadStatus
#include "common/net/line_buffer.h"
#include "common/result.h"

namespace mail::net {

// A client TLS context: TLS 1.2 and 1.3 only, no compression, no renegotiation. Trusts
// the CA certificates in `ca_file` (PEM), or the system's store when it is empty. Whether
// a handshake must verify the peer is decided per connection (ClientTlsOptions::verify).
Result<std::shared_ptr<ssl::context>> make_client_tls_context(
    const std::filesystem::path& ca_file = {});

struct ConnectOptions {
  std::chrono::seconds timeout{30};
  std::optional<asio::ip::address> source;  // bind to this address (port 0) before connect
  size_t max_line = 4096;                   // octets of one line read, CRLF included
};

struct ClientTlsOptions {
  // The peer's host name: sent as SNI (unless it is an address literal) and, when
  // `verify`, checked against the certificate (RFC 6125 rules, as OpenSSL applies them).
  std::string server_name;
  bool verify = false;  // fail the handshake unless the chain and the name verify
  std::chrono::seconds timeout{60};
};

struct ClientTlsInfo {
  std::string version;       // "TLSv1.3"
  std::string cipher;        // "TLS_AES_256_GCM_SHA384"
  bool verified = false;     // the chain verified and the certificate names server_name
  std::string verify_error;  // why not, when !verified ("self-signed certificate", ...)
};

class ClientConnection {
 public:
  // Connects to `to` within options.timeout. The error says what failed ("connect
  // 192.0.2.1:25: Connection refused", "... timed out").
  static awaitable<Result<std::unique_ptr<ClientConnection>>> connect(
      asio::any_io_executor executor, tcp::endpoint to, ConnectOptions options);

  ~ClientConnection();
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  // One line without its CRLF (a bare LF also ends a line). Sends queued output first.
  // The timeout covers the whole line.
  awaitable<ReadStatus> read_line(std::string& line, std::chrono::seconds timeout);

  // Queues bytes; flush() (or the next read_line) writes them.
  void send(std::string_view bytes) { output_.append(bytes); }
  size_t pending_output() const { return output_.size(); }
  // Writes everything queued; false (and the connection closed) on an error or timeout.
  awaitable<bool> flush(std::chrono::seconds timeout);
  // Writes `bytes` (after anything queued) without copying them: a large message body.
  awaitable<bool> write(std::string_view bytes, std::chrono::seconds timeout);

  // Client-side TLS handshake. Input buffered before it is discarded: whatever a server
  // sent behind its 220 to STARTTLS came in plaintext (RFC 3207 4.2). The error says why
  // the handshake failed, including a failed verification.
  awaitable<Result<void>> start_tls(ssl::context& context, const ClientTlsOptions& options);
  bool is_tls() const { return tls_.has_value(); }
  ClientTlsInfo tls_info() const;

  const tcp::endpoint& remote() const { return remote_; }
  std::string remote_address() const { return remote_.address().to_string(); }
  std::string local_address() const;
  bool is_open() const { return !closed_; }
  void close();

 private:
  ClientConnection(tcp::socket socket, tcp::endpoint remote, size_t max_line);
  tcp::socket& socket() { return tls_ ? tls_->next_layer() : plain_; }
  awaitable<bool> write_all(std::string_view bytes, std::chrono::seconds timeout);

  tcp::socket plain_;
  std::optional<ssl::stream<tcp::socket>> tls_;
  asio::steady_timer timer_;
  tcp::endpoint remote_;
  LineBuffer input_;
  std::string output_;
  bool closed_ = false;
};

}  // namespace mail::net
