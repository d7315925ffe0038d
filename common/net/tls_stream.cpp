#include "common/net/tls_stream.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <cerrno>
#include <new>

namespace mail::net {
namespace {

using BioState = TlsStream::BioState;

BioState& state_of(BIO* bio) {
  return *static_cast<BioState*>(BIO_get_data(bio));
}

bool would_block(int error) {
  return error == EAGAIN || error == EWOULDBLOCK;
}

// MSG_NOSIGNAL: a peer that has gone away gives EPIPE, not a SIGPIPE that ends the process.
int bio_write(BIO* bio, const char* data, int size) {
  BioState& state = state_of(bio);
  BIO_clear_retry_flags(bio);
  for (;;) {
    const ssize_t n = ::send(state.socket->native_handle(), data, size, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (would_block(errno)) {
      BIO_set_retry_write(bio);
    } else {
      state.last_errno = errno;
    }
    return -1;
  }
}

int bio_read(BIO* bio, char* data, int size) {
  BioState& state = state_of(bio);
  BIO_clear_retry_flags(bio);
  for (;;) {
    const ssize_t n = ::recv(state.socket->native_handle(), data, size, 0);
    if (n > 0) return static_cast<int>(n);
    if (n == 0) {
      state.eof = true;
      return 0;
    }
    if (errno == EINTR) continue;
    if (would_block(errno)) {
      BIO_set_retry_read(bio);
    } else {
      state.last_errno = errno;
    }
    return -1;
  }
}

long bio_ctrl(BIO* bio, int command, long, void*) {
  switch (command) {
    case BIO_CTRL_FLUSH:  // OpenSSL flushes after each flight: send() has nothing held back
      return 1;
    case BIO_CTRL_EOF:  // tells an unexpected EOF from a failed read
      return state_of(bio).eof ? 1 : 0;
    default:
      return 0;
  }
}

// Created once, kept for the life of the process (a BIO_METHOD is shared, read-only).
BIO_METHOD* socket_bio_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "mail socket");
    if (m == nullptr) throw std::bad_alloc();
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    return m;
  }();
  return method;
}

}  // namespace

TlsStream::TlsStream(tcp::socket& socket, ssl::context& context) : socket_(socket) {
  bio_state_.socket = &socket_;
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);  // fails on a closed socket only; every operation then fails
  ssl_ = SSL_new(context.native_handle());
  if (ssl_ == nullptr) throw std::bad_alloc();
  BIO* bio = BIO_new(socket_bio_method());
  if (bio == nullptr) {
    SSL_free(ssl_);
    throw std::bad_alloc();
  }
  BIO_set_data(bio, &bio_state_);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_, bio, bio);  // one reference, for both directions
  SSL_set_accept_state(ssl_);
  // Partial writes: async_write_some reports each record written, as a socket would; the
  // retry after WANT_WRITE may come from another address (asio::async_write advances).
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                         SSL_MODE_RELEASE_BUFFERS);
}

TlsStream::~TlsStream() {
  SSL_free(ssl_);
}

TlsStream::Step TlsStream::failed(int ret) {
  const int error = SSL_get_error(ssl_, ret);
  switch (error) {
    case SSL_ERROR_WANT_READ:
      return {Want::Read, {}, 0};
    case SSL_ERROR_WANT_WRITE:
      return {Want::Write, {}, 0};
    case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify
      return {Want::Done, asio::error::eof, 0};
    default:
      break;
  }
  const unsigned long code = ERR_get_error();
  if (code != 0) {
    if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
      return {Want::Done, ssl::error::stream_truncated, 0};
    return {Want::Done, {static_cast<int>(code), asio::error::get_ssl_category()}, 0};
  }
  if (error == SSL_ERROR_SYSCALL && bio_state_.last_errno != 0)
    return {Want::Done, {bio_state_.last_errno, boost::system::system_category()}, 0};
  if (bio_state_.eof) return {Want::Done, ssl::error::stream_truncated, 0};
  return {Want::Done, asio::error::connection_reset, 0};
}

TlsStream::Step TlsStream::handshake() {
  if (!socket_.is_open()) return {Want::Done, asio::error::bad_descriptor, 0};
  ERR_clear_error();
  bio_state_.last_errno = 0;
  const int ret = SSL_do_handshake(ssl_);
  if (ret == 1) return {};
  return failed(ret);
}

TlsStream::Step TlsStream::read(void* data, std::size_t size) {
  if (size == 0) return {};  // as a socket: an empty read completes at once
  if (!socket_.is_open()) return {Want::Done, asio::error::bad_descriptor, 0};
  ERR_clear_error();
  bio_state_.last_errno = 0;
  std::size_t n = 0;
  const int ret = SSL_read_ex(ssl_, data, size, &n);
  if (ret == 1) return {Want::Done, {}, n};
  return failed(ret);
}

TlsStream::Step TlsStream::peek() {
  if (!socket_.is_open()) return {Want::Done, asio::error::bad_descriptor, 0};
  ERR_clear_error();
  bio_state_.last_errno = 0;
  char byte;
  std::size_t n = 0;
  const int ret = SSL_peek_ex(ssl_, &byte, 1, &n);
  if (ret == 1) return {};
  return failed(ret);
}

std::size_t TlsStream::read_some(asio::mutable_buffer buffer, boost::system::error_code& ec) {
  const Step s = read(buffer.data(), buffer.size());
  ec = s.want == Want::Done ? s.ec : asio::error::would_block;
  return s.n;
}

TlsStream::Step TlsStream::write(const void* data, std::size_t size) {
  if (size == 0) return {};
  if (!socket_.is_open()) return {Want::Done, asio::error::bad_descriptor, 0};
  // Record after record while the socket takes them: one completion for what fits now
  // rather than one per 16 KiB record.
  std::size_t total = 0;
  while (total < size) {
    ERR_clear_error();
    bio_state_.last_errno = 0;
    std::size_t n = 0;
    const int ret = SSL_write_ex(ssl_, static_cast<const char*>(data) + total, size - total, &n);
    if (ret == 1) {
      total += n;
      continue;
    }
    Step s = failed(ret);
    // Report what was written; an error comes back on the next call.
    if (total > 0) return {Want::Done, {}, total};
    return s;
  }
  return {Want::Done, {}, total};
}

}  // namespace mail::net
