// EXPUNGE (RFC 9051 section 6.4.3) and UID EXPUNGE (RFC 4315 section 2.1): removes the
// \Deleted messages the client knows (UID EXPUNGE: only those of its set) in one store
// transaction and reports each removal (EXPUNGE, or VANISHED once QRESYNC is on),
// together with removals by other sessions.
#include "imapd/commands/handlers.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {

net::awaitable<void> expunge(Session& s, const imap::Command& c) {
  MailboxView& view = s.view();
  if (view.read_only()) {
    s.no(c, "READ-ONLY", "Mailbox is read-only");
    co_return;
  }
  // Only messages the client knows: one delivered after the last EXISTS is not its to
  // remove, even with \Deleted.
  std::vector<store::UidRange> ranges{{1, view.uid_next() - 1}};
  if (c.uid) {
    const auto& set = std::get<imap::SequenceArgs>(c.args).set;
    std::optional<std::vector<store::UidRange>> resolved;
    auto read = s.read_view([&](MailboxView::Snapshot& snap) -> Result<void> {
      auto r = snap.resolve(set, true);
      if (!r) return std::move(r.error());
      resolved = std::move(*r);
      return {};
    });
    if (!read || !resolved) {
      s.no(c, "SERVERBUG", "Cannot read the mailbox");
      co_return;
    }
    ranges = std::move(*resolved);
  }
  if (!ranges.empty()) {
    auto& store = s.context().store;
    const uint64_t id = view.mailbox_id();
    auto removed = co_await s.blocking(
        [&] { return store.expunge_deleted(id, std::span<const store::UidRange>(ranges)); });
    if (!removed) {
      s.no(c, "SERVERBUG", "Expunge failed");
      co_return;
    }
  }
  co_await s.refresh(true);  // each removal, highest sequence number first
  s.completed_with_modseq(c);
}

}  // namespace mail::imapd::commands
