// STORE and UID STORE (RFC 9051 section 6.4.6): flag changes, answered with the new
// flags (FETCH) unless .SILENT.
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
  auto seqs = view.resolve(args.set, c.uid);
  if (!seqs) {
    s.bad(c.tag, "Invalid message sequence number");
    co_return;
  }
  std::vector<uint32_t> uids;
  uids.reserve(seqs->size());
  for (uint32_t seq : *seqs) uids.push_back(view.uid(seq));
  const store::FlagOp op = args.mode == imap::StoreMode::Add      ? store::FlagOp::Add
                           : args.mode == imap::StoreMode::Remove ? store::FlagOp::Remove
                                                                  : store::FlagOp::Replace;
  auto& mail_store = s.context().store;
  const uint64_t id = view.mailbox_id();
  auto updated = co_await s.blocking([&] { return mail_store.store_flags(id, uids, op, flags); });
  if (!updated) {
    s.no(c, "SERVERBUG", "Cannot store flags");
    co_return;
  }
  auto& out = s.out();
  for (const auto& u : *updated) {
    auto seq = view.update(u);
    if (!seq || args.silent) continue;
    out.untagged().number(*seq).atom("FETCH").open();
    if (c.uid) out.atom("UID").number(u.uid);
    out.atom("FLAGS");
    write_flags(out, u.flags);
    out.close().end();
    if (!co_await s.drain()) co_return;
  }
  // No EXPUNGE during STORE (RFC 9051 section 7.5.1); UID STORE may have them.
  co_await s.refresh(c.uid);
  s.completed(c);
}

}  // namespace mail::imapd::commands
