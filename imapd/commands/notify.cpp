// NOTIFY (RFC 5465): NOTIFY NONE and NOTIFY SET [STATUS] event-groups. The handler checks
// what the parser could not (the events we support, the bounds), loads the account's
// mailboxes when the filter watches any, gives the accumulated changes of the selected
// mailbox (section 3.1: a successful NOTIFY SET implies a NOOP), installs the new state in
// place of the old one and writes the initial STATUS responses. From then on
// commands/notify_state.h pushes the events.
//
// Deviation, as Dovecot 2.3 does: section 5 says MessageNew and MessageExpunge go together
// (and FlagChange needs both) or the command is BAD; the parser enforces that for the
// SELECTED groups, where sequence numbers depend on it, but takes a lone MessageNew,
// MessageExpunge or FlagChange for other mailboxes (each then means "send STATUS when
// that changed"), as imaptest's notify script (at the commit ../shared/tools/imaptest.md
// pins) expects.
#include <algorithm>
#include <memory>

#include "imapd/commands/handlers.h"
#include "imapd/commands/notify_state.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {
namespace {

// Section 5: what we send. AnnotationChange needs ANNOTATE (RFC 5257) and the metadata
// events METADATA (RFC 5464); we offer neither.
constexpr unsigned kSupported = imap::kNotifyMessageNew | imap::kNotifyMessageExpunge |
                                imap::kNotifyFlagChange | imap::kNotifyMailboxName |
                                imap::kNotifySubscriptionChange;

bool has_unsupported_event(const imap::NotifyArgs& a) {
  for (const auto& g : a.groups)
    if (!g.unknown_events.empty() || (g.events & ~kSupported) != 0) return true;
  return false;
}

}  // namespace

net::awaitable<void> notify(Session& s, const imap::Command& c) {
  imap::NotifyArgs args = std::get<imap::NotifyArgs>(c.args);
  const auto& cfg = s.config();
  ChangeHub* hub = s.context().changes;
  auto executor = s.connection().executor();
  const auto max_pending = static_cast<size_t>(cfg.notify_max_pending);
  if (args.none) {
    // Section 3.1: no events at all from now on.
    s.set_notify(std::make_unique<NotifyState>(NotifyFilter{}, hub, executor, max_pending));
    s.completed(c);
    co_return;
  }
  if (has_unsupported_event(args)) {
    // Section 3.1: NO (not BAD) with the events the server supports.
    auto& out = s.out();
    out.tagged(c.tag).status(imap::Status::No).begin_code("BADEVENT").open();
    out.atom("MessageNew").atom("MessageExpunge").atom("FlagChange").atom("MailboxName");
    out.atom("SubscriptionChange").close().end_code().text("Unsupported NOTIFY event");
    co_return;
  }
  // MessageNew's fetch attributes never set \Seen (section 5.2 asks clients not to use
  // such; we take them as .PEEK) and always carry the UID.
  for (auto& g : args.groups) {
    for (auto& item : g.fetch) item.peek = true;
    const bool has_uid = std::any_of(g.fetch.begin(), g.fetch.end(),
                                     [](const auto& i) { return i.attr == imap::FetchAttr::Uid; });
    if (!g.fetch.empty() && !has_uid)
      g.fetch.insert(g.fetch.begin(), imap::FetchItem{imap::FetchAttr::Uid, false, {}, {}});
  }
  NotifyFilter filter = NotifyFilter::from(args, s.extensions().utf8());
  const auto max_mailboxes = static_cast<size_t>(cfg.notify_max_mailboxes);
  if (filter.name_count() > max_mailboxes) {
    // Section 3.1: too expensive a request is refused with NOTIFICATIONOVERFLOW.
    s.no(c, "NOTIFICATIONOVERFLOW", "Too many mailbox names");
    co_return;
  }
  auto state = std::make_unique<NotifyState>(std::move(filter), hub, executor, max_pending);
  auto loaded = co_await state->load(s, max_mailboxes);
  if (!loaded) {
    s.no(c, "UNAVAILABLE", "Cannot read the mailboxes");
    co_return;
  }
  if (!*loaded) {
    s.no(c, "NOTIFICATIONOVERFLOW", "Too many mailboxes to watch");
    co_return;
  }
  // Section 3.1: the accumulated changes of the selected mailbox, as NOOP gives them.
  co_await s.refresh(true);
  if (std::holds_alternative<Logout>(s.state())) co_return;
  if (args.status) state->write_initial_status(s);
  s.set_notify(std::move(state));
  s.completed(c);
}

}  // namespace mail::imapd::commands
