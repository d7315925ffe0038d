// STORE and UID STORE (RFC 9051 section 6.4.6), EXPUNGE (6.4.3) and UID EXPUNGE
// (RFC 4315 section 2.1), CLOSE (6.4.1) and UNSELECT (RFC 3691).
#include <algorithm>

#include "imapd/session_impl.h"

namespace mail::imapd {

net::awaitable<void> Session::store(const imap::Command& c) {
  const auto& args = std::get<imap::StoreArgs>(c.args);
  if (selected_->read_only) {
    no(c, "Mailbox is read-only", "READ-ONLY");
    co_return;
  }
  store::Flags flags;
  std::string bad_name;
  if (!parse_flags(args.flags, flags, bad_name)) {
    bad(c.tag, "Invalid flag " + bad_name);
    co_return;
  }
  std::vector<size_t> indexes;
  if (!resolve_set(args.set, c.uid, indexes)) {
    bad(c.tag, "Invalid message sequence number");
    co_return;
  }
  auto& messages = selected_->messages;
  std::vector<uint32_t> uids;
  for (size_t i : indexes) uids.push_back(messages[i].uid);
  const store::FlagOp op = args.mode == imap::StoreMode::Add      ? store::FlagOp::Add
                           : args.mode == imap::StoreMode::Remove ? store::FlagOp::Remove
                                                                  : store::FlagOp::Replace;
  auto updated = co_await blocking(
      [&] { return ctx_.store.store_flags(selected_->info.id, uids, op, flags); });
  if (!updated) {
    no(c, "Cannot store flags", "SERVERBUG");
    co_return;
  }
  for (const auto& u : *updated) {
    auto it =
        std::lower_bound(messages.begin(), messages.end(), u.uid,
                         [](const store::MessageInfo& m, uint32_t uid) { return m.uid < uid; });
    if (it == messages.end() || it->uid != u.uid) continue;
    *it = u;
    if (args.silent) continue;
    std::string line = std::to_string(it - messages.begin() + 1) + " FETCH (";
    if (c.uid) line += "UID " + std::to_string(u.uid) + " ";
    line += "FLAGS " + format_message_flags(u.flags) + ")";
    untagged(line);
  }
  co_await refresh(false);
  ok(c, std::string(c.uid ? "UID " : "") + "STORE completed");
}

net::awaitable<void> Session::expunge(const imap::Command& c) {
  if (selected_->read_only) {
    no(c, "Mailbox is read-only", "READ-ONLY");
    co_return;
  }
  co_await refresh(true);  // \Deleted set by other sessions counts too
  // UID EXPUNGE removes only the named messages among the \Deleted ones.
  const imap::SequenceSet* only = c.uid ? &std::get<imap::SequenceArgs>(c.args).set : nullptr;
  const auto& messages = selected_->messages;
  const uint32_t max_uid = messages.empty() ? 0 : messages.back().uid;
  std::vector<uint32_t> deleted;
  for (const auto& m : messages)
    if ((m.flags.system & store::kDeleted) && (!only || only->contains(m.uid, max_uid)))
      deleted.push_back(m.uid);
  if (!deleted.empty()) {
    auto removed =
        co_await blocking([&] { return ctx_.store.expunge(selected_->info.id, deleted); });
    if (!removed) {
      no(c, "Expunge failed", "SERVERBUG");
      co_return;
    }
    co_await refresh(true);  // reports each removal as EXPUNGE, highest number first
  }
  ok(c, std::string(c.uid ? "UID " : "") + "EXPUNGE completed");
}

net::awaitable<void> Session::close(const imap::Command& c) {
  if (!selected_->read_only) {
    std::vector<uint32_t> deleted;
    auto fresh = co_await blocking([&] { return ctx_.store.messages(selected_->info.id); });
    if (fresh)
      for (const auto& m : *fresh)
        if (m.flags.system & store::kDeleted) deleted.push_back(m.uid);
    if (!deleted.empty())
      (void)co_await blocking([&] { return ctx_.store.expunge(selected_->info.id, deleted); });
  }
  deselect();
  ok(c, "CLOSE completed");
}

net::awaitable<void> Session::unselect(const imap::Command& c) {
  deselect();
  ok(c, "UNSELECT completed");
  co_return;
}

}  // namespace mail::imapd
