// The server side of a TLS session over a connection's TCP socket, without buffers of its
// own: OpenSSL reads from and writes to the socket itself, through a BIO whose read is
// recv() and whose write is send(MSG_NOSIGNAL) on the non-blocking socket.
//
// Why not asio::ssl::stream: its stream_core allocates two 17 KiB vectors per stream and a
// BIO pair whose buffers OpenSSL allocates on first use; an idle IMAPS session (IDLE, ten
// thousand at once) cost about 83 KiB. Here an idle session holds the SSL object alone
// (about 14 KiB after a TLS 1.3 handshake): with SSL_MODE_RELEASE_BUFFERS OpenSSL gives its
// record buffers back between records. bench/imap_idle.py, 2,000 idle IMAPS sessions:
// 24 KiB each in all.
//
// An Asio AsyncStream (async_read_some, async_write_some, get_executor), so asio::async_write
// and parallel groups take it as they take a socket. Each operation calls OpenSSL at once
// and, when OpenSSL needs the socket to be readable or writable, waits for that direction
// only (socket.async_wait), then calls again. Cancellation (a deadline's `op || timer`)
// reaches that wait: async_compose forwards the slot.
//
// One read and one write may be outstanding together (IMAP IDLE reads DONE while changes
// are written), on the socket's executor, never from two threads at once: OpenSSL allows
// SSL_read and SSL_write on one SSL object interleaved from one thread in non-blocking mode,
// and a read waiting for readability holds nothing a write needs.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>

#include "common/net/asio.h"

namespace mail::net {

class TlsStream {
 public:
  using executor_type = tcp::socket::executor_type;
  using next_layer_type = tcp::socket;
  using lowest_layer_type = tcp::socket::lowest_layer_type;

  // An SSL object in server (accept) state on `socket`, which must outlive this stream and
  // is switched to non-blocking mode. Throws std::bad_alloc when OpenSSL cannot allocate.
  TlsStream(tcp::socket& socket, ssl::context& context);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  executor_type get_executor() { return socket_.get_executor(); }
  tcp::socket& next_layer() { return socket_; }
  lowest_layer_type& lowest_layer() { return socket_.lowest_layer(); }
  SSL* native_handle() const { return ssl_; }

  // The server handshake. Completes with void(error_code).
  template <typename Token>
  auto async_handshake(Token&& token) {
    return asio::async_compose<Token, void(boost::system::error_code)>(
        Op<HandshakeStep, false>{*this, HandshakeStep{}}, token, socket_);
  }

  // Decrypted octets into the first non-empty buffer of the sequence. Completes with
  // void(error_code, size_t); asio::error::eof after the peer's close_notify,
  // ssl::error::stream_truncated when the TCP stream ends without one.
  template <typename MutableBufferSequence, typename Token>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
    return asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        Op<ReadStep, true>{*this, ReadStep{first_buffer<asio::mutable_buffer>(buffers)}}, token,
        socket_);
  }

  // Completes (void(error_code)) once decrypted input is ready for read_some(), or with the
  // error a read would get: lets a reader wait without holding a buffer (an idle session).
  // A record is decrypted into OpenSSL's buffer and stays there until read.
  template <typename Token>
  auto async_wait_readable(Token&& token) {
    return asio::async_compose<Token, void(boost::system::error_code)>(
        Op<PeekStep, false>{*this, PeekStep{}}, token, socket_);
  }
  // Reads decrypted octets without waiting: asio::error::would_block when none are ready.
  std::size_t read_some(asio::mutable_buffer buffer, boost::system::error_code& ec);

  // Encrypts and sends octets from the first non-empty buffer of the sequence: as many as
  // the socket takes now, at least one record unless an error comes first.
  template <typename ConstBufferSequence, typename Token>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
    return asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        Op<WriteStep, true>{*this, WriteStep{first_buffer<asio::const_buffer>(buffers)}}, token,
        socket_);
  }

  // What the BIO callbacks (tls_stream.cpp) share with this stream.
  struct BioState {
    tcp::socket* socket = nullptr;
    int last_errno = 0;  // of the last failed send()/recv(), for SSL_ERROR_SYSCALL
    bool eof = false;    // recv() returned 0 (BIO_CTRL_EOF)
  };

 private:
  enum class Want { Done, Read, Write };
  // One call into OpenSSL: done (with an error or a count), or waiting for a direction.
  struct Step {
    Want want = Want::Done;
    boost::system::error_code ec;
    std::size_t n = 0;
  };
  Step handshake();
  Step read(void* data, std::size_t size);
  Step peek();
  Step write(const void* data, std::size_t size);
  // SSL_get_error() of a call that returned `ret` (not 1) as a Step.
  Step failed(int ret);

  struct HandshakeStep {
    Step operator()(TlsStream& s) { return s.handshake(); }
  };
  struct PeekStep {
    Step operator()(TlsStream& s) { return s.peek(); }
  };
  struct ReadStep {
    asio::mutable_buffer buffer;
    Step operator()(TlsStream& s) { return s.read(buffer.data(), buffer.size()); }
  };
  struct WriteStep {
    asio::const_buffer buffer;
    Step operator()(TlsStream& s) { return s.write(buffer.data(), buffer.size()); }
  };

  // The composed operation: call OpenSSL, wait for the direction it asks for, call again.
  // A result known at the first call is posted, never delivered inside the initiation.
  template <typename StepFn, bool kWithSize>
  struct Op {
    TlsStream& stream;
    StepFn step;
    enum class State { Starting, Waiting, Completing } state = State::Starting;
    Step result{};

    template <typename Self>
    void operator()(Self& self, boost::system::error_code ec = {}) {
      if (state == State::Completing) return complete(self, result);
      if (ec) return complete(self, Step{Want::Done, ec, 0});  // the wait: cancelled, closed
      if (state == State::Waiting &&
          self.get_cancellation_state().cancelled() != asio::cancellation_type::none)
        return complete(self, Step{Want::Done, asio::error::operation_aborted, 0});
      Step s = step(stream);
      if (s.want != Want::Done) {
        state = State::Waiting;
        return stream.socket_.async_wait(
            s.want == Want::Read ? tcp::socket::wait_read : tcp::socket::wait_write,
            std::move(self));
      }
      if (state == State::Starting) {
        state = State::Completing;
        result = s;
        auto executor = stream.get_executor();
        return asio::post(executor, std::move(self));
      }
      complete(self, s);
    }

    template <typename Self>
    static void complete(Self& self, const Step& s) {
      if constexpr (kWithSize) {
        self.complete(s.ec, s.n);
      } else {
        self.complete(s.ec);
      }
    }
  };

  template <typename Buffer, typename Sequence>
  static Buffer first_buffer(const Sequence& buffers) {
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers);
         ++it) {
      Buffer b(*it);
      if (b.size() > 0) return b;
    }
    return Buffer();
  }

  tcp::socket& socket_;
  SSL* ssl_ = nullptr;
  BioState bio_state_;
};

}  // namespace mail::net
