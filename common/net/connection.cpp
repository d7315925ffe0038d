#include "common/net/connection.h"

#include <algorithm>
#include <tuple>
#include <variant>

#include "common/net/deflate_stream.h"

namespace mail::net {

Connection::Connection(tcp::socket socket, size_t max_line, std::string id, ConnectionLimits limits)
    : id_(std::move(id)),
      limits_(limits),
      executor_(socket.get_executor()),
      plain_(std::move(socket)),
      timer_(plain_.get_executor()),
      write_timer_(plain_.get_executor()),
      input_(max_line) {
  boost::system::error_code ec;
  auto remote = plain_.remote_endpoint(ec);
  if (!ec) {
    auto addr = remote.address();
    if (addr.is_v6() && addr.to_v6().is_v4_mapped())
      addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
    remote_address_ = addr.to_string();
    remote_port_ = remote.port();
    loopback_ = addr.is_loopback();
  }
  plain_.set_option(tcp::no_delay(true), ec);
  plain_.non_blocking(true, ec);  // fill() reads only what is there (see there)
}

Connection::~Connection() = default;

awaitable<ReadStatus> Connection::say_goodbye() {
  send(goodbye_);
  co_await flush(std::min(kFarewellTimeout, limits_.write_timeout));
  co_return ReadStatus::Closed;
}

awaitable<ReadStatus> Connection::fill(std::chrono::steady_clock::time_point deadline) {
  if (closed_) co_return ReadStatus::Closed;
  if (!output_.empty() && !co_await flush()) co_return ReadStatus::Closed;
  // Waiting for the client (thousands of sessions idle at once): no reply memory held.
  release_output_memory();
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (shutting_down_) {
      // A message in progress may finish within its grace (begin_shutdown_grace()).
      if (!grace_ || now >= grace_end_) co_return co_await say_goodbye();
      deadline = std::min(deadline, grace_end_);
    }
    if (now >= deadline) co_return ReadStatus::Timeout;
    lines_this_turn_ = 0;  // reading suspends: the turn ends here
    if (deflate_ && deflate_->pending()) co_return inflate_input(0);
    // Wait for input before taking a buffer for it: an idle session (IMAP IDLE, thousands
    // at once) holds no 16 KiB read buffer, only what it has of an unfinished line. Waiting
    // consumes nothing, so a wake-up by the timer (or shut_down()) never drops input.
    if (input_.size() == 0) input_.shrink(0);
    timer_.expires_at(deadline);
    std::variant<std::tuple<boost::system::error_code>, std::tuple<boost::system::error_code>>
        ready;
    reading_ = true;
    if (tls_) {
      ready = co_await (tls_->async_wait_readable(use_nothrow) || timer_.async_wait(use_nothrow));
    } else {
      ready = co_await (plain_.async_wait(tcp::socket::wait_read, use_nothrow) ||
                        timer_.async_wait(use_nothrow));
    }
    reading_ = false;
    if (ready.index() == 1) {
      if (shutting_down_) continue;  // shut_down() woke the read: goodbye, or the grace
      co_return ReadStatus::Timeout;
    }
    if (std::get<0>(std::get<0>(ready))) co_return ReadStatus::Closed;
    auto buffer = deflate_ ? deflate_->receive_space(16 * 1024) : input_.prepare(16 * 1024);
    auto mutable_buffer = asio::buffer(buffer.data(), buffer.size());
    boost::system::error_code ec;  // the socket is non-blocking: these never wait
    const size_t n =
        tls_ ? tls_->read_some(mutable_buffer, ec) : plain_.read_some(mutable_buffer, ec);
    if (deflate_) {
      if (n > 0) co_return inflate_input(n);
      deflate_->received_into(0);
    } else {
      input_.commit(n);
    }
    if (n > 0) co_return ReadStatus::Ok;
    // Woken for nothing (readiness that went away): wait again.
    if (!ec || ec == asio::error::would_block || ec == asio::error::try_again) continue;
    co_return ReadStatus::Closed;
  }
}

awaitable<ReadStatus> Connection::read_line(std::string& line, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Back-pressure: over the limit, the replies go out before the next command is taken.
  if (output_.size() >= limits_.max_output && !co_await flush()) co_return ReadStatus::Closed;
  for (;;) {
    switch (input_.next_line(line)) {
      case LineBuffer::Status::Line:
        // Fairness: a client that pipelines many commands gets a turn of kLinesPerTurn,
        // then the other sessions of this event loop run before its next command.
        if (++lines_this_turn_ >= kLinesPerTurn) {
          lines_this_turn_ = 0;
          co_await asio::post(executor_, use_awaitable);
        }
        co_return ReadStatus::Ok;
      case LineBuffer::Status::TooLong:
        co_return ReadStatus::TooLong;
      case LineBuffer::Status::NeedMore:
        break;
    }
    ReadStatus s = co_await fill(deadline);
    if (s != ReadStatus::Ok) co_return s;
  }
}

awaitable<ReadStatus> Connection::read_exact(size_t n, std::string& out,
                                             std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (output_.size() >= limits_.max_output && !co_await flush()) co_return ReadStatus::Closed;
  while (!input_.take(n, out)) {
    ReadStatus s = co_await fill(deadline);
    if (s != ReadStatus::Ok) co_return s;
  }
  co_return ReadStatus::Ok;
}

awaitable<ReadStatus> Connection::read_more(std::chrono::seconds timeout) {
  // fill() writes out whatever is queued before it waits.
  return fill(std::chrono::steady_clock::now() + timeout);
}

awaitable<bool> Connection::drain(size_t threshold) {
  if (threshold == 0) threshold = limits_.max_output;
  if (output_.size() < threshold) co_return !closed_;
  co_return co_await flush();
}

awaitable<bool> Connection::flush() {
  return flush(limits_.write_timeout);
}

awaitable<bool> Connection::flush(std::chrono::seconds timeout) {
  if (closed_) co_return false;
  if (output_.empty()) co_return true;
  lines_this_turn_ = 0;  // writing suspends: the turn ends here
  // The octets leave from writing_ while send() may queue more in output_ (IMAP IDLE
  // pushes while a read waits). Afterwards the emptied buffer goes back to output_ with
  // its capacity, so a long reply (FETCH BODY[], 256 KiB at a time) reuses one memory
  // chunk after chunk: freed, glibc gives such blocks back to the kernel, and refilling
  // them cost a page fault per 4 KiB, half of a large FETCH's time (bench/imap_mailbox.py).
  // One large buffer per session, not two: a client that stops reading holds no more
  // than before. fill() gives it back when the session waits for its client. A second
  // flush while one is in flight writes from its own buffer.
  std::string own;
  std::string& pending = writing_.empty() ? writing_ : own;
  pending.swap(output_);
  if (deflate_ && !deflate_->compress(pending)) {
    close();
    co_return false;
  }
  write_timer_.expires_after(timeout);
  std::variant<std::tuple<boost::system::error_code, size_t>, std::tuple<boost::system::error_code>>
      result;
  if (tls_) {
    result = co_await (asio::async_write(*tls_, asio::buffer(pending), use_nothrow) ||
                       write_timer_.async_wait(use_nothrow));
  } else {
    result = co_await (asio::async_write(plain_, asio::buffer(pending), use_nothrow) ||
                       write_timer_.async_wait(use_nothrow));
  }
  pending.clear();
  if (&pending == &writing_ && output_.empty()) output_.swap(writing_);
  if (result.index() == 1 || std::get<0>(std::get<0>(result))) {
    close();
    co_return false;
  }
  co_return true;
}

void Connection::release_output_memory() {
  if (output_.empty()) std::string().swap(output_);
  if (writing_.empty()) std::string().swap(writing_);
}

awaitable<bool> Connection::start_tls(ssl::context& context) {
  return start_tls(context, limits_.tls_handshake_timeout);
}

awaitable<bool> Connection::start_tls(ssl::context& context, std::chrono::seconds timeout) {
  timeout = std::min(timeout, limits_.tls_handshake_timeout);
  if (tls_ || closed_) co_return false;
  if (!co_await flush()) co_return false;
  input_.clear();
  tls_.emplace(plain_, context);
  if (shutting_down_) {
    close();
    co_return false;
  }
  timer_.expires_after(timeout);
  handshaking_ = true;
  auto result = co_await (tls_->async_handshake(use_nothrow) || timer_.async_wait(use_nothrow));
  handshaking_ = false;
  if (result.index() == 1 || std::get<0>(std::get<0>(result))) {
    close();
    co_return false;
  }
  co_return true;
}

void Connection::start_compression(std::unique_ptr<DeflateStream> stream) {
  deflate_ = std::move(stream);
  deflate_->received(input_.data());
  input_.clear();
}

ReadStatus Connection::inflate_input(size_t n) {
  deflate_->received_into(n);
  // At most 16 KiB of plaintext per read, however much the input expands.
  auto room = input_.prepare(16 * 1024);
  const std::optional<size_t> got = deflate_->inflate(room);
  input_.commit(got.value_or(0));
  if (!got) {
    close();
    return ReadStatus::Closed;
  }
  return ReadStatus::Ok;
}

std::string Connection::tls_version() const {
  if (!tls_) return "";
  return SSL_get_version(tls_->native_handle());
}

std::string Connection::tls_cipher() const {
  if (!tls_) return "";
  const char* name = SSL_get_cipher_name(tls_->native_handle());
  return name ? name : "";
}

std::optional<std::string> Connection::tls_channel_binding() const {
  if (!tls_) return std::nullopt;
  SSL* ssl = tls_->native_handle();
  if (SSL_version(ssl) != TLS1_3_VERSION) return std::nullopt;
  static constexpr char kLabel[] = "EXPORTER-Channel-Binding";
  std::string out(32, '\0');
  if (SSL_export_keying_material(ssl, reinterpret_cast<unsigned char*>(out.data()), out.size(),
                                 kLabel, sizeof kLabel - 1, nullptr, 0, 1) != 1)
    return std::nullopt;
  return out;
}

void Connection::shut_down(std::string goodbye) {
  if (closed_ || shutting_down_) return;
  shutting_down_ = true;
  goodbye_ = std::move(goodbye);
  if (grace_) grace_end_ = std::chrono::steady_clock::now() + *grace_;
  if (handshaking_) timer_.cancel();  // a TLS handshake ends at once, not at its deadline
  if (!reading_) return;  // the next read sees shutting_down_; a flush is left to finish
  if (!grace_) {
    timer_.cancel();  // wakes the pending read
  } else if (timer_.expiry() > grace_end_) {
    timer_.expires_at(grace_end_);  // wakes the pending read, which goes on until grace_end_
  }
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  timer_.cancel();
  write_timer_.cancel();
  plain_.shutdown(tcp::socket::shutdown_both, ec);
  plain_.close(ec);
}

}  // namespace mail::net
