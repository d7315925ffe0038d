// An Asio adapter for ChangeListener (store/notify.h): waits for the listener's socket on
// an event loop and hands back the mailboxes named. imapd runs one per process and fans the
// ids out to its sessions (an IDLE session then refreshes with MailStore::changes_since).
//
//   auto listener = store::ChangeListener::open(store::notify_dir(config));
//   store::AsyncChangeListener notices(executor, std::move(*listener));
//   for (;;) {
//     auto n = co_await notices.next();
//     if (!n) break;                    // cancelled (shutdown)
//     wake(n->mailboxes, n->overflow);  // overflow: wake every session
//   }
#pragma once

#include <unistd.h>

#include <memory>

#include "common/net/asio.h"
#include "store/notify.h"

namespace mail::store {

class AsyncChangeListener {
 public:
  AsyncChangeListener(net::asio::any_io_executor executor, std::unique_ptr<ChangeListener> listener)
      : listener_(std::move(listener)), socket_(executor, ::dup(listener_->fd())) {}

  // Waits until at least one notice (or an overflow) is pending and returns what was
  // drained. Temporary error when the wait was cancelled or failed.
  net::awaitable<Result<ChangeListener::Notices>> next() {
    for (;;) {
      ChangeListener::Notices notices = listener_->drain();
      if (!notices.mailboxes.empty() || notices.overflow) co_return notices;
      auto [ec] = co_await socket_.async_wait(net::asio::posix::descriptor_base::wait_read,
                                              net::use_nothrow);
      if (ec) co_return make_error(ErrorKind::Temporary, "notice wait: " + ec.message());
    }
  }

  // Ends a pending next() with an error (for shutdown).
  void cancel() { socket_.cancel(); }

  const ChangeListener& listener() const { return *listener_; }

 private:
  std::unique_ptr<ChangeListener> listener_;
  net::asio::posix::stream_descriptor socket_;  // a dup of the listener's fd, owned here
};

}  // namespace mail::store
