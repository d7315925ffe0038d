// The LMDB store's message operations: listing, fetching bytes, flag changes (with
// UNCHANGEDSINCE), expunge, COPY and MOVE. Layout: see lmdb_store.cpp. Caller input (UIDs,
// flags) is untrusted only in the sense that missing UIDs are skipped and unknown flag bits
// dropped.
#include <algorithm>
#include <set>

#include "store/lmdb/lmdb_store.h"

namespace mail::store::detail {
namespace {

Flags clean(const Flags& f) {
  Flags out{f.system & kKnownSystemFlags, f.keywords};
  normalize_keywords(out.keywords);
  return out;
}

// Applies a STORE operation (RFC 9051 §6.4.6) to `cur`.
Flags apply(const Flags& cur, FlagOp op, const Flags& change) {
  Flags out = cur;
  switch (op) {
    case FlagOp::Replace:
      out = change;
      break;
    case FlagOp::Add:
      out.system |= change.system;
      out.keywords.insert(out.keywords.end(), change.keywords.begin(), change.keywords.end());
      normalize_keywords(out.keywords);  // stable: an existing spelling wins
      break;
    case FlagOp::Remove:
      out.system &= ~change.system;
      std::erase_if(out.keywords, [&](const std::string& k) {
        return std::any_of(change.keywords.begin(), change.keywords.end(),
                           [&](const std::string& r) { return keyword_equal(k, r); });
      });
      break;
  }
  return out;
}

}  // namespace

Result<std::vector<MessageInfo>> LmdbStore::messages(uint64_t mailbox_id) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
  STORE_TRY(require_mailbox(txn, db_, mailbox_id));
  STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.messages));
  std::string prefix = message_prefix(mailbox_id);
  std::vector<MessageInfo> out;
  for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
    auto uid = message_key_uid(cur.key());
    auto msg = uid ? decode_message(*uid, cur.value()) : std::nullopt;
    if (!msg) return corrupt("message of mailbox " + std::to_string(mailbox_id) + ": bad record");
    out.push_back(std::move(*msg));
  }
  return out;
}

Result<std::string> LmdbStore::message_bytes(uint64_t mailbox_id, uint32_t uid) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
  STORE_ASSIGN(std::optional<MessageInfo> msg, load_message(txn, db_, mailbox_id, uid));
  if (!msg)
    return make_error(ErrorKind::NotFound,
                      "no message " + std::to_string(mailbox_id) + "/" + std::to_string(uid));
  STORE_ASSIGN(std::optional<std::string_view> body, txn.get(db_.bodies, u64_key(msg->body_id)));
  if (!body) return corrupt("body " + std::to_string(msg->body_id) + " missing");
  return std::string(*body);
}

Result<FlagResult> LmdbStore::change_flags(Writer& w, uint64_t mailbox_id,
                                           std::span<const uint32_t> uids, FlagOp op,
                                           const Flags& flags,
                                           std::optional<uint64_t> unchanged_since) {
  Flags change = clean(flags);
  STORE_ASSIGN(MailboxRecord * box, w.mailbox(mailbox_id));
  FlagResult out;
  for (uint32_t uid : std::set<uint32_t>(uids.begin(), uids.end())) {
    STORE_ASSIGN(std::optional<MessageInfo> msg, load_message(w.txn(), db_, mailbox_id, uid));
    if (!msg) continue;
    if (unchanged_since && msg->modseq > *unchanged_since) {
      out.modified.push_back(uid);
      continue;
    }
    STORE_TRY(w.set_flags(*box, *msg, apply(msg->flags, op, change)));
    out.messages.push_back(std::move(*msg));
  }
  return out;
}

Result<std::vector<MessageInfo>> LmdbStore::store_flags(uint64_t mailbox_id,
                                                        std::span<const uint32_t> uids, FlagOp op,
                                                        const Flags& flags) {
  STORE_ASSIGN(FlagResult result, store_flags_if(mailbox_id, uids, op, flags, std::nullopt));
  return std::move(result.messages);
}

Result<FlagResult> LmdbStore::store_flags_if(uint64_t mailbox_id, std::span<const uint32_t> uids,
                                             FlagOp op, const Flags& flags,
                                             std::optional<uint64_t> unchanged_since) {
  return write<FlagResult>(
      [&](Writer& w) { return change_flags(w, mailbox_id, uids, op, flags, unchanged_since); });
}

Result<std::vector<uint32_t>> LmdbStore::remove_uids(Writer& w, uint64_t mailbox_id,
                                                     std::span<const uint32_t> uids,
                                                     bool only_deleted) {
  STORE_ASSIGN(MailboxRecord * box, w.mailbox(mailbox_id));
  std::vector<uint32_t> removed;
  for (uint32_t uid : std::set<uint32_t>(uids.begin(), uids.end())) {
    STORE_ASSIGN(std::optional<MessageInfo> msg, load_message(w.txn(), db_, mailbox_id, uid));
    if (!msg || (only_deleted && !(msg->flags.system & kDeleted))) continue;
    STORE_TRY(w.remove_message(*box, *msg, true));
    removed.push_back(uid);
  }
  return removed;
}

Result<std::vector<uint32_t>> LmdbStore::expunge(uint64_t mailbox_id,
                                                 std::span<const uint32_t> uids) {
  return write<std::vector<uint32_t>>(
      [&](Writer& w) { return remove_uids(w, mailbox_id, uids, false); });
}

Result<std::vector<uint32_t>> LmdbStore::expunge_deleted(
    uint64_t mailbox_id, std::optional<std::span<const UidRange>> within) {
  return write<std::vector<uint32_t>>([&](Writer& w) -> Result<std::vector<uint32_t>> {
    STORE_TRY(w.mailbox(mailbox_id));  // NotFound before anything else
    std::vector<UidRange> ranges;
    if (within)
      ranges.assign(within->begin(), within->end());
    else
      ranges.push_back(UidRange{});
    std::vector<uint32_t> uids;
    {
      STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(w.txn(), db_.deleted));
      std::string prefix = message_prefix(mailbox_id);
      for (const UidRange& r : ranges) {
        for (bool ok = cur.seek(message_key(mailbox_id, r.first));
             ok && cur.key().starts_with(prefix); ok = cur.next()) {
          auto uid = message_key_uid(cur.key());
          if (!uid) return corrupt("deleted index of mailbox " + std::to_string(mailbox_id));
          if (*uid > r.last) break;
          uids.push_back(*uid);
        }
      }
    }
    return remove_uids(w, mailbox_id, uids, true);
  });
}

Result<CopyResult> LmdbStore::copy(uint64_t from_mailbox, std::span<const uint32_t> uids,
                                   uint64_t to_mailbox) {
  return transfer(from_mailbox, uids, to_mailbox, false);
}

Result<CopyResult> LmdbStore::move(uint64_t from_mailbox, std::span<const uint32_t> uids,
                                   uint64_t to_mailbox) {
  return transfer(from_mailbox, uids, to_mailbox, true);
}

Result<CopyResult> LmdbStore::transfer(uint64_t from, std::span<const uint32_t> uids, uint64_t to,
                                       bool move) {
  return write<CopyResult>([&](Writer& w) -> Result<CopyResult> {
    STORE_ASSIGN(MailboxRecord * source, w.mailbox(from));
    STORE_ASSIGN(MailboxRecord * target, w.mailbox(to));
    std::vector<MessageInfo> msgs;
    uint64_t octets = 0;
    for (uint32_t uid : std::set<uint32_t>(uids.begin(), uids.end())) {
      STORE_ASSIGN(std::optional<MessageInfo> msg, load_message(w.txn(), db_, from, uid));
      if (!msg) continue;
      octets += msg->size;
      msgs.push_back(std::move(*msg));
    }
    // A move within one account does not change its usage (RFC 9208 5: only COPY, APPEND
    // and delivery can exceed a quota).
    if (!move || source->account != target->account)
      STORE_TRY(w.check_quota(target->account, msgs.size(), octets));
    CopyResult out;
    out.uid_validity = target->info.uid_validity;
    for (const MessageInfo& msg : msgs) {
      if (move) {
        STORE_TRY(w.remove_message(*source, msg, false));  // the body reference moves along
      } else {
        STORE_TRY(w.ref_body(msg.body_id));
      }
      STORE_ASSIGN(uint32_t uid, w.add_message(*target, msg));
      out.source_uids.push_back(msg.uid);
      out.destination_uids.push_back(uid);
    }
    return out;
  });
}

}  // namespace mail::store::detail
