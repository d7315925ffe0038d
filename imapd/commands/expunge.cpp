// EXPUNGE (RFC 9051 section 6.4.3) and UID EXPUNGE (RFC 4315 section 2.1): removes the
// \Deleted messages (UID EXPUNGE: only those of its set) and reports each removal.
#include "imapd/commands/handlers.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {

net::awaitable<void> expunge(Session& s, const imap::Command& c) {
  if (s.view().read_only()) {
    s.no(c, "READ-ONLY", "Mailbox is read-only");
    co_return;
  }
  co_await s.refresh(true);  // \Deleted set by other sessions counts too
  MailboxView& view = s.view();
  const imap::SequenceSet* only = c.uid ? &std::get<imap::SequenceArgs>(c.args).set : nullptr;
  std::vector<uint32_t> deleted;
  for (uint32_t seq = 1; seq <= view.exists(); ++seq) {
    const store::MessageInfo& m = view.message(seq);
    if ((m.flags.system & store::kDeleted) && (!only || only->contains(m.uid, view.max_uid())))
      deleted.push_back(m.uid);
  }
  if (!deleted.empty()) {
    auto& store = s.context().store;
    const uint64_t id = view.mailbox_id();
    auto removed = co_await s.blocking([&] { return store.expunge(id, deleted); });
    if (!removed) {
      s.no(c, "SERVERBUG", "Expunge failed");
      co_return;
    }
    co_await s.refresh(true);  // reports each removal as EXPUNGE, highest number first
  }
  s.completed(c);
}

}  // namespace mail::imapd::commands
