// Schema 1 -> 2 migration of the LMDB store (layouts: lmdb_store.cpp). In short
// transactions, so a store of any size migrates without one huge write, and resumable: the
// first transaction sets schema_version to 2 (an older binary then refuses the store
// instead of writing into a half-migrated one) and records the stage reached in `meta`;
// an open that finds a stage there continues from it. Stages:
//   1 summaries: each body's MIME summary through StoreOptions::analyze, a batch of
//     bodies per transaction (skipped without an analyzer: bodies then have none);
//   2 mailboxes: per mailbox, one transaction: the subscription moves to `subscriptions`,
//     the indexes (modseqs, unseen, deleted, seq) are built from its messages, the counters
//     (messages, unseen, deleted, size) recounted, the keyword list collected, and the
//     record rewritten as v2;
//   3 accounts: quota usage summed from the mailboxes, records rewritten as v2; the stage
//     keys go.
// Everything else (messages, bodies, UIDs, UIDVALIDITY, MODSEQs, the expunge log, delivery
// keys) is unchanged by the migration.
#include <algorithm>
#include <map>

#include "store/lmdb/lmdb_store.h"
#include "store/lmdb/seq_index.h"

namespace mail::store::detail {
namespace {

constexpr uint32_t kStageSummaries = 1;
constexpr uint32_t kStageMailboxes = 2;
constexpr uint32_t kStageAccounts = 3;
constexpr uint32_t kDone = 4;

struct Progress {
  uint32_t stage = kDone;
  uint64_t next = 0;
};

Result<Progress> read_progress(lmdb::Txn& txn, const Dbs& db) {
  STORE_ASSIGN(std::optional<std::string_view> version, txn.get(db.meta, kSchemaKey));
  if (version && read_u32(*version) == 1u) return Progress{0, 0};  // not started
  STORE_ASSIGN(std::optional<std::string_view> stage, txn.get(db.meta, kMigrationStageKey));
  if (!stage) return Progress{};
  STORE_ASSIGN(std::optional<std::string_view> next, txn.get(db.meta, kMigrationNextKey));
  auto s = read_u32(*stage);
  auto n = next ? read_u64(*next) : std::optional<uint64_t>{0};
  if (!s || !n || *s < kStageSummaries || *s > kStageAccounts)
    return corrupt("meta: bad migration stage");
  return Progress{*s, *n};
}

Result<void> write_progress(lmdb::Txn& txn, const Dbs& db, uint32_t stage, uint64_t next) {
  STORE_TRY(txn.put(db.meta, kMigrationStageKey, encode_u32(stage)));
  return txn.put(db.meta, kMigrationNextKey, encode_u64(next));
}

// Stage 1: summaries of up to `batch` bodies from `from` on; returns the next body id, or
// nullopt when none is left.
Result<std::optional<uint64_t>> summarize(lmdb::Txn& txn, const Dbs& db, uint64_t from,
                                          const StoreOptions& options) {
  STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db.bodies));
  std::vector<std::pair<std::string, std::string>> out;  // key, summary
  const size_t batch = std::max<size_t>(options.migration_batch, 1);
  size_t seen = 0;
  bool ok = cur.seek(u64_key(from));
  for (; ok && seen < batch; ok = cur.next(), ++seen) {
    STORE_ASSIGN(std::optional<std::string_view> existing, txn.get(db.summaries, cur.key()));
    if (existing) continue;
    std::string summary = options.analyze(cur.value());
    if (!summary.empty()) out.emplace_back(std::string(cur.key()), std::move(summary));
  }
  std::optional<uint64_t> next;
  if (ok) next = read_u64(cur.key());
  if (ok && !next) return corrupt("bodies: bad key");
  for (const auto& [key, summary] : out) STORE_TRY(txn.put(db.summaries, key, summary));
  return next;
}

// Stage 2 for one mailbox (see the top of the file).
Result<void> rebuild_mailbox(lmdb::Txn& txn, const Dbs& db, uint64_t id, std::string_view raw) {
  uint8_t version = 0;
  auto decoded = decode_mailbox(id, raw, &version);
  if (!decoded) return corrupt("mailbox " + std::to_string(id) + ": bad record");
  MailboxRecord rec = std::move(*decoded);
  MailboxInfo& info = rec.info;
  if (version == 1 && info.subscribed)
    STORE_TRY(txn.put(db.subscriptions, name_key(rec.account, info.name), ""));
  const std::string prefix = message_prefix(id);
  for (MDB_dbi dbi : {db.modseqs, db.unseen, db.deleted, db.seq})
    STORE_TRY(delete_prefix(txn, dbi, prefix));
  std::vector<MessageInfo> msgs;
  {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db.messages));
    for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
      auto uid = message_key_uid(cur.key());
      auto msg = uid ? decode_message(*uid, cur.value()) : std::nullopt;
      if (!msg) return corrupt("message of mailbox " + std::to_string(id) + ": bad record");
      msgs.push_back(std::move(*msg));
    }
  }
  info.messages = info.unseen = info.deleted = 0;
  info.size = 0;
  for (MessageInfo& msg : msgs) {
    std::string mkey = modseq_key(id, msg.modseq);
    STORE_ASSIGN(std::optional<std::string_view> taken, txn.get(db.modseqs, mkey));
    if (taken || msg.modseq == 0) {
      // Two messages with one MODSEQ cannot be told apart by "changed since": give this
      // one a new MODSEQ (clients see it as a flag change, which is harmless).
      msg.modseq = ++info.highest_modseq;
      mkey = modseq_key(id, msg.modseq);
      STORE_TRY(txn.put(db.messages, message_key(id, msg.uid), encode_message(msg)));
    }
    STORE_TRY(txn.put(db.modseqs, mkey, encode_u32(msg.uid)));
    if (!(msg.flags.system & kSeen)) {
      STORE_TRY(txn.put(db.unseen, message_key(id, msg.uid), ""));
      info.unseen++;
    }
    if (msg.flags.system & kDeleted) {
      STORE_TRY(txn.put(db.deleted, message_key(id, msg.uid), ""));
      info.deleted++;
    }
    STORE_TRY(seq_add(txn, db, id, msg.uid));
    info.messages++;
    info.size += msg.size;
    info.keywords.insert(info.keywords.end(), msg.flags.keywords.begin(), msg.flags.keywords.end());
    if (info.uid_next <= msg.uid) info.uid_next = msg.uid + 1;
    if (info.highest_modseq < msg.modseq) info.highest_modseq = msg.modseq;
  }
  normalize_keywords(info.keywords);
  return txn.put(db.mailboxes, u64_key(id), encode_mailbox(rec));
}

// Stage 3.
Result<void> rebuild_accounts(lmdb::Txn& txn, const Dbs& db) {
  std::map<std::string, AccountRecord> accounts;
  {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db.accounts));
    for (bool ok = cur.first(); ok; ok = cur.next()) {
      auto rec = decode_account(cur.value());
      if (!rec) return corrupt("account " + std::string(cur.key()) + ": bad record");
      rec->storage_used = rec->messages_used = 0;
      accounts.emplace(std::string(cur.key()), *rec);
    }
  }
  {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db.mailboxes));
    for (bool ok = cur.first(); ok; ok = cur.next()) {
      auto id = read_u64(cur.key());
      auto rec = id ? decode_mailbox(*id, cur.value()) : std::nullopt;
      if (!rec) return corrupt("mailboxes: unreadable record");
      auto it = accounts.find(rec->account);
      if (it == accounts.end()) continue;  // an orphan: store check reports it
      it->second.storage_used += rec->info.size;
      it->second.messages_used += rec->info.messages;
    }
  }
  for (const auto& [name, rec] : accounts)
    STORE_TRY(txn.put(db.accounts, name, encode_account(rec)));
  STORE_TRY(txn.del(db.meta, kMigrationStageKey));
  STORE_TRY(txn.del(db.meta, kMigrationNextKey));
  return {};
}

// One step: a transaction that advances the migration; false when it is complete.
Result<bool> step(lmdb::Env& env, const Dbs& db, const StoreOptions& options) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(env, true));
  STORE_ASSIGN(Progress p, read_progress(txn, db));
  switch (p.stage) {
    case 0:
      STORE_TRY(txn.put(db.meta, kSchemaKey, encode_u32(2)));
      STORE_TRY(write_progress(txn, db, options.analyze ? kStageSummaries : kStageMailboxes, 0));
      break;
    case kStageSummaries: {
      if (!options.analyze) {  // resumed by a process without an analyzer: go on without
        STORE_TRY(write_progress(txn, db, kStageMailboxes, 0));
        break;
      }
      STORE_ASSIGN(std::optional<uint64_t> next, summarize(txn, db, p.next, options));
      STORE_TRY(next ? write_progress(txn, db, kStageSummaries, *next)
                     : write_progress(txn, db, kStageMailboxes, 0));
      break;
    }
    case kStageMailboxes: {
      STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db.mailboxes));
      if (!cur.seek(u64_key(p.next))) {
        STORE_TRY(write_progress(txn, db, kStageAccounts, 0));
        break;
      }
      auto id = read_u64(cur.key());
      if (!id) return corrupt("mailboxes: bad key");
      std::string raw(cur.value());
      STORE_TRY(rebuild_mailbox(txn, db, *id, raw));
      STORE_TRY(write_progress(txn, db, kStageMailboxes, *id + 1));
      break;
    }
    case kStageAccounts:
      STORE_TRY(rebuild_accounts(txn, db));
      break;
    default:
      return false;  // done (perhaps by another process)
  }
  STORE_TRY(txn.commit());
  return true;
}

}  // namespace

Result<void> migrate_to_v2(lmdb::Env& env, const Dbs& db, const StoreOptions& options) {
  for (;;) {
    STORE_ASSIGN(bool more, step(env, db, options));
    if (!more) return {};
  }
}

}  // namespace mail::store::detail
