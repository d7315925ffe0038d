// NotifyState and the delivery of NOTIFY's unsolicited responses: see notify_state.h.
#include "imapd/commands/notify_state.h"

#include <algorithm>

#include "common/log.h"
#include "imapd/commands/fetch_response.h"
#include "imapd/commands/mailbox_names.h"
#include "imapd/session_impl.h"

namespace mail::imapd {
namespace {

using std::chrono::seconds;
using std::chrono::steady_clock;

constexpr unsigned kMessageEvents =
    imap::kNotifyMessageNew | imap::kNotifyMessageExpunge | imap::kNotifyFlagChange;
// Other accounts' mailbox ids remembered (so that their notices cost a hash lookup, not a
// store read); past this the set starts over.
constexpr size_t kMaxForeign = 4096;

NotifyState::Box box_of(const store::MailboxInfo& info) {
  return {info.name,     info.special_use, info.uid_validity,  info.uid_next,
          info.messages, info.unseen,      info.highest_modseq};
}

}  // namespace

// One delivery: the state, the session, and the LIST/STATUS writers.
class NotifyDelivery {
 public:
  NotifyDelivery(Session& s, NotifyState& n) : s_(s), n_(n) {}

  bool subscribed(std::string_view name) const {
    return std::binary_search(n_.subscribed_.begin(), n_.subscribed_.end(), name);
  }
  unsigned events_for(std::string_view name) const {
    return n_.filter_.events_for(name, subscribed(name));
  }
  bool is_selected(uint64_t id) const { return s_.is_selected() && s_.view().mailbox_id() == id; }

  // "* STATUS name (MESSAGES n UIDNEXT n UIDVALIDITY n UNSEEN n [HIGHESTMODSEQ n])": the
  // items of sections 5.1-5.3 (UNSEEN as Dovecot adds it; HIGHESTMODSEQ with CONDSTORE on,
  // section 5.2, or for FlagChange, section 5.1).
  void write_status(const NotifyState::Box& b, unsigned events) {
    auto& out = s_.out();
    out.untagged().atom("STATUS").mailbox(b.name).open();
    out.atom("MESSAGES").number(b.messages).atom("UIDNEXT").number(b.uid_next);
    out.atom("UIDVALIDITY").number(b.uid_validity).atom("UNSEEN").number(b.unseen);
    if (s_.enabled(Extension::CondStore) || (events & imap::kNotifyFlagChange) != 0)
      out.atom("HIGHESTMODSEQ").number(b.highest_modseq);
    out.close().end();
  }

  // "* LIST (attributes) "/" name [("OLDNAME" (old))]" (sections 5.4, 5.5; RFC 5258).
  void write_list(std::string_view name, std::string_view old_name = {}) {
    const NotifyState::Box* box = nullptr;
    for (const auto& [id, b] : n_.boxes_)
      if (b.name == name) box = &b;
    auto& out = s_.out();
    out.untagged().atom("LIST").open();
    if (box == nullptr) out.flag("\\NonExistent");   // section 5.4: gone (or never was)
    if (subscribed(name)) out.flag("\\Subscribed");  // section 5.5
    if (box != nullptr) {
      bool children = false;
      for (const auto& [id, b] : n_.boxes_)
        children = children || (b.name.size() > name.size() && b.name.starts_with(name) &&
                                b.name[name.size()] == '/');
      out.flag(children ? "\\HasChildren" : "\\HasNoChildren");
      if (const char* use = special_use_attribute(box->special_use)) out.flag(use);
    }
    out.close().string("/").mailbox(name);
    if (!old_name.empty()) out.open().string("OLDNAME").open().mailbox(old_name).close().close();
    out.end();
  }

  // Section 5.8: "* OK [NOTIFICATIONOVERFLOW]", then as if NOTIFY NONE had come.
  void overflow(std::string_view why) {
    log::info("notify_overflow").kv("session", s_.connection().id()).kv("why", why);
    s_.out().untagged().status(imap::Status::Ok).code("NOTIFICATIONOVERFLOW").text(why);
    n_.stopped_ = true;
    n_.filter_ = NotifyFilter{};
    n_.boxes_.clear();
    std::vector<std::string>().swap(n_.subscribed_);
  }

  // One mailbox id from a notice (or every one, on a re-read).
  void mailbox_changed(uint64_t id) {
    auto& store = s_.context().store;
    auto cached = n_.boxes_.find(id);
    if (cached == n_.boxes_.end()) {
      if (n_.foreign_.contains(id)) return;
      auto owner = store.mailbox_account(id);
      if (!owner) return;  // created and deleted meanwhile, or not a mailbox
      if (*owner != s_.account()) {
        if (n_.foreign_.size() >= kMaxForeign) n_.foreign_.clear();
        n_.foreign_.insert(id);
        return;
      }
    }
    auto info = store.mailbox_by_id(id);
    if (!info) {
      if (info.error().kind != ErrorKind::NotFound || cached == n_.boxes_.end()) return;
      // Deleted (section 5.4): LIST with \NonExistent for a mailbox the client watched.
      const std::string name = cached->second.name;
      n_.boxes_.erase(cached);
      if (events_for(name) & imap::kNotifyMailboxName) write_list(name);
      return;
    }
    if (cached == n_.boxes_.end()) {
      // A new mailbox of the account: created, or the parent of a created or renamed one.
      if (n_.boxes_.size() >= max_mailboxes_) {
        overflow("Too many mailboxes to watch");
        return;
      }
      n_.boxes_.emplace(id, box_of(*info));
      if (events_for(info->name) & imap::kNotifyMailboxName) write_list(info->name);
      return;
    }
    NotifyState::Box& box = cached->second;
    if (info->name != box.name) {
      // Renamed (section 5.4): the new name with OLDNAME, if either name is watched.
      const std::string old_name = box.name;
      box.name = info->name;
      if ((events_for(old_name) | events_for(box.name)) & imap::kNotifyMailboxName)
        write_list(box.name, old_name);
    }
    const NotifyState::Box was = box;
    box = box_of(*info);
    if (is_selected(id)) return;  // its own events come from the session's view
    const unsigned events = events_for(box.name);
    const bool count_changed = was.messages != box.messages || was.uid_next != box.uid_next ||
                               was.uid_validity != box.uid_validity;
    const bool flags_changed = was.highest_modseq != box.highest_modseq || was.unseen != box.unseen;
    const bool tell =
        ((events & (imap::kNotifyMessageNew | imap::kNotifyMessageExpunge)) && count_changed) ||
        ((events & imap::kNotifyFlagChange) && (flags_changed || count_changed));
    if (tell) write_status(box, events);
  }

  // Section 5.5 (and the SUBSCRIBED filter, section 6.4): the subscriptions as they are now.
  net::awaitable<void> subscriptions_changed() {
    auto& store = s_.context().store;
    const std::string& account = s_.account();
    auto listed = co_await s_.blocking([&] { return store.list(account); });
    if (!listed) co_return;
    std::vector<std::string> now;
    for (const auto& e : *listed)
      if (e.info.subscribed) now.push_back(e.info.name);
    std::sort(now.begin(), now.end());
    if (now.size() > max_mailboxes_) {
      overflow("Too many subscriptions to watch");
      co_return;
    }
    std::vector<std::string> changed;
    std::set_symmetric_difference(n_.subscribed_.begin(), n_.subscribed_.end(), now.begin(),
                                  now.end(), std::back_inserter(changed));
    std::vector<std::string> before;
    before.swap(n_.subscribed_);
    n_.subscribed_ = std::move(now);
    for (const std::string& name : changed) {
      const bool was = std::binary_search(before.begin(), before.end(), name);
      const unsigned events = n_.filter_.events_for(name, was) | n_.filter_.events_for(name, !was);
      if (events & imap::kNotifySubscriptionChange) write_list(name);
    }
  }

  // MessageNew's FETCH for the selected mailbox's new messages (section 5.2), after the
  // EXISTS: UIDs from `first_uid` on that the client now knows. Drains as it goes.
  net::awaitable<void> fetch_new_messages(uint32_t first_uid) {
    const auto& items = n_.filter_.new_message_items();
    const FetchNeeds needs = fetch_needs(items);
    ConnectionSink octets(s_.connection());
    FetchResponder responder(items, s_.out(), octets);
    responder.set_recent_from(&s_.view());
    uint32_t from = first_uid;
    for (;;) {
      const uint32_t last = s_.view().uid_next() - 1;
      if (from > last) break;
      const store::UidRange range[] = {{from, last}};
      bool more = false, wrote = false;
      auto walked = s_.read_view([&](MailboxView::Snapshot& snap) -> Result<void> {
        return snap.for_each(range, needs.parts(), [&](const MailboxView::Snapshot::Message& m) {
          if (m.message == nullptr) return true;  // already expunged again
          if (wrote && s_.connection().pending_output() > kOutputFlushThreshold) {
            from = m.uid;
            more = true;
            return false;
          }
          if (needs.binary && responder.refusal(*m.message)) return true;
          responder.write(m.seq, *m.message, false);
          wrote = true;
          return true;
        });
      });
      if (!walked || !co_await s_.drain() || !more) break;
    }
  }

  size_t max_mailboxes_ = 0;

 private:
  Session& s_;
  NotifyState& n_;
};

NotifyState::NotifyState(NotifyFilter filter, ChangeHub* hub, net::asio::any_io_executor executor,
                         size_t max_pending)
    : filter_(std::move(filter)), hub_(hub) {
  if (hub_) {
    watcher_ = hub_->watch_all(executor, max_pending);
  } else {
    watcher_ = std::make_shared<ChangeHub::Watcher>(executor, 0);
    watcher_->max_ids = max_pending;
  }
}

NotifyState::~NotifyState() {
  if (hub_) hub_->unwatch(watcher_);
}

net::awaitable<Result<bool>> NotifyState::load(Session& s, size_t max_mailboxes) {
  if (!filter_.watches_mailboxes()) co_return true;
  auto& store = s.context().store;
  const std::string& account = s.account();
  auto listed = co_await s.blocking([&] { return store.list(account); });
  if (!listed) co_return std::move(listed.error());
  for (const auto& e : *listed) {
    if (e.info.subscribed) subscribed_.push_back(e.info.name);
    if (e.exists) boxes_.emplace(e.info.id, box_of(e.info));
  }
  std::sort(subscribed_.begin(), subscribed_.end());
  co_return boxes_.size() <= max_mailboxes&& subscribed_.size() <= max_mailboxes;
}

void NotifyState::write_initial_status(Session& s) {
  NotifyDelivery d(s, *this);
  for (const auto& [id, box] : boxes_) {
    if (d.is_selected(id)) continue;  // section 3.1: mailboxes other than the selected one
    const unsigned events = d.events_for(box.name);
    if (events & (kMessageEvents | imap::kNotifyAnnotationChange)) d.write_status(box, events);
  }
}

net::awaitable<void> deliver_notifications(Session& s, bool in_idle) {
  NotifyState* n = s.notify();
  if (n == nullptr || n->stopped_) co_return;
  ChangeHub::Watcher& w = n->watcher();
  w.notified = false;
  const bool everything = w.overflowed;
  std::vector<uint64_t> ids;
  ids.swap(w.ids);
  w.overflowed = false;
  NotifyDelivery d(s, *n);
  d.max_mailboxes_ = static_cast<size_t>(s.config().notify_max_mailboxes);

  // The selected mailbox (sections 5.1-5.3): its view announces what changed, expunges at
  // once with SELECTED or in IDLE, else held back (SELECTED-DELAYED, section 6.1.2).
  const unsigned selected = n->filter().selected_events();
  if (s.is_selected() && (selected & imap::kNotifyMessageNew)) {
    const uint32_t known = s.view().uid_next();
    const bool expunges = in_idle || !n->filter().selected_delayed();
    co_await s.refresh(expunges, (selected & imap::kNotifyFlagChange) != 0);
    if (!s.is_selected()) co_return;  // the mailbox went away: BYE was sent
    if (!n->filter().new_message_items().empty() && s.view().uid_next() > known)
      co_await d.fetch_new_messages(known);
    if (s.view().pending_expunges().size() > static_cast<size_t>(s.config().notify_max_pending)) {
      d.overflow("Too many expunges held back");
      co_return;
    }
  }
  if (!n->filter().watches_mailboxes()) co_return;

  const bool subscriptions =
      everything || std::binary_search(ids.begin(), ids.end(), store::kSubscriptionsNotice);
  if (subscriptions && n->filter().uses_subscriptions()) {
    co_await d.subscriptions_changed();
    if (n->stopped_) co_return;
  }
  if (everything) {
    // Notices were lost (or this is the periodic re-read): every mailbox of the account,
    // those known and those the store has now.
    auto& store = s.context().store;
    const std::string& account = s.account();
    auto listed = co_await s.blocking([&] { return store.list_mailboxes(account); });
    ids.clear();
    for (const auto& [id, box] : n->boxes_) ids.push_back(id);
    if (listed)
      for (const auto& info : *listed) ids.push_back(info.id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  }
  for (uint64_t id : ids) {
    if (id == store::kSubscriptionsNotice) continue;
    d.mailbox_changed(id);
    if (n->stopped_) co_return;
    if (!co_await s.drain()) co_return;
  }
}

namespace {

struct Pusher {
  net::asio::steady_timer finished;  // cancelled when the pusher ends
  bool stop = false;
  bool running = true;
};

// Pushes notifications while the session waits for a command (RFC 5465 section 1):
// woken by the ChangeHub, and every imapd.idle_refresh_interval it re-reads everything
// (the safety net when notices are lost, as IDLE has).
net::awaitable<void> push_notifications(Session& s, Pusher& p) {
  ChangeHub::Watcher& w = s.notify()->watcher();
  auto& conn = s.connection();
  const auto every = seconds(s.config().idle_refresh_interval);
  auto next_reread = steady_clock::now() + every;
  while (!p.stop) {
    if (!w.notified) {
      w.timer.expires_at(next_reread);
      co_await w.timer.async_wait(net::use_nothrow);
    }
    if (p.stop) break;
    if (steady_clock::now() >= next_reread) {
      w.overflowed = true;
      next_reread = steady_clock::now() + every;
    }
    if (w.notified || w.overflowed) co_await deliver_notifications(s, false);
    if (conn.pending_output() > 0 && !co_await conn.flush()) break;
    if (std::holds_alternative<Logout>(s.state())) {
      conn.close();  // BYE went out (the selected mailbox was deleted): end the read
      break;
    }
    if (s.notify() == nullptr || !s.notify()->pushes()) break;  // overflowed
  }
  p.running = false;
  p.finished.cancel();
}

}  // namespace

net::awaitable<net::ReadStatus> read_while_notifying(Session& s, std::chrono::seconds wait) {
  auto& conn = s.connection();
  // What the last command left goes out first: from here on only the pusher writes
  // (the read below then has nothing to flush), so the two never write at once.
  if (conn.pending_output() > 0 && !co_await conn.flush()) co_return net::ReadStatus::Closed;
  auto executor = conn.executor();
  Pusher p{net::asio::steady_timer(executor), false, true};
  p.finished.expires_at(steady_clock::time_point::max());
  net::asio::co_spawn(executor, push_notifications(s, p), net::asio::detached);
  const net::ReadStatus status = co_await conn.read_more(wait);
  p.stop = true;
  if (s.notify()) s.notify()->watcher().timer.cancel();
  if (p.running) co_await p.finished.async_wait(net::use_nothrow);
  co_return status;
}

}  // namespace mail::imapd
