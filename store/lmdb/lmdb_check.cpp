// `mailctl store check` for the LMDB store: reads everything in one snapshot and reports
// what does not add up: schema version and migration state, meta counters, accounts and
// their quota usage, mailboxes and the name index, every mailbox's counters and keyword
// list against its messages, the modseqs, unseen, deleted and seq indexes, the expunge
// log, subscriptions, and body references and summaries. Trusts nothing in the file;
// reports problems as strings rather than stopping at the first. Memory: one mailbox's
// messages at a time plus a count per body.
#include <map>
#include <set>

#include "store/lmdb/lmdb_store.h"
#include "store/lmdb/seq_index.h"

namespace mail::store::detail {
namespace {

using Problems = std::vector<std::string>;

struct Usage {
  uint64_t messages = 0, storage = 0;
};

class Checker {
 public:
  Checker(lmdb::Txn& txn, const Dbs& db, Problems& out) : txn_(txn), db_(db), out_(out) {}

  Result<void> run() {
    STORE_TRY(meta());
    STORE_TRY(accounts());
    STORE_TRY(mailboxes());
    for (const auto& [id, rec] : boxes_) STORE_TRY(mailbox_messages(id, rec));
    for (const auto& [name, rec] : accounts_) {
      const Usage& u = usage_[name];
      if (rec.messages_used != u.messages || rec.storage_used != u.storage)
        problem("account " + name + ": usage " + std::to_string(rec.messages_used) + " messages " +
                std::to_string(rec.storage_used) + " octets, counted " +
                std::to_string(u.messages) + " and " + std::to_string(u.storage));
    }
    for (MDB_dbi dbi : {db_.messages, db_.modseqs, db_.unseen, db_.deleted, db_.seq, db_.expunged})
      STORE_TRY(orphans(dbi));
    STORE_TRY(subscriptions());
    return bodies();
  }

 private:
  void problem(std::string s) { out_.push_back(std::move(s)); }

  Result<void> meta() {
    STORE_ASSIGN(std::optional<std::string_view> version, txn_.get(db_.meta, kSchemaKey));
    std::optional<uint32_t> v = version ? read_u32(*version) : std::nullopt;
    if (!v || *v != kSchemaVersion)
      problem("schema version missing or not " + std::to_string(kSchemaVersion));
    STORE_ASSIGN(std::optional<std::string_view> stage, txn_.get(db_.meta, kMigrationStageKey));
    if (stage) problem("schema migration unfinished");
    STORE_ASSIGN(std::optional<std::string_view> box_raw, txn_.get(db_.meta, kNextMailboxKey));
    STORE_ASSIGN(std::optional<std::string_view> body_raw, txn_.get(db_.meta, kNextBodyKey));
    next_box_ = box_raw ? read_u64(*box_raw) : std::nullopt;
    next_body_ = body_raw ? read_u64(*body_raw) : std::nullopt;
    if (!next_box_) problem("meta next_mailbox_id missing or bad");
    if (!next_body_) problem("meta next_body_id missing or bad");
    return {};
  }

  Result<void> accounts() {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn_, db_.accounts));
    for (bool ok = cur.first(); ok; ok = cur.next()) {
      auto rec = decode_account(cur.value());
      if (!rec)
        problem("account " + std::string(cur.key()) + ": unreadable record");
      else
        accounts_.emplace(std::string(cur.key()), *rec);
    }
    return {};
  }

  Result<void> mailboxes() {
    {
      STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn_, db_.mailboxes));
      for (bool ok = cur.first(); ok; ok = cur.next()) {
        auto id = read_u64(cur.key());
        auto rec = id ? decode_mailbox(*id, cur.value()) : std::nullopt;
        if (!rec) {
          problem("mailboxes: unreadable record");
          continue;
        }
        if (!accounts_.contains(rec->account))
          problem("mailbox " + std::to_string(*id) + ": account " + rec->account + " missing");
        if (next_box_ && *id >= *next_box_)
          problem("mailbox " + std::to_string(*id) + ": id not below next_mailbox_id");
        boxes_.emplace(*id, std::move(*rec));
      }
    }
    std::set<uint64_t> named;
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn_, db_.names));
    for (bool ok = cur.first(); ok; ok = cur.next()) {
      std::string key(cur.key());
      auto id = read_u64(cur.value());
      auto it = id ? boxes_.find(*id) : boxes_.end();
      if (it == boxes_.end() || name_key(it->second.account, it->second.info.name) != key) {
        problem("mailbox_names: entry does not match a mailbox");
        continue;
      }
      named.insert(*id);
    }
    for (const auto& [id, rec] : boxes_)
      if (!named.contains(id)) problem("mailbox " + std::to_string(id) + ": not in mailbox_names");
    return {};
  }

  // Keys of `dbi` under the mailbox's prefix, as UIDs (message-keyed tables).
  Result<std::set<uint32_t>> uid_keys(MDB_dbi dbi, uint64_t id) {
    std::set<uint32_t> out;
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn_, dbi));
    std::string prefix = message_prefix(id);
    for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
      auto uid = message_key_uid(cur.key());
      if (uid) out.insert(*uid);
    }
    return out;
  }

  Result<void> mailbox_messages(uint64_t id, const MailboxRecord& rec) {
    const MailboxInfo& m = rec.info;
    const std::string where =
        "mailbox " + std::to_string(id) + " (" + rec.account + " " + m.name + ")";
    const std::string prefix = message_prefix(id);
    std::map<uint32_t, MessageInfo> msgs;
    {
      STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn_, db_.messages));
      for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
        auto uid = message_key_uid(cur.key());
        auto msg = uid ? decode_message(*uid, cur.value()) : std::nullopt;
        if (!msg) {
          problem(where + ": unreadable message record");
          continue;
        }
        msgs.emplace(*uid, std::move(*msg));
      }
    }
    uint32_t unseen = 0, deleted = 0;
    uint64_t size = 0;
    std::set<uint32_t> want_unseen, want_deleted;
    std::set<std::string> keywords;
    for (const auto& k : m.keywords) keywords.insert(k);
    for (const auto& [uid, msg] : msgs) {
      std::string at = "message " + std::to_string(id) + "/" + std::to_string(uid);
      if (uid >= m.uid_next) problem(at + ": uid not below uid_next");
      if (msg.modseq > m.highest_modseq) problem(at + ": modseq above highest_modseq");
      if (!(msg.flags.system & kSeen)) ++unseen, want_unseen.insert(uid);
      if (msg.flags.system & kDeleted) ++deleted, want_deleted.insert(uid);
      size += msg.size;
      for (const auto& k : msg.flags.keywords) {
        bool known = false;
        for (const auto& have : keywords) known |= keyword_equal(have, k);
        if (!known) problem(at + ": keyword " + k + " not in the mailbox's keyword list");
      }
      refs_[msg.body_id]++;
    }
    auto counter = [&](const char* name, uint64_t stored, uint64_t counted) {
      if (stored != counted)
        problem(where + ": " + name + " " + std::to_string(stored) + ", counted " +
                std::to_string(counted));
    };
    counter("messages", m.messages, msgs.size());
    counter("unseen", m.unseen, unseen);
    counter("deleted", m.deleted, deleted);
    counter("size", m.size, size);
    Usage& u = usage_[rec.account];
    u.messages += msgs.size();
    u.storage += size;

    STORE_ASSIGN(std::set<uint32_t> unseen_index, uid_keys(db_.unseen, id));
    if (unseen_index != want_unseen) problem(where + ": unseen index does not match the messages");
    STORE_ASSIGN(std::set<uint32_t> deleted_index, uid_keys(db_.deleted, id));
    if (deleted_index != want_deleted)
      problem(where + ": deleted index does not match the messages");
    STORE_TRY(modseqs(id, where, msgs));
    STORE_TRY(seq(id, where, msgs));
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn_, db_.expunged));
    for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
      auto at = modseq_key_modseq(cur.key());
      if (!at || !read_u32(cur.value()) || *at > m.highest_modseq)
        problem(where + ": expunge record bad or above highest_modseq");
    }
    return {};
  }

  // Every message is in `modseqs` exactly once, under its own MODSEQ.
  Result<void> modseqs(uint64_t id, const std::string& where,
                       const std::map<uint32_t, MessageInfo>& msgs) {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn_, db_.modseqs));
    std::string prefix = message_prefix(id);
    size_t entries = 0;
    for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
      ++entries;
      auto modseq = modseq_key_modseq(cur.key());
      auto uid = read_u32(cur.value());
      auto it = uid ? msgs.find(*uid) : msgs.end();
      if (!modseq || it == msgs.end() || it->second.modseq != *modseq)
        problem(where + ": modseqs entry does not match a message");
    }
    if (entries != msgs.size())
      problem(where + ": modseqs has " + std::to_string(entries) + " entries for " +
              std::to_string(msgs.size()) + " messages");
    return {};
  }

  // Every chunk counts exactly the messages in its UID range.
  Result<void> seq(uint64_t id, const std::string& where,
                   const std::map<uint32_t, MessageInfo>& msgs) {
    std::vector<std::pair<uint32_t, uint32_t>> chunks;  // first uid, count
    {
      STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn_, db_.seq));
      std::string prefix = message_prefix(id);
      for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
        auto first = message_key_uid(cur.key());
        auto count = read_u32(cur.value());
        if (!first || !count || *count == 0 || *count > kSeqChunk) {
          problem(where + ": unreadable seq chunk");
          continue;
        }
        chunks.emplace_back(*first, *count);
      }
    }
    if (chunks.empty() && !msgs.empty()) problem(where + ": no seq chunks for its messages");
    if (!chunks.empty() && !msgs.empty() && msgs.begin()->first < chunks.front().first)
      problem(where + ": messages below the first seq chunk");
    for (size_t i = 0; i < chunks.size(); ++i) {
      auto from = msgs.lower_bound(chunks[i].first);
      auto to = i + 1 < chunks.size() ? msgs.lower_bound(chunks[i + 1].first) : msgs.end();
      auto n = static_cast<uint32_t>(std::distance(from, to));
      if (n != chunks[i].second)
        problem(where + ": seq chunk at uid " + std::to_string(chunks[i].first) + " counts " +
                std::to_string(chunks[i].second) + ", holds " + std::to_string(n));
    }
    return {};
  }

  // Entries of mailbox-keyed tables whose mailbox does not exist.
  Result<void> orphans(MDB_dbi dbi) {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn_, dbi));
    std::set<uint64_t> reported;
    for (bool ok = cur.first(); ok; ok = cur.next()) {
      auto id = key_mailbox(cur.key());
      if (!id || boxes_.contains(*id) || reported.contains(*id)) continue;
      reported.insert(*id);
      problem("mailbox " + std::to_string(*id) + ": missing, but entries refer to it");
    }
    return {};
  }

  Result<void> subscriptions() {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn_, db_.subscriptions));
    for (bool ok = cur.first(); ok; ok = cur.next()) {
      std::string account(name_key_account(cur.key()));
      if (!accounts_.contains(account) || name_key_name(cur.key()).empty())
        problem("subscription of account " + account + ": account missing or name empty");
    }
    return {};
  }

  // Each referenced body exists, each stored one is referenced as often as recorded, and
  // each summary belongs to a body.
  Result<void> bodies() {
    std::set<uint64_t> stored;
    {
      STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn_, db_.bodies));
      for (bool ok = cur.first(); ok; ok = cur.next()) {
        auto id = read_u64(cur.key());
        if (!id) {
          problem("bodies: bad key");
          continue;
        }
        stored.insert(*id);
        if (!refs_.contains(*id)) problem("body " + std::to_string(*id) + ": not referenced");
        if (next_body_ && *id >= *next_body_)
          problem("body " + std::to_string(*id) + ": id not below next_body_id");
      }
    }
    std::map<uint64_t, uint64_t> recorded;
    {
      STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn_, db_.body_refs));
      for (bool ok = cur.first(); ok; ok = cur.next()) {
        auto id = read_u64(cur.key());
        auto n = read_u64(cur.value());
        if (!id || !n) {
          problem("body_refs: unreadable record");
          continue;
        }
        recorded[*id] = *n;
      }
    }
    for (const auto& [id, n] : refs_) {
      std::string where = "body " + std::to_string(id);
      if (!stored.contains(id)) problem(where + ": referenced but missing");
      auto it = recorded.find(id);
      uint64_t r = it == recorded.end() ? 0 : it->second;
      if (r != n)
        problem(where + ": refcount " + std::to_string(r) + ", referenced " + std::to_string(n));
    }
    for (const auto& [id, n] : recorded)
      if (!refs_.contains(id))
        problem("body " + std::to_string(id) + ": refcount " + std::to_string(n) + " but unused");
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn_, db_.summaries));
    for (bool ok = cur.first(); ok; ok = cur.next()) {
      auto id = read_u64(cur.key());
      if (!id || !stored.contains(*id)) problem("summaries: entry without a body");
    }
    return {};
  }

  lmdb::Txn& txn_;
  const Dbs& db_;
  Problems& out_;
  std::optional<uint64_t> next_box_, next_body_;
  std::map<std::string, AccountRecord> accounts_;
  std::map<uint64_t, MailboxRecord> boxes_;
  std::map<std::string, Usage> usage_;
  std::map<uint64_t, uint64_t> refs_;  // body id -> references seen
};

}  // namespace

Result<std::vector<std::string>> LmdbStore::check() {
  Problems problems;
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
  Checker checker(txn, db_, problems);
  STORE_TRY(checker.run());
  return problems;
}

}  // namespace mail::store::detail
