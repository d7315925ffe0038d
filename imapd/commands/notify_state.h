// NotifyState: one session's NOTIFY (RFC 5465) once the client has set it, and the code
// that turns store changes into the unsolicited responses it asked for.
//
// What the session keeps (bounded by imapd.notify_max_mailboxes): the account's
// mailboxes by id with the counters last told (or loaded), its subscriptions, and a small
// set of ids known to be other accounts'. It watches every store change notice through
// the process's ChangeHub (ChangeHub::watch_all; the ids held between two deliveries are
// bounded by imapd.notify_max_pending, past which it re-reads every mailbox instead).
//
// When the notices are turned into responses (deliver_notifications):
//   - between commands, while the session waits for the next one (read_while_notifying):
//     RFC 5465 section 1 ("the client listens for event notifications all the time");
//   - during IDLE, instead of IDLE's own refresh (section 4: IDLE sends exactly the events
//     NOTIFY asked for).
// For the selected mailbox: EXISTS (with MessageNew's FETCH, section 5.2), EXPUNGE or
// VANISHED (section 5.3: with SELECTED at once, with SELECTED-DELAYED only during IDLE
// or a command that allows them, section 6.1.2), FETCH FLAGS (section 5.1). For other
// mailboxes: STATUS (sections 5.1-5.3), LIST for MailboxName (section 5.4, OLDNAME for a
// rename, \NonExistent for a deletion) and SubscriptionChange (section 5.5).
// Commands keep answering as the base protocol says (NOOP, EXPUNGE ... still announce the
// selected mailbox's changes); NOTIFY governs what is sent unasked.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/net/connection.h"
#include "imapd/change_hub.h"
#include "imapd/commands/notify_filter.h"
#include "store/mail_store.h"

namespace mail::imapd {

class Session;

class NotifyState {
 public:
  // A mailbox of the account as the client was last told of it.
  struct Box {
    std::string name;
    store::SpecialUse special_use = store::SpecialUse::None;
    uint32_t uid_validity = 0;
    uint32_t uid_next = 0;
    uint32_t messages = 0;
    uint32_t unseen = 0;
    uint64_t highest_modseq = 0;
  };

  // Registers with `hub` (may be null: then only the periodic re-read finds changes).
  NotifyState(NotifyFilter filter, ChangeHub* hub, net::asio::any_io_executor executor,
              size_t max_pending);
  ~NotifyState();
  NotifyState(const NotifyState&) = delete;
  NotifyState& operator=(const NotifyState&) = delete;

  const NotifyFilter& filter() const { return filter_; }
  // Whether anything is to be pushed (false after NOTIFY NONE or an overflow).
  bool pushes() const {
    return !stopped_ && (filter_.watches_mailboxes() || filter_.selected_events() != 0);
  }
  ChangeHub::Watcher& watcher() { return *watcher_; }
  const std::shared_ptr<ChangeHub::Watcher>& watcher_ptr() const { return watcher_; }

  // Loads the account's mailboxes and subscriptions (when the filter watches any). False
  // when there are more than `max_mailboxes` (the command then fails with NO
  // [NOTIFICATIONOVERFLOW], RFC 5465 section 3.1).
  net::awaitable<Result<bool>> load(Session& s, size_t max_mailboxes);
  // NOTIFY SET STATUS (section 3.1): a STATUS for each mailbox other than the selected one
  // that the filter names message events for.
  void write_initial_status(Session& s);

 private:
  friend net::awaitable<void> deliver_notifications(Session& s, bool in_idle);
  friend class NotifyDelivery;

  NotifyFilter filter_;
  ChangeHub* hub_ = nullptr;
  std::shared_ptr<ChangeHub::Watcher> watcher_;
  bool stopped_ = false;  // overflowed (section 5.8): as after NOTIFY NONE
  std::map<uint64_t, Box> boxes_;
  std::vector<std::string> subscribed_;   // sorted
  std::unordered_set<uint64_t> foreign_;  // other accounts' mailboxes seen in notices
};

// Turns the changes noticed since the last call into responses (see above). `in_idle`:
// expunges may go out whatever the selected specifier. May write a lot: drains the output
// as it goes. A NOTIFICATIONOVERFLOW stops the state (untagged OK, section 5.8).
net::awaitable<void> deliver_notifications(Session& s, bool in_idle);

// Waits up to `wait` for input like Connection::read_more while another coroutine pushes
// notifications as they come (then flushes them); the pusher has stopped when this
// returns, so the caller owns the session again. REQUIRES: s.notify() and pushes().
net::awaitable<net::ReadStatus> read_while_notifying(Session& s, std::chrono::seconds wait);

}  // namespace mail::imapd
