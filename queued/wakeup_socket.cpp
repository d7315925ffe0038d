#include "queued/wakeup_socket.h"

#include <sys/stat.h>

namespace mail::queued {

namespace asio = net::asio;

WakeupSocket::WakeupSocket(asio::io_context& loop, std::filesystem::path path)
    : path_(std::move(path)), socket_(loop) {}

Result<void> WakeupSocket::bind() {
  std::error_code ec;
  std::filesystem::remove(path_, ec);
  boost::system::error_code bec;
  socket_.open(asio::local::datagram_protocol(), bec);
  if (!bec) socket_.bind(asio::local::datagram_protocol::endpoint(path_.string()), bec);
  if (bec) return make_error(ErrorKind::Temporary, "bind " + path_.string() + ": " + bec.message());
  ::chmod(path_.c_str(), 0600);
  return {};
}

void WakeupSocket::start(std::function<void()> on_wake) {
  on_wake_ = std::move(on_wake);
  asio::co_spawn(socket_.get_executor(), listen(), asio::detached);
}

void WakeupSocket::close() {
  boost::system::error_code ec;
  socket_.close(ec);
}

net::awaitable<void> WakeupSocket::listen() {
  char byte[64];
  for (;;) {
    auto [ec, n] = co_await socket_.async_receive(asio::buffer(byte), net::use_nothrow);
    if (ec) co_return;
    on_wake_();
  }
}

}  // namespace mail::queued
