// The LMDB store's write transaction helper (see writer.h). Counters saturate rather than
// wrap: a damaged counter is for `mailctl store check` to report, not to spread.
#include "store/lmdb/writer.h"

#include <algorithm>
#include <ctime>

#include "store/lmdb/seq_index.h"

namespace mail::store::detail {
namespace {

bool seen(const Flags& f) {
  return (f.system & kSeen) != 0;
}
bool deleted(const Flags& f) {
  return (f.system & kDeleted) != 0;
}
void down(uint32_t& v) {
  if (v > 0) --v;
}
void down(uint64_t& v, uint64_t by) {
  v -= std::min(v, by);
}

// The mailbox's keyword list with `flags`' keywords added.
std::vector<std::string> merged_keywords(const MailboxRecord& box, const Flags& flags) {
  std::vector<std::string> all = box.info.keywords;
  all.insert(all.end(), flags.keywords.begin(), flags.keywords.end());
  normalize_keywords(all);
  return all;
}

}  // namespace

Result<MailboxRecord*> Writer::mailbox(uint64_t id) {
  auto it = boxes_.find(id);
  if (it != boxes_.end()) return &it->second;
  STORE_ASSIGN(MailboxRecord rec, require_mailbox(txn_, db_, id));
  return &boxes_.emplace(id, std::move(rec)).first->second;
}

Result<AccountRecord*> Writer::account(std::string_view name) {
  auto it = accounts_.find(name);
  if (it != accounts_.end()) return &it->second;
  STORE_ASSIGN(std::optional<AccountRecord> rec, load_account(txn_, db_, name));
  if (!rec) return make_error(ErrorKind::NotFound, "no account " + std::string(name));
  return &accounts_.emplace(std::string(name), std::move(*rec)).first->second;
}

Result<void> Writer::check_quota(std::string_view name, uint64_t messages, uint64_t octets) {
  STORE_ASSIGN(AccountRecord * acc, account(name));
  // RFC 9208 5.1/5.2: refuse what would take usage above the limit.
  if (acc->limits.messages && acc->messages_used + messages > *acc->limits.messages)
    return make_error(ErrorKind::OverQuota,
                      "account " + std::string(name) + " is over its message quota");
  if (acc->limits.storage && acc->storage_used + octets > *acc->limits.storage)
    return make_error(ErrorKind::OverQuota,
                      "account " + std::string(name) + " is over its storage quota");
  return {};
}

Result<void> Writer::check_keywords(const MailboxRecord& box, const Flags& flags) const {
  if (flags.keywords.empty()) return {};
  if (merged_keywords(box, flags).size() > kMaxMailboxKeywords)
    return make_error(ErrorKind::Invalid, "too many keywords in mailbox " + box.info.name);
  return {};
}

Result<uint64_t> Writer::add_body(std::string_view bytes, std::string_view summary, uint64_t refs) {
  STORE_ASSIGN(uint64_t id, take_counter(kNextBodyKey));
  std::string key = u64_key(id);
  STORE_TRY(txn_.put(db_.bodies, key, bytes));
  STORE_TRY(txn_.put(db_.body_refs, key, encode_u64(refs)));
  if (!summary.empty()) STORE_TRY(txn_.put(db_.summaries, key, summary));
  return id;
}

Result<void> Writer::ref_body(uint64_t body_id) {
  std::string key = u64_key(body_id);
  STORE_ASSIGN(std::optional<std::string_view> v, txn_.get(db_.body_refs, key));
  std::optional<uint64_t> refs = v ? read_u64(*v) : std::nullopt;
  if (!refs || *refs == 0)
    return corrupt("body " + std::to_string(body_id) + ": missing reference count");
  return txn_.put(db_.body_refs, key, encode_u64(*refs + 1));
}

Result<void> Writer::release_body(uint64_t body_id) {
  std::string key = u64_key(body_id);
  STORE_ASSIGN(std::optional<std::string_view> v, txn_.get(db_.body_refs, key));
  std::optional<uint64_t> refs = v ? read_u64(*v) : std::nullopt;
  if (!refs || *refs == 0)
    return corrupt("body " + std::to_string(body_id) + ": missing reference count");
  if (*refs == 1) {
    STORE_TRY(txn_.del(db_.body_refs, key));
    STORE_TRY(txn_.del(db_.bodies, key));
    STORE_TRY(txn_.del(db_.summaries, key));
    return {};
  }
  return txn_.put(db_.body_refs, key, encode_u64(*refs - 1));
}

Result<void> Writer::put_message(uint64_t mailbox_id, const MessageInfo& msg) {
  return txn_.put(db_.messages, message_key(mailbox_id, msg.uid), encode_message(msg));
}

Result<uint32_t> Writer::add_message(MailboxRecord& box, MessageInfo msg) {
  MailboxInfo& info = box.info;
  if (info.uid_next == UINT32_MAX)  // RFC 9051 §2.3.1.1: UIDs are 32-bit; the mailbox is full
    return make_error(ErrorKind::Temporary, "mailbox " + info.name + ": UIDs exhausted");
  msg.flags.system &= kKnownSystemFlags;
  normalize_keywords(msg.flags.keywords);
  STORE_TRY(check_keywords(box, msg.flags));
  if (!msg.flags.keywords.empty()) info.keywords = merged_keywords(box, msg.flags);
  msg.uid = info.uid_next++;
  msg.modseq = ++info.highest_modseq;  // RFC 7162 §3.1: above every earlier MODSEQ
  const uint64_t id = info.id;
  STORE_TRY(put_message(id, msg));
  STORE_TRY(txn_.put(db_.modseqs, modseq_key(id, msg.modseq), encode_u32(msg.uid)));
  if (!seen(msg.flags)) {
    STORE_TRY(txn_.put(db_.unseen, message_key(id, msg.uid), ""));
    info.unseen++;
  }
  if (deleted(msg.flags)) {
    STORE_TRY(txn_.put(db_.deleted, message_key(id, msg.uid), ""));
    info.deleted++;
  }
  STORE_TRY(seq_add(txn_, db_, id, msg.uid));
  info.messages++;
  info.size += msg.size;
  STORE_ASSIGN(AccountRecord * acc, account(box.account));
  acc->messages_used++;
  acc->storage_used += msg.size;
  dirty_accounts_.insert(box.account);
  mark(box);
  return msg.uid;
}

Result<bool> Writer::set_flags(MailboxRecord& box, MessageInfo& msg, Flags next) {
  next.system &= kKnownSystemFlags;
  normalize_keywords(next.keywords);
  if (next == msg.flags) return false;
  STORE_TRY(check_keywords(box, next));
  MailboxInfo& info = box.info;
  if (!next.keywords.empty()) info.keywords = merged_keywords(box, next);
  const uint64_t id = info.id;
  const std::string key = message_key(id, msg.uid);
  if (seen(msg.flags) != seen(next)) {
    if (seen(next)) {
      STORE_TRY(txn_.del(db_.unseen, key));
      down(info.unseen);
    } else {
      STORE_TRY(txn_.put(db_.unseen, key, ""));
      info.unseen++;
    }
  }
  if (deleted(msg.flags) != deleted(next)) {
    if (deleted(next)) {
      STORE_TRY(txn_.put(db_.deleted, key, ""));
      info.deleted++;
    } else {
      STORE_TRY(txn_.del(db_.deleted, key));
      down(info.deleted);
    }
  }
  STORE_TRY(txn_.del(db_.modseqs, modseq_key(id, msg.modseq)));
  msg.flags = std::move(next);
  msg.modseq = ++info.highest_modseq;
  STORE_TRY(txn_.put(db_.modseqs, modseq_key(id, msg.modseq), encode_u32(msg.uid)));
  STORE_TRY(put_message(id, msg));
  mark(box);
  return true;
}

Result<void> Writer::remove_message(MailboxRecord& box, const MessageInfo& msg, bool release) {
  MailboxInfo& info = box.info;
  const uint64_t id = info.id;
  const std::string key = message_key(id, msg.uid);
  STORE_TRY(txn_.del(db_.messages, key));
  STORE_TRY(txn_.del(db_.modseqs, modseq_key(id, msg.modseq)));
  if (!seen(msg.flags)) {
    STORE_TRY(txn_.del(db_.unseen, key));
    down(info.unseen);
  }
  if (deleted(msg.flags)) {
    STORE_TRY(txn_.del(db_.deleted, key));
    down(info.deleted);
  }
  STORE_TRY(seq_remove(txn_, db_, id, msg.uid));
  down(info.messages);
  down(info.size, msg.size);
  // RFC 7162 §3.2.5.1: remember the MODSEQ of each expunge for VANISHED (EARLIER).
  uint64_t modseq = ++info.highest_modseq;
  STORE_TRY(txn_.put(db_.expunged, modseq_key(id, modseq), encode_u32(msg.uid)));
  STORE_ASSIGN(AccountRecord * acc, account(box.account));
  down(acc->messages_used, 1);
  down(acc->storage_used, msg.size);
  dirty_accounts_.insert(box.account);
  if (release) STORE_TRY(release_body(msg.body_id));
  mark(box);
  return {};
}

Result<MailboxRecord*> Writer::insert_mailbox(std::string_view account, std::string_view name,
                                              SpecialUse use) {
  std::string nkey = name_key(account, name);
  STORE_ASSIGN(std::optional<std::string_view> existing, txn_.get(db_.names, nkey));
  if (existing) return make_error(ErrorKind::Exists, "mailbox " + std::string(name) + " exists");
  STORE_ASSIGN(uint64_t id, take_counter(kNextMailboxKey));
  MailboxRecord rec;
  rec.account = std::string(account);
  rec.info.id = id;
  rec.info.name = std::string(name);
  STORE_ASSIGN(rec.info.uid_validity, new_uid_validity());
  rec.info.special_use = use;
  STORE_TRY(txn_.put(db_.names, nkey, encode_u64(id)));
  MailboxRecord& stored = boxes_.emplace(id, std::move(rec)).first->second;
  mark(stored);
  return &stored;
}

Result<void> Writer::purge_mailbox(uint64_t id) {
  STORE_ASSIGN(MailboxRecord * box, mailbox(id));
  std::vector<uint64_t> bodies;
  uint64_t octets = 0;
  std::string prefix = message_prefix(id);
  {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn_, db_.messages));
    for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
      auto uid = message_key_uid(cur.key());
      auto msg = uid ? decode_message(*uid, cur.value()) : std::nullopt;
      if (!msg) return corrupt("message of mailbox " + std::to_string(id) + ": bad record");
      bodies.push_back(msg->body_id);
      octets += msg->size;
    }
  }
  for (uint64_t body : bodies) STORE_TRY(release_body(body));
  for (MDB_dbi dbi : {db_.messages, db_.modseqs, db_.unseen, db_.deleted, db_.seq, db_.expunged})
    STORE_TRY(delete_prefix(txn_, dbi, prefix));
  STORE_ASSIGN(AccountRecord * acc, account(box->account));
  down(acc->messages_used, bodies.size());
  down(acc->storage_used, octets);
  dirty_accounts_.insert(box->account);
  STORE_TRY(txn_.del(db_.mailboxes, u64_key(id)));
  STORE_TRY(txn_.del(db_.urlauth_keys, u64_key(id)));  // URLs authorized by it die with it
  STORE_TRY(txn_.del(db_.names, name_key(box->account, box->info.name)));
  dirty_boxes_.erase(id);
  boxes_.erase(id);
  touch(id);
  return {};
}

void Writer::drop_account(std::string_view name) {
  if (auto it = accounts_.find(name); it != accounts_.end()) accounts_.erase(it);
  if (auto it = dirty_accounts_.find(name); it != dirty_accounts_.end()) dirty_accounts_.erase(it);
}

Result<uint64_t> Writer::take_counter(std::string_view key) {
  STORE_ASSIGN(std::optional<std::string_view> v, txn_.get(db_.meta, key));
  std::optional<uint64_t> n = v ? read_u64(*v) : std::nullopt;
  if (!n || *n == 0) return corrupt("meta " + std::string(key) + ": missing or bad");
  STORE_TRY(txn_.put(db_.meta, key, encode_u64(*n + 1)));
  return *n;
}

Result<uint32_t> Writer::new_uid_validity() {
  // RFC 9051 §2.3.1.1: UIDVALIDITY must never repeat for a name. Seconds since the epoch,
  // forced strictly above every value handed out before, even if the clock steps back.
  STORE_ASSIGN(std::optional<std::string_view> v, txn_.get(db_.meta, kLastValidityKey));
  std::optional<uint32_t> last = v ? read_u32(*v) : std::optional<uint32_t>{0};
  if (!last) return corrupt("meta last_uid_validity: bad");
  uint32_t now = static_cast<uint32_t>(std::time(nullptr));
  uint32_t value = std::max(now, *last + 1);
  if (value == 0) value = 1;  // wrapped: 0 is not a valid UIDVALIDITY
  STORE_TRY(txn_.put(db_.meta, kLastValidityKey, encode_u32(value)));
  return value;
}

Result<void> Writer::flush() {
  for (uint64_t id : dirty_boxes_) {
    const MailboxRecord& rec = boxes_.at(id);
    STORE_TRY(txn_.put(db_.mailboxes, u64_key(id), encode_mailbox(rec)));
    changed_.insert(id);
  }
  dirty_boxes_.clear();
  for (const auto& name : dirty_accounts_) {
    auto it = accounts_.find(name);
    if (it != accounts_.end()) STORE_TRY(txn_.put(db_.accounts, name, encode_account(it->second)));
  }
  dirty_accounts_.clear();
  return {};
}

}  // namespace mail::store::detail
