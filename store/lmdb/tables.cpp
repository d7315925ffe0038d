// Shared reads of the LMDB store (see tables.h). Everything read from the file is checked.
#include "store/lmdb/tables.h"

#include <memory>
#include <vector>

namespace mail::store::detail {

std::string canonical_name(std::string_view name) {
  if (keyword_equal(name, "INBOX")) return "INBOX";
  // Inferiors of INBOX too, so "inbox/x" and "INBOX/x" are one mailbox (as in Dovecot).
  if (name.size() > 6 && keyword_equal(name.substr(0, 6), "INBOX/"))
    return "INBOX/" + std::string(name.substr(6));
  return std::string(name);
}

Result<std::optional<AccountRecord>> load_account(lmdb::Txn& txn, const Dbs& db,
                                                  std::string_view account) {
  STORE_ASSIGN(std::optional<std::string_view> v, txn.get(db.accounts, account));
  if (!v) return std::optional<AccountRecord>{};
  auto rec = decode_account(*v);
  if (!rec) return corrupt("account " + std::string(account) + ": bad record");
  return rec;
}

Result<std::optional<uint64_t>> find_mailbox_id(lmdb::Txn& txn, const Dbs& db,
                                                std::string_view account, std::string_view name) {
  STORE_ASSIGN(std::optional<std::string_view> v,
               txn.get(db.names, name_key(account, canonical_name(name))));
  if (!v) return std::optional<uint64_t>{};
  auto id = read_u64(*v);
  if (!id)
    return corrupt("mailbox name " + std::string(name) + " of " + std::string(account) +
                   ": bad id");
  return std::optional<uint64_t>{*id};
}

Result<bool> is_subscribed(lmdb::Txn& txn, const Dbs& db, std::string_view account,
                           std::string_view name) {
  STORE_ASSIGN(std::optional<std::string_view> v,
               txn.get(db.subscriptions, name_key(account, name)));
  return v.has_value();
}

Result<std::optional<MailboxRecord>> load_mailbox(lmdb::Txn& txn, const Dbs& db, uint64_t id) {
  STORE_ASSIGN(std::optional<std::string_view> v, txn.get(db.mailboxes, u64_key(id)));
  if (!v) return std::optional<MailboxRecord>{};
  auto rec = decode_mailbox(id, *v);
  if (!rec) return corrupt("mailbox " + std::to_string(id) + ": bad record");
  STORE_ASSIGN(rec->info.subscribed, is_subscribed(txn, db, rec->account, rec->info.name));
  return rec;
}

Result<MailboxRecord> require_mailbox(lmdb::Txn& txn, const Dbs& db, uint64_t id) {
  STORE_ASSIGN(std::optional<MailboxRecord> rec, load_mailbox(txn, db, id));
  if (!rec) return make_error(ErrorKind::NotFound, "no mailbox " + std::to_string(id));
  return std::move(*rec);
}

Result<std::optional<MessageInfo>> load_message(lmdb::Txn& txn, const Dbs& db, uint64_t mailbox_id,
                                                uint32_t uid) {
  STORE_ASSIGN(std::optional<std::string_view> v,
               txn.get(db.messages, message_key(mailbox_id, uid)));
  if (!v) return std::optional<MessageInfo>{};
  auto msg = decode_message(uid, *v);
  if (!msg)
    return corrupt("message " + std::to_string(mailbox_id) + "/" + std::to_string(uid) +
                   ": bad record");
  return msg;
}

Result<std::optional<std::pair<std::string_view, std::string_view>>> last_at_or_before(
    lmdb::Txn& txn, MDB_dbi dbi, std::string_view key) {
  using Entry = std::optional<std::pair<std::string_view, std::string_view>>;
  MDB_cursor* raw = nullptr;
  int rc = mdb_cursor_open(txn.get(), dbi, &raw);
  if (rc != 0) return lmdb::to_error(rc, "mdb_cursor_open");
  std::unique_ptr<MDB_cursor, void (*)(MDB_cursor*)> cur(raw, mdb_cursor_close);
  MDB_val k = lmdb::val(key), v{};
  rc = mdb_cursor_get(raw, &k, &v, MDB_SET_RANGE);
  if (rc == 0 && lmdb::view(k) == key) return Entry{{lmdb::view(k), lmdb::view(v)}};
  // Past the end (no key >= key): the last key; else the one before the first greater.
  rc = rc == MDB_NOTFOUND ? mdb_cursor_get(raw, &k, &v, MDB_LAST)
       : rc == 0          ? mdb_cursor_get(raw, &k, &v, MDB_PREV)
                          : rc;
  if (rc == MDB_NOTFOUND) return Entry{};
  if (rc != 0) return lmdb::to_error(rc, "mdb_cursor_get");
  return Entry{{lmdb::view(k), lmdb::view(v)}};
}

Result<size_t> delete_prefix(lmdb::Txn& txn, MDB_dbi dbi, std::string_view prefix) {
  // Collect first: deleting while a cursor walks would invalidate its views.
  std::vector<std::string> keys;
  {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, dbi));
    for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next())
      keys.emplace_back(cur.key());
  }
  for (const auto& k : keys) STORE_TRY(txn.del(dbi, k));
  return keys.size();
}

}  // namespace mail::store::detail
