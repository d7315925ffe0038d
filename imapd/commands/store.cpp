// STORE and UID STORE (RFC 9051 section 6.4.6): flag changes, answered with the new
// flags (FETCH) unless .SILENT; with CONDSTORE's UNCHANGEDSINCE (RFC 7162 section 3.1.3)
// messages changed since are left alone and named in [MODIFIED set]. A keyword the
// mailbox did not have is announced (untagged FLAGS, PERMANENTFLAGS) before any FETCH
// names it.
#include <algorithm>

#include "imapd/commands/handlers.h"
#include "imapd/message_flags.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {

net::awaitable<void> store(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::StoreArgs>(c.args);
  MailboxView& view = s.view();
  if (view.read_only()) {
    s.no(c, "READ-ONLY", "Mailbox is read-only");
    co_return;
  }
  store::Flags flags;
  std::string bad_name;
  if (!to_store_flags(args.flags, flags, bad_name)) {
    s.bad(c.tag, "Invalid flag " + bad_name);
    co_return;
  }
  if (args.unchanged_since) s.enable(Extension::CondStore);  // RFC 7162 section 3.1
  // (seq, uid) of each message named that still exists, ascending.
  std::vector<std::pair<uint32_t, uint32_t>> targets;
  bool in_range = true;
  auto resolved = s.read_view([&](MailboxView::Snapshot& snap) -> Result<void> {
    auto ranges = snap.resolve(args.set, c.uid);
    if (!ranges) return std::move(ranges.error());
    if (!*ranges) {
      in_range = false;
      return {};
    }
    return snap.for_each(**ranges, store::kPartInfo, [&](const MailboxView::Snapshot::Message& m) {
      if (m.message) targets.emplace_back(m.seq, m.uid);  // an expunged one is skipped
      return true;
    });
  });
  if (!resolved) {
    s.no(c, "SERVERBUG", "Cannot read the mailbox");
    co_return;
  }
  if (!in_range) {
    s.bad(c.tag, "Invalid message sequence number");
    co_return;
  }
  std::vector<uint32_t> uids;
  uids.reserve(targets.size());
  for (const auto& t : targets) uids.push_back(t.second);
  const store::FlagOp op = args.mode == imap::StoreMode::Add      ? store::FlagOp::Add
                           : args.mode == imap::StoreMode::Remove ? store::FlagOp::Remove
                                                                  : store::FlagOp::Replace;
  auto& mail_store = s.context().store;
  const uint64_t id = view.mailbox_id();
  const std::optional<uint64_t> unchanged_since = args.unchanged_since;
  auto updated = co_await s.blocking([&]() -> Result<store::FlagResult> {
    if (uids.empty()) return store::FlagResult{};
    return mail_store.store_flags_if(id, uids, op, flags, unchanged_since);
  });
  if (!updated) {
    if (updated.error().kind == ErrorKind::Invalid) {
      s.no(c, "LIMIT", "Too many keywords in this mailbox");
    } else {
      s.no(c, "SERVERBUG", "Cannot store flags");
    }
    co_return;
  }
  if (!s.is_selected()) co_return;  // the session ended meanwhile
  // A new keyword: FLAGS first (imaptest found FETCH naming keywords never announced).
  const bool unknown_keyword =
      std::any_of(updated->messages.begin(), updated->messages.end(),
                  [&](const store::MessageInfo& m) { return !s.view().knows_keywords(m.flags); });
  if (unknown_keyword) {
    auto info = mail_store.mailbox_by_id(id);
    if (info) s.view().announce_keywords(s.out(), &info->keywords);
  }
  const bool condstore = s.enabled(Extension::CondStore);
  auto seq_of = [&](uint32_t uid) {
    auto it = std::lower_bound(targets.begin(), targets.end(), uid,
                               [](const auto& t, uint32_t u) { return t.second < u; });
    return it != targets.end() && it->second == uid ? it->first : 0;
  };
  auto& out = s.out();
  for (const auto& m : updated->messages) {
    const uint32_t seq = seq_of(m.uid);
    if (seq == 0) continue;
    s.view().note_reported(m.uid, m.modseq);
    if (!args.silent) {
      write_flag_update(out, seq, m, c.uid, condstore, s.view().is_recent(m.uid));
    } else if (condstore) {
      // RFC 7162 section 3.1.3: .SILENT still reports the new MODSEQ.
      out.untagged().number(seq).atom("FETCH").open();
      if (c.uid) out.atom("UID").number(m.uid);
      out.atom("MODSEQ").open().number(m.modseq).close().close().end();
    }
    if (!co_await s.drain()) co_return;
  }
  // No EXPUNGE during STORE (RFC 9051 section 7.5.1), nor during UID STORE here; with
  // QRESYNC, VANISHED may come during UID STORE (RFC 7162 section 3.2.10).
  co_await s.refresh(c.uid && s.enabled(Extension::QResync));
  if (!updated->modified.empty()) {
    std::vector<uint32_t> modified;  // UIDs for UID STORE, sequence numbers for STORE
    for (uint32_t uid : updated->modified) modified.push_back(c.uid ? uid : seq_of(uid));
    std::sort(modified.begin(), modified.end());
    out.tagged(c.tag)
        .status(imap::Status::Ok)
        .begin_code("MODIFIED")
        .sequence_set(modified)
        .end_code()
        .text("Conditional STORE failed");
    co_return;
  }
  s.completed(c);
}

}  // namespace mail::imapd::commands
