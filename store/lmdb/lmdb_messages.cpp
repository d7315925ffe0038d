// The LMDB store's message operations: delivery, listing, fetching bytes, flag changes
// and expunge. Layout: see lmdb_store.cpp. Caller input (UIDs, flags, message bytes) is
// untrusted only in the sense that missing UIDs are skipped and unknown flag bits dropped.
#include <algorithm>
#include <map>
#include <set>

#include "store/lmdb/lmdb_store.h"
#include "store/message_parse.h"

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

bool seen(const Flags& f) {
  return (f.system & kSeen) != 0;
}

}  // namespace

Result<std::vector<Delivered>> LmdbStore::deliver(std::span<const Delivery> to,
                                                  std::string_view message, int64_t internal_date) {
  IncomingMessage one{message, internal_date, std::vector<Delivery>(to.begin(), to.end())};
  STORE_ASSIGN(auto results, deliver_batch(std::span<const IncomingMessage>(&one, 1)));
  return std::move(results.front());
}

Result<std::vector<Result<std::vector<Delivered>>>> LmdbStore::deliver_batch(
    std::span<const IncomingMessage> batch) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  std::vector<Result<std::vector<Delivered>>> out;
  for (const IncomingMessage& message : batch) {
    auto delivered = deliver_in(txn, message);
    // A missing destination or bad input fails only this message (deliver_in wrote nothing
    // for it); anything else (I/O, a full map, corruption) fails the batch.
    if (!delivered && delivered.error().kind != ErrorKind::NotFound &&
        delivered.error().kind != ErrorKind::Invalid)
      return delivered.error();
    out.push_back(std::move(delivered));
  }
  STORE_TRY(txn.commit());
  return out;
}

Result<std::vector<Delivered>> LmdbStore::deliver_in(lmdb::Txn& txn,
                                                     const IncomingMessage& message) {
  if (message.to.empty()) return make_error(ErrorKind::Invalid, "deliver: no destinations");

  // Resolve every destination before writing anything, so a missing one leaves no trace.
  // A destination whose key is already recorded was delivered before: skip it.
  std::map<uint64_t, MailboxRecord> boxes;
  std::vector<std::optional<uint64_t>> box_of;  // nullopt: duplicate
  size_t fresh = 0;
  for (const Delivery& d : message.to) {
    if (!d.key.empty()) {
      STORE_ASSIGN(std::optional<std::string_view> seen_key, txn.get(db_.delivery_keys, d.key));
      if (seen_key) {
        box_of.push_back(std::nullopt);
        continue;
      }
    }
    STORE_ASSIGN(std::optional<uint64_t> id, find_mailbox_id(txn, d.account, d.mailbox));
    if (!id)
      return make_error(ErrorKind::NotFound, "no mailbox " + d.mailbox + " for " + d.account);
    if (!boxes.contains(*id)) {
      STORE_ASSIGN(MailboxRecord rec, require_mailbox(txn, *id));
      boxes.emplace(*id, std::move(rec));
    }
    box_of.push_back(*id);
    ++fresh;
  }

  std::vector<Delivered> out;
  MessageInfo msg;
  if (fresh > 0) {
    STORE_ASSIGN(uint64_t body_id, take_counter(txn, kNextBodyKey));
    std::string bkey = u64_key(body_id);
    STORE_TRY(txn.put(db_.bodies, bkey, message.bytes));
    STORE_TRY(txn.put(db_.body_refs, bkey, encode_u64(fresh)));
    msg.internal_date = message.internal_date;
    msg.size = message.bytes.size();
    msg.body_id = body_id;
    msg.header_size = header_size(message.bytes);
  }
  for (size_t i = 0; i < message.to.size(); ++i) {
    const Delivery& d = message.to[i];
    if (!box_of[i]) {
      out.push_back(Delivered{d.account, d.mailbox, 0, 0, 0, true});
      continue;
    }
    MailboxRecord& box = boxes.at(*box_of[i]);
    MailboxInfo& info = box.info;
    if (info.uid_next == UINT32_MAX)  // RFC 9051 §2.3.1.1: UIDs are 32-bit; the mailbox is full
      return make_error(ErrorKind::Temporary, "mailbox " + info.name + ": UIDs exhausted");
    msg.uid = info.uid_next++;
    msg.modseq = ++info.highest_modseq;
    msg.flags = clean(d.flags);
    STORE_TRY(txn.put(db_.messages, message_key(info.id, msg.uid), encode_message(msg)));
    if (!d.key.empty())
      STORE_TRY(txn.put(db_.delivery_keys, d.key,
                        encode_u64(static_cast<uint64_t>(message.internal_date))));
    info.messages++;
    if (!seen(msg.flags)) info.unseen++;
    info.size += msg.size;
    out.push_back(Delivered{box.account, info.name, info.id, info.uid_validity, msg.uid});
  }
  for (const auto& [id, box] : boxes) STORE_TRY(save_mailbox(txn, box));
  return out;
}

Result<size_t> LmdbStore::prune_delivery_keys(int64_t before) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.delivery_keys));
  std::vector<std::string> old;
  for (bool ok = cur.first(); ok; ok = cur.next()) {
    auto when = read_u64(cur.value());
    if (!when || static_cast<int64_t>(*when) < before) old.emplace_back(cur.key());
  }
  for (const auto& key : old) STORE_TRY(txn.del(db_.delivery_keys, key));
  STORE_TRY(txn.commit());
  return old.size();
}

Result<std::vector<MessageInfo>> LmdbStore::messages(uint64_t mailbox_id) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
  STORE_TRY(require_mailbox(txn, mailbox_id));
  STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.messages));
  std::string prefix = message_prefix(mailbox_id);
  std::vector<MessageInfo> out;
  for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
    auto uid = message_key_uid(cur.key());
    auto msg = uid ? decode_message(*uid, cur.value()) : std::nullopt;
    if (!msg)
      return make_error(ErrorKind::Corrupt,
                        "message of mailbox " + std::to_string(mailbox_id) + ": bad record");
    out.push_back(std::move(*msg));
  }
  return out;
}

Result<std::string> LmdbStore::message_bytes(uint64_t mailbox_id, uint32_t uid) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
  STORE_ASSIGN(std::optional<MessageInfo> msg, load_message(txn, mailbox_id, uid));
  if (!msg)
    return make_error(ErrorKind::NotFound,
                      "no message " + std::to_string(mailbox_id) + "/" + std::to_string(uid));
  STORE_ASSIGN(std::optional<std::string_view> body, txn.get(db_.bodies, u64_key(msg->body_id)));
  if (!body)
    return make_error(ErrorKind::Corrupt, "body " + std::to_string(msg->body_id) + " missing");
  return std::string(*body);
}

Result<std::vector<MessageInfo>> LmdbStore::store_flags(uint64_t mailbox_id,
                                                        std::span<const uint32_t> uids, FlagOp op,
                                                        const Flags& flags) {
  Flags change = clean(flags);
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  STORE_ASSIGN(MailboxRecord box, require_mailbox(txn, mailbox_id));
  MailboxInfo& info = box.info;
  std::set<uint32_t> wanted(uids.begin(), uids.end());
  std::vector<MessageInfo> out;
  bool changed_any = false;
  for (uint32_t uid : wanted) {
    auto loaded = load_message(txn, mailbox_id, uid);
    if (!loaded) return loaded.error();
    std::optional<MessageInfo>& msg = *loaded;
    if (!msg) continue;
    Flags next = apply(msg->flags, op, change);
    if (next != msg->flags) {
      // RFC 7162 §3.1: every change gets a MODSEQ above all earlier ones in the mailbox.
      if (seen(msg->flags) && !seen(next)) info.unseen++;
      if (!seen(msg->flags) && seen(next) && info.unseen > 0) info.unseen--;
      msg->flags = std::move(next);
      msg->modseq = ++info.highest_modseq;
      STORE_TRY(txn.put(db_.messages, message_key(mailbox_id, uid), encode_message(*msg)));
      changed_any = true;
    }
    out.push_back(std::move(*msg));
  }
  if (!changed_any) return out;  // read-only in effect: the transaction aborts
  STORE_TRY(save_mailbox(txn, box));
  STORE_TRY(txn.commit());
  return out;
}

Result<std::vector<uint32_t>> LmdbStore::expunge(uint64_t mailbox_id,
                                                 std::span<const uint32_t> uids) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  STORE_ASSIGN(MailboxRecord box, require_mailbox(txn, mailbox_id));
  MailboxInfo& info = box.info;
  std::set<uint32_t> wanted(uids.begin(), uids.end());
  std::vector<uint32_t> removed;
  for (uint32_t uid : wanted) {
    auto loaded = load_message(txn, mailbox_id, uid);
    if (!loaded) return loaded.error();
    std::optional<MessageInfo>& msg = *loaded;
    if (!msg) continue;
    STORE_TRY(txn.del(db_.messages, message_key(mailbox_id, uid)));
    STORE_TRY(release_body(txn, msg->body_id));
    // Saturating: a damaged counter must not wrap; check() reports it instead.
    if (info.messages > 0) info.messages--;
    if (!seen(msg->flags) && info.unseen > 0) info.unseen--;
    info.size -= std::min(info.size, msg->size);
    // RFC 7162 §3.2.5.1: remember the MODSEQ of each expunge for VANISHED (EARLIER).
    uint64_t modseq = ++info.highest_modseq;
    STORE_TRY(txn.put(db_.expunged, expunged_key(mailbox_id, modseq), encode_u32(uid)));
    removed.push_back(uid);
  }
  if (removed.empty()) return removed;
  STORE_TRY(save_mailbox(txn, box));
  STORE_TRY(txn.commit());
  return removed;
}

}  // namespace mail::store::detail
