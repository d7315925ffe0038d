// IDLE (RFC 2177, RFC 9051 section 6.3.13): the client waits for changes without
// polling. Two coroutines share the connection: the reader waits for "DONE" (within
// imapd.idle_timeout, the autologout), the writer pushes changes as soon as the
// process's ChangeHub wakes it (a store change notice from any process: a delivery by
// queued, another imapd or pop3d session) and refreshes anyway every
// imapd.idle_refresh_interval (a safety net if notices are lost) and says "* OK Still
// here" every imapd.idle_keepalive seconds (NAT and firewall idle timers). The writer is
// always finished before the tagged reply goes out. After NOTIFY (RFC 5465 section 4) IDLE
// sends exactly the events NOTIFY asked for: the writer then delivers those
// (commands/notify_state.h) instead of refreshing the selected mailbox itself.
#include "common/log.h"
#include "imapd/change_hub.h"
#include "imapd/commands/handlers.h"
#include "imapd/commands/notify_state.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {
namespace {

using std::chrono::seconds;
using std::chrono::steady_clock;

struct IdleWriter {
  std::shared_ptr<ChangeHub::Watcher> watcher;  // wakes the writer
  net::asio::steady_timer finished;             // cancelled when the writer ends
  bool stop = false;
  bool running = true;
};

net::awaitable<void> push_changes(Session& s, IdleWriter& w) {
  const auto& cfg = s.config();
  const auto refresh_every = seconds(cfg.idle_refresh_interval);
  const auto keepalive_every = seconds(cfg.idle_keepalive);
  auto next_refresh = steady_clock::now() + refresh_every;
  auto next_keepalive = steady_clock::now() + keepalive_every;
  while (!w.stop) {
    if (!w.watcher->notified) {
      w.watcher->timer.expires_at(std::min(next_refresh, next_keepalive));
      co_await w.watcher->timer.async_wait(net::use_nothrow);
    }
    if (w.stop) break;
    const auto now = steady_clock::now();
    if (w.watcher->notified || now >= next_refresh) {
      w.watcher->notified = false;
      if (now >= next_refresh) {
        next_refresh = now + refresh_every;
        if (s.notify()) w.watcher->overflowed = true;  // NOTIFY: re-read everything watched
      }
      if (s.notify()) {
        co_await deliver_notifications(s, true);
      } else {
        co_await s.refresh(true);
      }
    }
    if (now >= next_keepalive) {
      next_keepalive = now + keepalive_every;
      s.out().untagged_status(imap::Status::Ok, "Still here");
    }
    if (s.connection().pending_output() > 0 && !co_await s.connection().flush()) break;
    if (std::holds_alternative<Logout>(s.state())) break;  // BYE was sent
    if (!s.notify() && !s.is_selected()) break;            // the mailbox went away
  }
  w.running = false;
  w.finished.cancel();
}

}  // namespace

net::awaitable<void> idle(Session& s, const imap::Command& c) {
  // Changes already known go out before the continuation (RFC 2177 section 3).
  NotifyState* notify = s.notify();
  if (notify) {
    co_await deliver_notifications(s, true);
  } else {
    co_await s.refresh(true);
  }
  if (!s.is_selected() && std::holds_alternative<Logout>(s.state())) co_return;
  s.out().continuation("idling");
  auto& conn = s.connection();
  auto executor = conn.executor();
  ChangeHub* hub = s.context().changes;
  std::shared_ptr<ChangeHub::Watcher> watcher;
  if (notify) {
    watcher = notify->watcher_ptr();  // owned by the NOTIFY state, which stays registered
  } else if (s.is_selected() && hub) {
    watcher = hub->watch(s.view().mailbox_id(), executor);
  } else {
    // Authenticated state (allowed by RFC 9051), or no hub: keepalives only.
    watcher = std::make_shared<ChangeHub::Watcher>(executor, 0);
  }
  IdleWriter writer{watcher, net::asio::steady_timer(executor), false, true};
  writer.finished.expires_at(steady_clock::time_point::max());
  const bool own_watch = !notify && hub && s.is_selected();
  if (!co_await conn.flush()) {
    if (own_watch) hub->unwatch(watcher);
    s.change_state(Logout{}, "connection closed");
    co_return;
  }
  net::asio::co_spawn(executor, push_changes(s, writer), net::asio::detached);

  // The reader: one line, "DONE" (case-insensitive); anything else ends IDLE with BAD.
  std::string line;
  const net::ReadStatus status = co_await conn.read_line(line, s.read_timeout());
  writer.stop = true;
  watcher->timer.cancel();
  if (writer.running) co_await writer.finished.async_wait(net::use_nothrow);
  if (own_watch) hub->unwatch(watcher);
  switch (status) {
    case net::ReadStatus::Ok:
      if (imap::to_upper(line) == "DONE") {
        s.completed(c);
      } else {
        s.bad(c.tag, "Expected DONE");
      }
      break;
    case net::ReadStatus::TooLong:
      s.bad(c.tag, "Expected DONE");
      break;
    case net::ReadStatus::Timeout:
      s.bye("Autologout; idle for too long");
      break;
    case net::ReadStatus::Closed:
      s.change_state(Logout{}, "connection closed");
      break;
  }
}

}  // namespace mail::imapd::commands
