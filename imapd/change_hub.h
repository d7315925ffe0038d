// ChangeHub: one per imapd process. It waits for the store's change notices
// (store/notify_asio.h: a datagram from whichever process wrote, queued, another imapd,
// pop3d, mailctl) and wakes the sessions watching a mailbox that changed, within
// microseconds. A notice overflow (the kernel queue was full: some notices may be lost)
// wakes every watcher. Sessions register while they IDLE; a woken session refreshes its
// view with MailStore::changes_since, in O(changes). A NOTIFY session (RFC 5465) watches
// every mailbox instead (watch_all): it is woken by every notice and handed the ids, and
// tells its own mailboxes from others' itself (commands/notify_state.h).
//
// Thread-safe: sessions run on several event-loop threads; a wake-up is posted to the
// watcher's own executor, so the watcher's state is only touched there.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "common/net/asio.h"
#include "store/notify_asio.h"

namespace mail::imapd {

class ChangeHub {
 public:
  // One session's interest in one mailbox. Touched only on `executor`.
  struct Watcher {
    Watcher(net::asio::any_io_executor ex, uint64_t mailbox)
        : executor(ex), timer(ex), mailbox_id(mailbox) {}
    net::asio::any_io_executor executor;
    net::asio::steady_timer timer;  // the session waits on it; a notice cancels it
    uint64_t mailbox_id;
    bool notified = false;  // set before the timer is cancelled: a wake-up is never lost
    // watch_all() watchers: the mailboxes named since the owner last took them (sorted,
    // unique), at most max_ids; past that, or when notices were lost, `overflowed` says
    // "assume everything changed" and the list is dropped (bounded memory).
    std::vector<uint64_t> ids;
    size_t max_ids = 0;
    bool overflowed = false;
    // Marks the watcher notified and wakes its waiter. REQUIRES: on `executor`.
    void wake() {
      notified = true;
      timer.cancel();
    }
    // wake() for a watch_all() watcher, remembering which mailboxes changed.
    void wake_with(const std::vector<uint64_t>& changed, bool overflow);
  };

  // `listener` may be null (no notify directory): watchers are then woken only by their
  // own timers (the periodic safety refresh).
  ChangeHub(net::asio::any_io_executor executor, std::unique_ptr<store::ChangeListener> listener);
  ~ChangeHub();

  // Registers interest in `mailbox_id`; the watcher is woken on notices until unwatch().
  std::shared_ptr<Watcher> watch(uint64_t mailbox_id, net::asio::any_io_executor executor);
  void unwatch(const std::shared_ptr<Watcher>& watcher);
  // Registers interest in every mailbox: woken by every notice with the ids it named
  // (Watcher::ids, at most `max_ids` kept). Ended by unwatch().
  std::shared_ptr<Watcher> watch_all(net::asio::any_io_executor executor, size_t max_ids);
  // Wakes the watchers of these mailboxes (all of them when `everyone`).
  void wake(const std::vector<uint64_t>& mailbox_ids, bool everyone);

  // Receives notices until stop(); run it once, on `executor`.
  net::awaitable<void> run();
  void stop();

  bool listening() const { return notices_ != nullptr; }
  size_t watchers() const;

 private:
  std::unique_ptr<store::AsyncChangeListener> notices_;
  mutable std::mutex mutex_;
  std::multimap<uint64_t, std::shared_ptr<Watcher>> watchers_;
  std::vector<std::shared_ptr<Watcher>> everything_;  // watch_all()
  std::atomic<bool> stopped_{false};
};

}  // namespace mail::imapd
