// The LMDB mailbox store: opening, schema version, accounts and mailboxes.
// Messages are in lmdb_messages.cpp, the consistency check in lmdb_check.cpp.
//
// Layout, schema version 1: one LMDB environment, these named databases
//   meta           "schema_version" -> u32 (1); "next_mailbox_id", "next_body_id" -> u64
//                  (next value to hand out, from 1); "last_uid_validity" -> u32
//   accounts       account -> {tag u8, created i64}
//   mailbox_names  account \0 name -> mailbox id u64
//   mailboxes      mailbox id u64 -> {tag, account, name, uid_validity, uid_next,
//                  highest_modseq, messages, unseen, size, special_use, subscribed}
//   messages       mailbox id u64 + uid u32 -> {tag, flags, keywords, internal_date, size,
//                  modseq, body_id, header_size}
//   bodies         body id u64 -> the message octets exactly as delivered
//   body_refs      body id u64 -> u64 number of messages referring to the body
//   expunged       mailbox id u64 + modseq u64 -> uid u32 (for QRESYNC VANISHED, RFC 7162)
//   delivery_keys  idempotency key (Delivery::key) -> u64 internal date of that delivery; added
//                  beside schema 1 (an older binary ignores it)
// All integers big-endian (common/codec.h), so keys sort numerically and a mailbox's
// messages are one contiguous, UID-ordered range.
//
// Every call is one LMDB transaction. Commits are synchronous (no MDB_NOSYNC): when a
// write call returns, the change is on disk. LMDB serializes writers; readers run beside
// them on snapshots (MDB_NOTLS, set by common/lmdb.cpp).
#include "store/lmdb/lmdb_store.h"

#include <algorithm>
#include <ctime>

#include "common/codec.h"

namespace mail::store {

Result<std::unique_ptr<MailStore>> open_lmdb_store(const std::filesystem::path& dir,
                                                   const StoreOptions& options) {
  return detail::LmdbStore::open(dir, options);
}

namespace detail {
namespace {

struct DefaultMailbox {
  const char* name;
  SpecialUse use;
};
// RFC 6154 special-use mailboxes every account starts with.
constexpr DefaultMailbox kDefaultMailboxes[] = {
    {"INBOX", SpecialUse::None},  {"Sent", SpecialUse::Sent}, {"Drafts", SpecialUse::Drafts},
    {"Trash", SpecialUse::Trash}, {"Junk", SpecialUse::Junk}, {"Archive", SpecialUse::Archive},
};

Error corrupt(std::string what) {
  return make_error(ErrorKind::Corrupt, std::move(what));
}

bool valid_name(std::string_view s) {
  return !s.empty() && s.size() <= 1024 && s.find('\0') == std::string_view::npos;
}

}  // namespace

std::string canonical_name(std::string_view name) {
  if (keyword_equal(name, "INBOX")) return "INBOX";
  return std::string(name);
}

Result<std::unique_ptr<MailStore>> LmdbStore::open(const std::filesystem::path& dir,
                                                   const StoreOptions& options) {
  lmdb::EnvOptions env_options;
  env_options.map_size = options.map_size;
  env_options.max_dbs = 16;
  STORE_ASSIGN(std::unique_ptr<lmdb::Env> env, lmdb::Env::open(dir, env_options));

  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env, true));
  Dbs dbs;
  STORE_ASSIGN(dbs.meta, txn.open_db("meta", true));
  STORE_ASSIGN(dbs.accounts, txn.open_db("accounts", true));
  STORE_ASSIGN(dbs.names, txn.open_db("mailbox_names", true));
  STORE_ASSIGN(dbs.mailboxes, txn.open_db("mailboxes", true));
  STORE_ASSIGN(dbs.messages, txn.open_db("messages", true));
  STORE_ASSIGN(dbs.bodies, txn.open_db("bodies", true));
  STORE_ASSIGN(dbs.body_refs, txn.open_db("body_refs", true));
  STORE_ASSIGN(dbs.expunged, txn.open_db("expunged", true));
  STORE_ASSIGN(dbs.delivery_keys, txn.open_db("delivery_keys", true));

  STORE_ASSIGN(std::optional<std::string_view> version, txn.get(dbs.meta, kSchemaKey));
  if (version) {
    auto v = read_u32(*version);
    if (!v) return corrupt("store " + dir.string() + ": unreadable schema version");
    if (*v != kSchemaVersion)
      return corrupt("store " + dir.string() + ": schema version " + std::to_string(*v) +
                     ", expected " + std::to_string(kSchemaVersion));
  } else {
    // A new store, unless data exists without a version (then we do not know its format).
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, dbs.mailboxes));
    bool has_data = cur.first();
    if (has_data) return corrupt("store " + dir.string() + ": data without a schema version");
    STORE_TRY(txn.put(dbs.meta, kSchemaKey, encode_u32(kSchemaVersion)));
    STORE_TRY(txn.put(dbs.meta, kNextMailboxKey, encode_u64(1)));
    STORE_TRY(txn.put(dbs.meta, kNextBodyKey, encode_u64(1)));
    STORE_TRY(txn.put(dbs.meta, kLastValidityKey, encode_u32(0)));
  }
  STORE_TRY(txn.commit());
  return std::unique_ptr<MailStore>(new LmdbStore(std::move(env), dbs));
}

// ---- helpers inside a transaction ----

Result<bool> LmdbStore::account_exists(lmdb::Txn& txn, std::string_view account) {
  STORE_ASSIGN(std::optional<std::string_view> v, txn.get(db_.accounts, account));
  return v.has_value();
}

Result<std::optional<uint64_t>> LmdbStore::find_mailbox_id(lmdb::Txn& txn, std::string_view account,
                                                           std::string_view name) {
  STORE_ASSIGN(std::optional<std::string_view> v,
               txn.get(db_.names, name_key(account, canonical_name(name))));
  if (!v) return std::optional<uint64_t>{};
  auto id = read_u64(*v);
  if (!id)
    return corrupt("mailbox name " + std::string(name) + " of " + std::string(account) +
                   ": bad id");
  return std::optional<uint64_t>{*id};
}

Result<std::optional<MailboxRecord>> LmdbStore::load_mailbox(lmdb::Txn& txn, uint64_t id) {
  STORE_ASSIGN(std::optional<std::string_view> v, txn.get(db_.mailboxes, u64_key(id)));
  if (!v) return std::optional<MailboxRecord>{};
  auto rec = decode_mailbox(id, *v);
  if (!rec) return corrupt("mailbox " + std::to_string(id) + ": bad record");
  return rec;
}

Result<MailboxRecord> LmdbStore::require_mailbox(lmdb::Txn& txn, uint64_t id) {
  STORE_ASSIGN(std::optional<MailboxRecord> rec, load_mailbox(txn, id));
  if (!rec) return make_error(ErrorKind::NotFound, "no mailbox " + std::to_string(id));
  return std::move(*rec);
}

Result<void> LmdbStore::save_mailbox(lmdb::Txn& txn, const MailboxRecord& rec) {
  return txn.put(db_.mailboxes, u64_key(rec.info.id), encode_mailbox(rec));
}

Result<std::optional<MessageInfo>> LmdbStore::load_message(lmdb::Txn& txn, uint64_t mailbox_id,
                                                           uint32_t uid) {
  STORE_ASSIGN(std::optional<std::string_view> v,
               txn.get(db_.messages, message_key(mailbox_id, uid)));
  if (!v) return std::optional<MessageInfo>{};
  auto msg = decode_message(uid, *v);
  if (!msg)
    return corrupt("message " + std::to_string(mailbox_id) + "/" + std::to_string(uid) +
                   ": bad record");
  return msg;
}

Result<uint64_t> LmdbStore::take_counter(lmdb::Txn& txn, std::string_view key) {
  STORE_ASSIGN(std::optional<std::string_view> v, txn.get(db_.meta, key));
  std::optional<uint64_t> n = v ? read_u64(*v) : std::nullopt;
  if (!n || *n == 0) return corrupt("meta " + std::string(key) + ": missing or bad");
  STORE_TRY(txn.put(db_.meta, key, encode_u64(*n + 1)));
  return *n;
}

Result<uint32_t> LmdbStore::new_uid_validity(lmdb::Txn& txn) {
  // RFC 9051 §2.3.1.1: UIDVALIDITY must never repeat for a name. Seconds since the epoch,
  // forced strictly above every value handed out before, even if the clock steps back.
  STORE_ASSIGN(std::optional<std::string_view> v, txn.get(db_.meta, kLastValidityKey));
  std::optional<uint32_t> last = v ? read_u32(*v) : std::optional<uint32_t>{0};
  if (!last) return corrupt("meta last_uid_validity: bad");
  uint32_t now = static_cast<uint32_t>(std::time(nullptr));
  uint32_t value = std::max(now, *last + 1);
  if (value == 0) value = 1;  // wrapped: 0 is not a valid UIDVALIDITY
  STORE_TRY(txn.put(db_.meta, kLastValidityKey, encode_u32(value)));
  return value;
}

Result<void> LmdbStore::release_body(lmdb::Txn& txn, uint64_t body_id) {
  std::string key = u64_key(body_id);
  STORE_ASSIGN(std::optional<std::string_view> v, txn.get(db_.body_refs, key));
  std::optional<uint64_t> refs = v ? read_u64(*v) : std::nullopt;
  if (!refs || *refs == 0)
    return corrupt("body " + std::to_string(body_id) + ": missing reference count");
  if (*refs == 1) {
    STORE_TRY(txn.del(db_.body_refs, key));
    STORE_TRY(txn.del(db_.bodies, key));
    return {};
  }
  return txn.put(db_.body_refs, key, encode_u64(*refs - 1));
}

Result<MailboxInfo> LmdbStore::insert_mailbox(lmdb::Txn& txn, std::string_view account,
                                              std::string_view name, SpecialUse use,
                                              bool subscribed) {
  std::string canonical = canonical_name(name);
  if (!valid_name(canonical)) return make_error(ErrorKind::Invalid, "bad mailbox name");
  std::string nkey = name_key(account, canonical);
  STORE_ASSIGN(std::optional<std::string_view> existing, txn.get(db_.names, nkey));
  if (existing) return make_error(ErrorKind::Exists, "mailbox " + canonical + " exists");
  STORE_ASSIGN(uint64_t id, take_counter(txn, kNextMailboxKey));
  MailboxRecord rec;
  rec.account = std::string(account);
  rec.info.id = id;
  rec.info.name = canonical;
  STORE_ASSIGN(rec.info.uid_validity, new_uid_validity(txn));
  rec.info.special_use = use;
  rec.info.subscribed = subscribed;
  STORE_TRY(txn.put(db_.names, nkey, encode_u64(id)));
  STORE_TRY(save_mailbox(txn, rec));
  return rec.info;
}

// ---- accounts ----

Result<void> LmdbStore::create_account(std::string_view account) {
  if (!valid_name(account)) return make_error(ErrorKind::Invalid, "bad account name");
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  STORE_ASSIGN(bool exists, account_exists(txn, account));
  if (exists) return make_error(ErrorKind::Exists, "account " + std::string(account) + " exists");
  STORE_TRY(txn.put(db_.accounts, account, encode_account(std::time(nullptr))));
  for (const auto& m : kDefaultMailboxes)
    STORE_TRY(insert_mailbox(txn, account, m.name, m.use, true));
  return txn.commit();
}

Result<void> LmdbStore::delete_account(std::string_view account) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  STORE_ASSIGN(bool exists, account_exists(txn, account));
  if (!exists) return make_error(ErrorKind::NotFound, "no account " + std::string(account));

  // Collect keys first: deleting while a cursor walks would invalidate its views.
  std::vector<std::pair<std::string, uint64_t>> boxes;  // name key, mailbox id
  {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.names));
    std::string prefix = name_prefix(account);
    for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
      auto id = read_u64(cur.value());
      if (!id) return corrupt("mailbox name of " + std::string(account) + ": bad id");
      boxes.emplace_back(std::string(cur.key()), *id);
    }
  }
  for (const auto& [nkey, id] : boxes) {
    std::vector<std::pair<std::string, uint64_t>> msgs;  // message key, body id
    std::vector<std::string> vanished;
    {
      STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.messages));
      std::string prefix = message_prefix(id);
      for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
        auto uid = message_key_uid(cur.key());
        auto msg = uid ? decode_message(*uid, cur.value()) : std::nullopt;
        if (!msg) return corrupt("message of mailbox " + std::to_string(id) + ": bad record");
        msgs.emplace_back(std::string(cur.key()), msg->body_id);
      }
      STORE_ASSIGN(lmdb::Cursor ecur, lmdb::Cursor::open(txn, db_.expunged));
      for (bool ok = ecur.seek(prefix); ok && ecur.key().starts_with(prefix); ok = ecur.next())
        vanished.emplace_back(ecur.key());
    }
    for (const auto& [mkey, body_id] : msgs) {
      STORE_TRY(txn.del(db_.messages, mkey));
      STORE_TRY(release_body(txn, body_id));
    }
    for (const auto& ekey : vanished) STORE_TRY(txn.del(db_.expunged, ekey));
    STORE_TRY(txn.del(db_.mailboxes, u64_key(id)));
    STORE_TRY(txn.del(db_.names, nkey));
  }
  STORE_TRY(txn.del(db_.accounts, account));
  return txn.commit();
}

Result<std::vector<std::string>> LmdbStore::list_accounts() {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
  STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.accounts));
  std::vector<std::string> out;
  for (bool ok = cur.first(); ok; ok = cur.next()) out.emplace_back(cur.key());
  return out;
}

// ---- mailboxes ----

Result<std::vector<MailboxInfo>> LmdbStore::list_mailboxes(std::string_view account) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
  STORE_ASSIGN(bool exists, account_exists(txn, account));
  if (!exists) return make_error(ErrorKind::NotFound, "no account " + std::string(account));
  std::vector<uint64_t> ids;
  {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.names));
    std::string prefix = name_prefix(account);
    for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
      auto id = read_u64(cur.value());
      if (!id) return corrupt("mailbox name of " + std::string(account) + ": bad id");
      ids.push_back(*id);
    }
  }
  std::vector<MailboxInfo> out;
  for (uint64_t id : ids) {
    STORE_ASSIGN(std::optional<MailboxRecord> rec, load_mailbox(txn, id));
    if (!rec) return corrupt("mailbox " + std::to_string(id) + " named but missing");
    out.push_back(std::move(rec->info));
  }
  return out;
}

Result<MailboxInfo> LmdbStore::mailbox(std::string_view account, std::string_view name) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
  STORE_ASSIGN(std::optional<uint64_t> id, find_mailbox_id(txn, account, name));
  if (!id)
    return make_error(ErrorKind::NotFound,
                      "no mailbox " + std::string(name) + " for " + std::string(account));
  STORE_ASSIGN(std::optional<MailboxRecord> rec, load_mailbox(txn, *id));
  if (!rec) return corrupt("mailbox " + std::to_string(*id) + " named but missing");
  return std::move(rec->info);
}

Result<MailboxInfo> LmdbStore::create_mailbox(std::string_view account, std::string_view name,
                                              SpecialUse use) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  STORE_ASSIGN(bool exists, account_exists(txn, account));
  if (!exists) return make_error(ErrorKind::NotFound, "no account " + std::string(account));
  STORE_ASSIGN(MailboxInfo info, insert_mailbox(txn, account, name, use, false));
  STORE_TRY(txn.commit());
  return info;
}

}  // namespace detail
}  // namespace mail::store
