// The LMDB mailbox store: opening, schema version, accounts and quotas. Mailboxes are in
// lmdb_mailboxes.cpp, delivery in lmdb_delivery.cpp, message changes in lmdb_messages.cpp,
// snapshots in lmdb_view.cpp, the schema-1 migration in lmdb_migrate.cpp, the consistency
// check in lmdb_check.cpp, URLAUTH keys in lmdb_urlauth.cpp.
//
// Layout, schema version 2: one LMDB environment, these named databases (values start
// with a record version byte, records.h)
//   meta           "schema_version" -> u32 (2); "next_mailbox_id", "next_body_id" -> u64
//                  (next value to hand out, from 1); "last_uid_validity" -> u32;
//                  "migration_stage" u32, "migration_next" u64 while a migration runs
//   accounts       account -> {v2: created i64, storage limit, message limit (u64; all
//                  ones: none), storage used, messages used}
//   mailbox_names  account \0 name -> mailbox id u64
//   mailboxes      mailbox id u64 -> {v3: account, name, uid_validity, uid_next,
//                  highest_modseq, messages, unseen, deleted, size, special_use, keywords,
//                  first_recent_uid (v3; a v2 record reads as uid_next: nothing recent)}
//   subscriptions  account \0 name -> "" (the name need not exist, RFC 9051 6.3.7)
//   messages       mailbox id u64 + uid u32 -> {v1: flags, keywords, internal_date, size,
//                  modseq, body_id, header_size}
//   bodies         body id u64 -> the message octets exactly as delivered
//   summaries      body id u64 -> the message's MIME summary (opaque bytes from mime/),
//                  shared by every copy like the body; absent when none was computed
//   body_refs      body id u64 -> u64 number of messages referring to the body
//   modseqs        mailbox id u64 + modseq u64 -> uid u32: every message under its
//                  current MODSEQ (changes since a MODSEQ in O(changes), RFC 7162)
//   expunged       mailbox id u64 + modseq u64 -> uid u32 (QRESYNC VANISHED, RFC 7162)
//   unseen         mailbox id u64 + uid u32 -> "" for each message without \Seen
//   deleted        mailbox id u64 + uid u32 -> "" for each message with \Deleted
//   seq            mailbox id u64 + first uid u32 of a chunk -> u32 count (sequence
//                  numbers, seq_index.h)
//   delivery_keys  idempotency key (Delivery::key) -> u64 internal date of that delivery
//   urlauth_keys   mailbox id u64 -> {v1: the URLAUTH mailbox access key octets} (RFC 4467
//                  section 7; added within schema 2: an older store gets it empty at open)
// All integers big-endian (common/codec.h), so keys sort numerically and a mailbox's
// entries are one contiguous, ordered range in each table.
// Schema 1 had accounts v1 {created}, mailboxes v1 {..., size, special_use, subscribed},
// and none of summaries, subscriptions, modseqs, unseen, deleted, seq.
//
// Every call is one LMDB transaction. Commits are synchronous (no MDB_NOSYNC): when a
// write call returns, the change is on disk. LMDB serializes writers; readers run beside
// them on snapshots (MDB_NOTLS, set by common/lmdb.cpp).
#include "store/lmdb/lmdb_store.h"

#include <ctime>

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

// The map starts at initial_map_size and common/lmdb grows it up to map_size.
lmdb::EnvOptions env_options(const StoreOptions& options) {
  lmdb::EnvOptions env;
  env.map_size = options.map_size;
  env.initial_map_size = std::min(options.initial_map_size, options.map_size);
  env.max_dbs = 24;
  return env;
}

Result<Dbs> open_tables(lmdb::Txn& txn) {
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
  STORE_ASSIGN(dbs.summaries, txn.open_db("summaries", true));
  STORE_ASSIGN(dbs.subscriptions, txn.open_db("subscriptions", true));
  STORE_ASSIGN(dbs.modseqs, txn.open_db("modseqs", true));
  STORE_ASSIGN(dbs.unseen, txn.open_db("unseen", true));
  STORE_ASSIGN(dbs.deleted, txn.open_db("deleted", true));
  STORE_ASSIGN(dbs.seq, txn.open_db("seq", true));
  STORE_ASSIGN(dbs.urlauth_keys, txn.open_db("urlauth_keys", true));
  return dbs;
}

}  // namespace

bool valid_mailbox_name(std::string_view name) {
  if (name.empty() || name.size() > 1024 || name.find('\0') != std::string_view::npos) return false;
  // No empty level: not "/a", "a/", "a//b" (RFC 9051 5.1.1 leaves them to the server).
  return name.front() != '/' && name.back() != '/' && name.find("//") == std::string_view::npos;
}

LmdbStore::LmdbStore(std::unique_ptr<lmdb::Env> env, Dbs dbs, const StoreOptions& options)
    : env_(std::move(env)), db_(dbs), options_(options), group_(*env_) {
  if (!options.notify_dir.empty()) notifier_ = std::make_unique<ChangeNotifier>(options.notify_dir);
}

Result<std::unique_ptr<MailStore>> LmdbStore::open(const std::filesystem::path& dir,
                                                   const StoreOptions& options) {
  STORE_ASSIGN(std::unique_ptr<lmdb::Env> env, lmdb::Env::open(dir, env_options(options)));
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env, true));
  STORE_ASSIGN(Dbs dbs, open_tables(txn));
  STORE_ASSIGN(std::optional<std::string_view> version, txn.get(dbs.meta, kSchemaKey));
  bool migrate = false;
  if (version) {
    auto v = read_u32(*version);
    if (!v) return corrupt("store " + dir.string() + ": unreadable schema version");
    STORE_ASSIGN(std::optional<std::string_view> stage, txn.get(dbs.meta, kMigrationStageKey));
    migrate = *v == 1 || (*v == kSchemaVersion && stage);
    if (*v != 1 && *v != kSchemaVersion)
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
  if (migrate) STORE_TRY(migrate_to_v2(*env, dbs, options));
  return std::unique_ptr<MailStore>(new LmdbStore(std::move(env), dbs, options));
}

Result<void> LmdbStore::commit(Writer& w, lmdb::Txn& txn) {
  STORE_TRY(w.flush());
  STORE_TRY(txn.commit());
  if (notifier_) {
    std::vector<uint64_t> changed = w.changed();
    if (!changed.empty()) notifier_->notify(changed);
  }
  return {};
}

// ---- accounts ----

Result<void> LmdbStore::create_account(std::string_view account) {
  if (account.empty() || account.size() > 1024 || account.find('\0') != std::string_view::npos)
    return make_error(ErrorKind::Invalid, "bad account name");
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  STORE_ASSIGN(std::optional<AccountRecord> existing, load_account(txn, db_, account));
  if (existing) return make_error(ErrorKind::Exists, "account " + std::string(account) + " exists");
  AccountRecord rec;
  rec.created = std::time(nullptr);
  STORE_TRY(txn.put(db_.accounts, account, encode_account(rec)));
  Writer w(txn, db_);
  for (const auto& m : kDefaultMailboxes) {
    STORE_TRY(w.insert_mailbox(account, m.name, m.use));
    STORE_TRY(txn.put(db_.subscriptions, name_key(account, m.name), ""));
  }
  return commit(w, txn);
}

Result<void> LmdbStore::delete_account(std::string_view account) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  STORE_ASSIGN(std::optional<AccountRecord> existing, load_account(txn, db_, account));
  if (!existing) return make_error(ErrorKind::NotFound, "no account " + std::string(account));
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
  Writer w(txn, db_);
  for (uint64_t id : ids) STORE_TRY(w.purge_mailbox(id));
  STORE_TRY(delete_prefix(txn, db_.subscriptions, name_prefix(account)));
  w.drop_account(account);
  STORE_TRY(txn.del(db_.accounts, account));
  return commit(w, txn);
}

Result<std::vector<std::string>> LmdbStore::list_accounts() {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
  STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.accounts));
  std::vector<std::string> out;
  for (bool ok = cur.first(); ok; ok = cur.next()) out.emplace_back(cur.key());
  return out;
}

Result<void> LmdbStore::set_quota(std::string_view account, const QuotaLimits& limits) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  STORE_ASSIGN(std::optional<AccountRecord> rec, load_account(txn, db_, account));
  if (!rec) return make_error(ErrorKind::NotFound, "no account " + std::string(account));
  rec->limits = limits;
  STORE_TRY(txn.put(db_.accounts, account, encode_account(*rec)));
  return txn.commit();
}

Result<Quota> LmdbStore::quota(std::string_view account) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
  STORE_ASSIGN(std::optional<AccountRecord> rec, load_account(txn, db_, account));
  if (!rec) return make_error(ErrorKind::NotFound, "no account " + std::string(account));
  return Quota{rec->limits, rec->storage_used, rec->messages_used};
}

}  // namespace detail
}  // namespace mail::store
