// The LMDB store's mailbox operations: lookup, LIST data, CREATE, DELETE, RENAME (RFC 9051
// 6.3.4-6.3.9), SUBSCRIBE and UNSUBSCRIBE. Names are '/'-separated; "INBOX" is canonical.
#include <algorithm>
#include <map>
#include <set>

#include "store/lmdb/lmdb_store.h"

namespace mail::store::detail {
namespace {

// "a", "a/b" for "a/b/c": every superior name.
std::vector<std::string> parents_of(std::string_view name) {
  std::vector<std::string> out;
  for (size_t slash = name.find('/'); slash != std::string_view::npos;
       slash = name.find('/', slash + 1))
    out.emplace_back(name.substr(0, slash));
  return out;
}

Result<void> require_account(lmdb::Txn& txn, const Dbs& db, std::string_view account) {
  STORE_ASSIGN(std::optional<AccountRecord> rec, load_account(txn, db, account));
  if (!rec) return make_error(ErrorKind::NotFound, "no account " + std::string(account));
  return {};
}

// (name, id) of every mailbox of `account`, in name order.
Result<std::vector<std::pair<std::string, uint64_t>>> named_mailboxes(lmdb::Txn& txn, const Dbs& db,
                                                                      std::string_view account,
                                                                      std::string_view under = {}) {
  std::vector<std::pair<std::string, uint64_t>> out;
  STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db.names));
  std::string prefix = name_key(account, under);
  for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
    auto id = read_u64(cur.value());
    if (!id) return corrupt("mailbox name of " + std::string(account) + ": bad id");
    out.emplace_back(std::string(name_key_name(cur.key())), *id);
  }
  return out;
}

Result<std::string> checked_name(std::string_view name) {
  std::string canonical = canonical_name(name);
  if (!valid_mailbox_name(canonical)) return make_error(ErrorKind::Invalid, "bad mailbox name");
  return canonical;
}

}  // namespace

Result<std::vector<MailboxInfo>> LmdbStore::list_mailboxes(std::string_view account) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
  STORE_TRY(require_account(txn, db_, account));
  STORE_ASSIGN(auto named, named_mailboxes(txn, db_, account));
  std::vector<MailboxInfo> out;
  for (const auto& [name, id] : named) {
    STORE_ASSIGN(std::optional<MailboxRecord> rec, load_mailbox(txn, db_, id));
    if (!rec) return corrupt("mailbox " + std::to_string(id) + " named but missing");
    out.push_back(std::move(rec->info));
  }
  return out;
}

Result<std::vector<ListEntry>> LmdbStore::list(std::string_view account) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
  STORE_TRY(require_account(txn, db_, account));
  STORE_ASSIGN(auto named, named_mailboxes(txn, db_, account));
  std::map<std::string, ListEntry> entries;
  for (const auto& [name, id] : named) {
    STORE_ASSIGN(std::optional<MailboxRecord> rec, load_mailbox(txn, db_, id));
    if (!rec) return corrupt("mailbox " + std::to_string(id) + " named but missing");
    entries[name].info = std::move(rec->info);
  }
  // Superiors: a hole where none exists, and \HasChildren either way.
  for (const auto& [name, id] : named) {
    for (const auto& parent : parents_of(name)) {
      auto [it, added] = entries.try_emplace(parent);
      if (added) {
        it->second.info.name = parent;
        it->second.exists = false;
      }
      it->second.has_children = true;
    }
  }
  STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.subscriptions));
  std::string prefix = name_prefix(account);
  for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
    std::string name(name_key_name(cur.key()));
    auto [it, added] = entries.try_emplace(name);
    if (added) {
      it->second.info.name = name;
      it->second.exists = false;
    }
    it->second.info.subscribed = true;
  }
  std::vector<ListEntry> out;
  out.reserve(entries.size());
  for (auto& [name, entry] : entries) out.push_back(std::move(entry));
  return out;
}

Result<MailboxInfo> LmdbStore::mailbox(std::string_view account, std::string_view name) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
  STORE_ASSIGN(std::optional<uint64_t> id, find_mailbox_id(txn, db_, account, name));
  if (!id)
    return make_error(ErrorKind::NotFound,
                      "no mailbox " + std::string(name) + " for " + std::string(account));
  STORE_ASSIGN(std::optional<MailboxRecord> rec, load_mailbox(txn, db_, *id));
  if (!rec) return corrupt("mailbox " + std::to_string(*id) + " named but missing");
  return std::move(rec->info);
}

Result<MailboxInfo> LmdbStore::mailbox_by_id(uint64_t mailbox_id) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
  STORE_ASSIGN(MailboxRecord rec, require_mailbox(txn, db_, mailbox_id));
  return std::move(rec.info);
}

Result<std::string> LmdbStore::mailbox_account(uint64_t mailbox_id) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
  STORE_ASSIGN(MailboxRecord rec, require_mailbox(txn, db_, mailbox_id));
  return std::move(rec.account);
}

Result<RecentClaim> LmdbStore::claim_recent(uint64_t mailbox_id, uint32_t up_to) {
  // No notice: the messages do not change, and other sessions have nothing to announce.
  return write<RecentClaim>([&](Writer& w) -> Result<RecentClaim> {
    STORE_ASSIGN(MailboxRecord * box, w.mailbox(mailbox_id));
    MailboxInfo& info = box->info;
    const uint32_t end = std::min(up_to, info.uid_next);
    RecentClaim claim{info.first_recent_uid, info.first_recent_uid};
    if (end <= claim.first) return claim;  // claimed already (by this session or another)
    claim.end = end;
    info.first_recent_uid = end;
    w.save(*box);
    return claim;
  });
}

Result<MailboxRecord*> LmdbStore::create_with_parents(Writer& w, std::string_view account,
                                                      std::string_view name, SpecialUse use) {
  lmdb::Txn& txn = w.txn();
  STORE_ASSIGN(std::optional<uint64_t> existing, find_mailbox_id(txn, db_, account, name));
  if (existing) return make_error(ErrorKind::Exists, "mailbox " + std::string(name) + " exists");
  // RFC 9051 6.3.4: create the superior names the new one needs.
  for (const auto& parent : parents_of(name)) {
    STORE_ASSIGN(std::optional<uint64_t> id, find_mailbox_id(txn, db_, account, parent));
    if (!id) STORE_TRY(w.insert_mailbox(account, parent, SpecialUse::None));
  }
  return w.insert_mailbox(account, name, use);
}

Result<MailboxInfo> LmdbStore::create_mailbox(std::string_view account, std::string_view name,
                                              SpecialUse use) {
  STORE_ASSIGN(std::string canonical, checked_name(name));
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  STORE_TRY(require_account(txn, db_, account));
  Writer w(txn, db_);
  STORE_ASSIGN(MailboxRecord * box, create_with_parents(w, account, canonical, use));
  MailboxInfo info = box->info;
  STORE_ASSIGN(info.subscribed, is_subscribed(txn, db_, account, canonical));
  STORE_TRY(commit(w, txn));
  return info;
}

Result<void> LmdbStore::delete_mailbox(std::string_view account, std::string_view name) {
  std::string canonical = canonical_name(name);
  if (canonical == "INBOX") return make_error(ErrorKind::Invalid, "INBOX cannot be deleted");
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  STORE_ASSIGN(std::optional<uint64_t> id, find_mailbox_id(txn, db_, account, canonical));
  if (!id) return make_error(ErrorKind::NotFound, "no mailbox " + canonical);
  // Inferiors stay; the subscription stays (RFC 9051 6.3.8: never removed unilaterally).
  Writer w(txn, db_);
  STORE_TRY(w.purge_mailbox(*id));
  return commit(w, txn);
}

Result<void> LmdbStore::rename_mailbox(std::string_view account, std::string_view from_name,
                                       std::string_view to_name) {
  std::string from = canonical_name(from_name);
  STORE_ASSIGN(std::string to, checked_name(to_name));
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  STORE_TRY(require_account(txn, db_, account));
  Writer w(txn, db_);
  if (from == "INBOX") {
    STORE_TRY(rename_inbox(w, account, to));
    return commit(w, txn);
  }
  STORE_ASSIGN(std::optional<uint64_t> from_id, find_mailbox_id(txn, db_, account, from));
  if (!from_id) return make_error(ErrorKind::NotFound, "no mailbox " + from);
  if (to.starts_with(from + "/"))
    return make_error(ErrorKind::Invalid, "cannot rename " + from + " into itself");
  // The mailbox and its inferiors, with their new names; every new name must be free.
  STORE_ASSIGN(auto inferiors, named_mailboxes(txn, db_, account, from + "/"));
  inferiors.emplace(inferiors.begin(), from, *from_id);
  for (const auto& [old_name, id] : inferiors) {
    std::string new_name = to + old_name.substr(from.size());
    STORE_ASSIGN(std::optional<uint64_t> taken, find_mailbox_id(txn, db_, account, new_name));
    if (taken) return make_error(ErrorKind::Exists, "mailbox " + new_name + " exists");
  }
  for (const auto& parent : parents_of(to)) {
    STORE_ASSIGN(std::optional<uint64_t> id, find_mailbox_id(txn, db_, account, parent));
    if (!id) STORE_TRY(w.insert_mailbox(account, parent, SpecialUse::None));
  }
  for (const auto& [old_name, id] : inferiors) {
    std::string new_name = to + old_name.substr(from.size());
    STORE_ASSIGN(MailboxRecord * box, w.mailbox(id));
    STORE_TRY(txn.del(db_.names, name_key(account, old_name)));
    STORE_TRY(txn.put(db_.names, name_key(account, new_name), encode_u64(id)));
    box->info.name = new_name;
    w.save(*box);
  }
  // Subscriptions follow the names (those of names that do not exist as well).
  std::vector<std::string> subscribed;
  {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.subscriptions));
    std::string prefix = name_key(account, from);
    for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
      std::string_view name = name_key_name(cur.key());
      if (name == from || name.starts_with(from + "/")) subscribed.emplace_back(name);
    }
  }
  for (const auto& old_name : subscribed) {
    STORE_TRY(txn.del(db_.subscriptions, name_key(account, old_name)));
    STORE_TRY(txn.put(db_.subscriptions, name_key(account, to + old_name.substr(from.size())), ""));
  }
  return commit(w, txn);
}

Result<void> LmdbStore::rename_inbox(Writer& w, std::string_view account, std::string_view to) {
  // RFC 9051 6.3.6: all messages in INBOX move to a new mailbox with the new name, leaving
  // INBOX empty; inferior names of INBOX are not renamed. The messages get new UIDs there
  // (a new mailbox, a new UIDVALIDITY) and are expunged from INBOX, so sessions that have
  // INBOX selected see them go.
  lmdb::Txn& txn = w.txn();
  if (to == "INBOX") return make_error(ErrorKind::Exists, "mailbox INBOX exists");
  STORE_ASSIGN(std::optional<uint64_t> inbox_id, find_mailbox_id(txn, db_, account, "INBOX"));
  if (!inbox_id) return make_error(ErrorKind::NotFound, "no INBOX for " + std::string(account));
  STORE_ASSIGN(MailboxRecord * target, create_with_parents(w, account, to, SpecialUse::None));
  STORE_ASSIGN(MailboxRecord * inbox, w.mailbox(*inbox_id));
  std::vector<MessageInfo> msgs;
  {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.messages));
    std::string prefix = message_prefix(*inbox_id);
    for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
      auto uid = message_key_uid(cur.key());
      auto msg = uid ? decode_message(*uid, cur.value()) : std::nullopt;
      if (!msg) return corrupt("message of INBOX " + std::to_string(*inbox_id) + ": bad record");
      msgs.push_back(std::move(*msg));
    }
  }
  for (const MessageInfo& msg : msgs) {
    STORE_TRY(w.remove_message(*inbox, msg, false));  // the body reference moves along
    STORE_TRY(w.add_message(*target, msg));
  }
  return {};
}

Result<void> LmdbStore::subscribe(std::string_view account, std::string_view name) {
  STORE_ASSIGN(std::string canonical, checked_name(name));
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  STORE_TRY(require_account(txn, db_, account));
  STORE_TRY(txn.put(db_.subscriptions, name_key(account, canonical), ""));
  STORE_TRY(txn.commit());
  announce_subscriptions();
  return {};
}

Result<void> LmdbStore::unsubscribe(std::string_view account, std::string_view name) {
  std::string canonical = canonical_name(name);
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  STORE_ASSIGN(bool removed, txn.del(db_.subscriptions, name_key(account, canonical)));
  if (!removed) return make_error(ErrorKind::NotFound, "not subscribed to " + canonical);
  STORE_TRY(txn.commit());
  announce_subscriptions();
  return {};
}

}  // namespace mail::store::detail
