// URLAUTH mailbox access keys (RFC 4467 section 7) in the urlauth_keys table: mailbox id ->
// {v1: key octets}. The store keeps them opaque; imapd makes them and computes the tokens.
#include <string>

#include "store/lmdb/lmdb_store.h"

namespace mail::store::detail {
namespace {

constexpr char kKeyRecordV1 = 1;

Result<std::optional<std::string>> load_key(lmdb::Txn& txn, const Dbs& db, uint64_t mailbox_id) {
  STORE_ASSIGN(std::optional<std::string_view> rec, txn.get(db.urlauth_keys, u64_key(mailbox_id)));
  if (!rec) return std::optional<std::string>();
  if (rec->size() < 2 || (*rec)[0] != kKeyRecordV1)
    return corrupt("urlauth key of mailbox " + std::to_string(mailbox_id) + ": bad record");
  return std::optional<std::string>(std::string(rec->substr(1)));
}

}  // namespace

Result<std::string> LmdbStore::urlauth_key(uint64_t mailbox_id,
                                           std::optional<std::string_view> create_with) {
  {
    STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
    STORE_ASSIGN(std::optional<MailboxRecord> box, load_mailbox(txn, db_, mailbox_id));
    if (!box) return make_error(ErrorKind::NotFound, "no mailbox " + std::to_string(mailbox_id));
    STORE_ASSIGN(std::optional<std::string> key, load_key(txn, db_, mailbox_id));
    if (key) return std::move(*key);
    if (!create_with) return make_error(ErrorKind::NotFound, "no URLAUTH key");
  }
  if (create_with->empty()) return make_error(ErrorKind::Invalid, "empty URLAUTH key");
  // Again in a write transaction: another session may have made one meanwhile, and the
  // mailbox may be gone.
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  STORE_ASSIGN(std::optional<MailboxRecord> box, load_mailbox(txn, db_, mailbox_id));
  if (!box) return make_error(ErrorKind::NotFound, "no mailbox " + std::to_string(mailbox_id));
  STORE_ASSIGN(std::optional<std::string> key, load_key(txn, db_, mailbox_id));
  if (key) return std::move(*key);
  std::string rec(1, kKeyRecordV1);
  rec += *create_with;
  STORE_TRY(txn.put(db_.urlauth_keys, u64_key(mailbox_id), rec));
  STORE_TRY(txn.commit());
  return std::string(*create_with);
}

Result<size_t> LmdbStore::reset_urlauth_keys(std::string_view account,
                                             std::optional<uint64_t> mailbox_id) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  std::vector<uint64_t> ids;
  if (mailbox_id) {
    STORE_ASSIGN(std::optional<MailboxRecord> box, load_mailbox(txn, db_, *mailbox_id));
    if (!box || box->account != account)
      return make_error(ErrorKind::NotFound, "no mailbox " + std::to_string(*mailbox_id));
    ids.push_back(*mailbox_id);
  } else {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.names));
    const std::string prefix = name_prefix(account);
    for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
      auto id = read_u64(cur.value());
      if (!id) return corrupt("mailbox name of " + std::string(account) + ": bad id");
      ids.push_back(*id);
    }
  }
  size_t removed = 0;
  for (const uint64_t id : ids) {
    STORE_ASSIGN(bool gone, txn.del(db_.urlauth_keys, u64_key(id)));
    removed += gone ? 1 : 0;
  }
  STORE_TRY(txn.commit());
  return removed;
}

}  // namespace mail::store::detail
