// A client connection as the protocol sessions see it: a TCP stream that may be upgraded
// to TLS in the middle (STARTTLS, STLS) or start in TLS (ports 465, 993, 995), with reads
// that always carry a deadline and a bounded line buffer.
//
// Output is queued with send() and written when the session next waits for input (or on
// flush()): replies to pipelined commands leave in one write, in order.
//
// Back-pressure (server.max_output_buffer): once queued output reaches the limit, the
// next read first writes it out, so a client that pipelines commands without reading the
// replies stalls itself (and is cut off after server.write_timeout) instead of growing
// our memory. A long reply (IMAP FETCH, POP3 RETR) is produced in chunks with
//     conn->send(chunk);
//     if (!co_await conn->drain()) co_return;  // peer gone or too slow
// so a session never holds more than one chunk plus the limit.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/net/asio.h"
#include "common/net/line_buffer.h"
#include "common/net/tls_stream.h"

namespace mail::net {

class DeflateStream;

enum class ReadStatus { Ok, TooLong, Timeout, Closed };

// Bounds of one connection (from [server]; see docs/config.md).
struct ConnectionLimits {
  size_t max_output = 256 * 1024;                  // server.max_output_buffer
  std::chrono::seconds write_timeout{60};          // server.write_timeout
  std::chrono::seconds tls_handshake_timeout{30};  // server.tls_handshake_timeout
};

// Commands a session may take from already-buffered input before the other sessions of
// its event loop get to run (a pipelining client cannot hog the loop).
constexpr int kLinesPerTurn = 64;

// The last words of a session (shutdown reply, the final flush) wait at most this long.
constexpr std::chrono::seconds kFarewellTimeout{5};

class Connection {
 public:
  Connection(tcp::socket socket, size_t max_line, std::string id, ConnectionLimits limits = {});
  ~Connection();

  const std::string& id() const { return id_; }
  const std::string& remote_address() const { return remote_address_; }  // "127.0.0.1"
  uint16_t remote_port() const { return remote_port_; }
  bool remote_is_loopback() const { return loopback_; }

  LineBuffer& input() { return input_; }

  // Reads one line (without CRLF). Flushes queued output first if it must wait, or at once
  // when it is over the limit. The timeout covers the whole line: a client trickling
  // bytes cannot stretch it.
  awaitable<ReadStatus> read_line(std::string& line, std::chrono::seconds timeout);
  // Reads exactly n octets (an IMAP literal), within the timeout as a whole.
  awaitable<ReadStatus> read_exact(size_t n, std::string& out, std::chrono::seconds timeout);
  // Reads whatever arrives next into input() (for the SMTP DATA reader): the timeout is
  // per read, as RFC 5321 4.5.3.2.5 sets it for each data block.
  awaitable<ReadStatus> read_more(std::chrono::seconds timeout);

  void send(std::string_view bytes) { output_.append(bytes); }
  // Octets queued by send() and not yet written.
  size_t pending_output() const { return output_.size(); }
  const ConnectionLimits& limits() const { return limits_; }
  // Writes everything queued within server.write_timeout (or `timeout`); false when the
  // peer is gone or too slow (the connection is then closed).
  awaitable<bool> flush();
  awaitable<bool> flush(std::chrono::seconds timeout);
  // Back-pressure for long replies: flushes when at least `threshold` octets are queued
  // (0: server.max_output_buffer), else returns at once. False as flush().
  awaitable<bool> drain(size_t threshold = 0);

  // Server-side TLS handshake within server.tls_handshake_timeout (the two-argument form
  // takes the shorter of `timeout` and that). Input buffered before it is discarded
  // first: anything a client pipelined behind STARTTLS was sent in plaintext and may be
  // an injection.
  awaitable<bool> start_tls(ssl::context& context);
  awaitable<bool> start_tls(ssl::context& context, std::chrono::seconds timeout);
  bool is_tls() const { return tls_.has_value(); }
  // From now on everything read is inflated and everything written deflated (IMAP
  // COMPRESS=DEFLATE, RFC 4978; above TLS when both are on). Input already buffered is
  // taken as compressed. REQUIRES: output flushed (the OK that starts it went plain).
  void start_compression(std::unique_ptr<DeflateStream> stream);
  bool is_compressed() const { return deflate_ != nullptr; }
  std::string tls_version() const;  // "TLSv1.3", or "" without TLS
  std::string tls_cipher() const;
  // RFC 9266 tls-exporter channel binding: 32 octets exported with the label
  // "EXPORTER-Channel-Binding" and an empty context, on TLS 1.3 only (RFC 9266 section 3
  // forbids it on TLS 1.2 without extended master secret); nullopt otherwise.
  std::optional<std::string> tls_channel_binding() const;

  // Ends the connection (safe to call on the connection's executor only).
  void close();
  // Server shutdown or the end of the session's lifetime (on the connection's executor):
  // the session's current or next read sends `goodbye` (the protocol's reply) and reports
  // Closed, so a session ends at a command boundary and work already in progress (a queue
  // commit) completes.
  void shut_down(std::string goodbye);
  // While a message is being received (SMTP DATA, BDAT), a shutdown waits for it: reads
  // go on until `grace` after shut_down(), and only then send the goodbye. A message that
  // completes in time gets its reply; the goodbye comes at the read after
  // end_shutdown_grace().
  void begin_shutdown_grace(std::chrono::seconds grace) { grace_ = grace; }
  void end_shutdown_grace() { grace_.reset(); }
  // The executor the session runs on; fixed at construction, so any thread may read it.
  const asio::any_io_executor& executor() const { return executor_; }

 private:
  awaitable<ReadStatus> fill(std::chrono::steady_clock::time_point deadline);
  awaitable<ReadStatus> say_goodbye();
  // Frees the capacity of the output buffers that hold nothing (see flush()).
  void release_output_memory();
  // Inflates `n` octets just read into deflate_ (and what it still holds) into input_.
  ReadStatus inflate_input(size_t n);

  std::string id_;
  ConnectionLimits limits_;
  asio::any_io_executor executor_;
  tcp::socket plain_;                       // the TCP stream, under TLS too
  std::optional<TlsStream> tls_;            // over plain_ (declared after it: destroyed first)
  std::unique_ptr<DeflateStream> deflate_;  // set by start_compression()
  asio::steady_timer timer_;
  // flush()'s own deadline, so that a write may run while a read waits (IMAP IDLE pushes
  // changes while it waits for DONE) without cutting the read's deadline short.
  asio::steady_timer write_timer_;
  LineBuffer input_;
  std::string output_;
  std::string writing_;  // what flush() is writing (see there)
  std::string remote_address_;
  uint16_t remote_port_ = 0;
  bool loopback_ = false;
  bool closed_ = false;
  bool shutting_down_ = false;
  bool reading_ = false;      // fill() is waiting for input (shut_down() may wake it)
  bool handshaking_ = false;  // start_tls() is waiting for the handshake (likewise)
  int lines_this_turn_ = 0;
  std::string goodbye_;
  std::optional<std::chrono::seconds> grace_;        // see begin_shutdown_grace()
  std::chrono::steady_clock::time_point grace_end_;  // shut_down() time + grace_
};

}  // namespace mail::net
