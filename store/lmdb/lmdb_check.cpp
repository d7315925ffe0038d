// `mailctl store check` for the LMDB store: reads everything in one snapshot and reports
// what does not add up (schema version, mailbox counters, name index, body references).
// Trusts nothing in the file; reports problems as strings rather than stopping at the first.
#include <map>
#include <set>

#include "store/lmdb/lmdb_store.h"

namespace mail::store::detail {

Result<std::vector<std::string>> LmdbStore::check() {
  std::vector<std::string> problems;
  auto problem = [&](std::string s) { problems.push_back(std::move(s)); };
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));

  STORE_ASSIGN(std::optional<std::string_view> version, txn.get(db_.meta, kSchemaKey));
  std::optional<uint32_t> v = version ? read_u32(*version) : std::nullopt;
  if (!v || *v != kSchemaVersion)
    problem("schema version missing or not " + std::to_string(kSchemaVersion));
  STORE_ASSIGN(std::optional<std::string_view> next_box_raw, txn.get(db_.meta, kNextMailboxKey));
  STORE_ASSIGN(std::optional<std::string_view> next_body_raw, txn.get(db_.meta, kNextBodyKey));
  std::optional<uint64_t> next_box = next_box_raw ? read_u64(*next_box_raw) : std::nullopt;
  std::optional<uint64_t> next_body = next_body_raw ? read_u64(*next_body_raw) : std::nullopt;
  if (!next_box) problem("meta next_mailbox_id missing or bad");
  if (!next_body) problem("meta next_body_id missing or bad");

  std::set<std::string> accounts;
  {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.accounts));
    for (bool ok = cur.first(); ok; ok = cur.next()) accounts.emplace(cur.key());
  }

  // Mailboxes, and the name index pointing at them.
  std::map<uint64_t, MailboxRecord> boxes;
  {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.mailboxes));
    for (bool ok = cur.first(); ok; ok = cur.next()) {
      auto id = read_u64(cur.key());
      auto rec = id ? decode_mailbox(*id, cur.value()) : std::nullopt;
      if (!rec) {
        problem("mailboxes: unreadable record");
        continue;
      }
      if (!accounts.contains(rec->account))
        problem("mailbox " + std::to_string(*id) + ": account " + rec->account + " missing");
      if (next_box && *id >= *next_box)
        problem("mailbox " + std::to_string(*id) + ": id not below next_mailbox_id");
      boxes.emplace(*id, std::move(*rec));
    }
  }
  std::set<uint64_t> named;
  {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.names));
    for (bool ok = cur.first(); ok; ok = cur.next()) {
      std::string key(cur.key());
      auto id = read_u64(cur.value());
      auto it = id ? boxes.find(*id) : boxes.end();
      if (it == boxes.end() || name_key(it->second.account, it->second.info.name) != key) {
        problem("mailbox_names: entry does not match a mailbox");
        continue;
      }
      named.insert(*id);
    }
  }
  for (const auto& [id, rec] : boxes)
    if (!named.contains(id)) problem("mailbox " + std::to_string(id) + ": not in mailbox_names");

  // Messages: recount every mailbox and every body reference.
  struct Count {
    uint32_t messages = 0, unseen = 0;
    uint64_t size = 0;
  };
  std::map<uint64_t, Count> counts;
  std::map<uint64_t, uint64_t> refs;  // body id -> references seen
  {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.messages));
    for (bool ok = cur.first(); ok; ok = cur.next()) {
      auto box_id = cur.key().size() == 12 ? read_u64(cur.key().substr(0, 8)) : std::nullopt;
      auto uid = message_key_uid(cur.key());
      auto msg = uid ? decode_message(*uid, cur.value()) : std::nullopt;
      if (!box_id || !msg) {
        problem("messages: unreadable record");
        continue;
      }
      std::string where = "message " + std::to_string(*box_id) + "/" + std::to_string(*uid);
      auto it = boxes.find(*box_id);
      if (it == boxes.end()) {
        problem(where + ": mailbox missing");
      } else {
        if (*uid >= it->second.info.uid_next) problem(where + ": uid not below uid_next");
        if (msg->modseq > it->second.info.highest_modseq)
          problem(where + ": modseq above highest_modseq");
      }
      Count& c = counts[*box_id];
      c.messages++;
      if (!(msg->flags.system & kSeen)) c.unseen++;
      c.size += msg->size;
      refs[msg->body_id]++;
    }
  }
  for (const auto& [id, rec] : boxes) {
    const Count& c = counts[id];
    const MailboxInfo& m = rec.info;
    std::string where = "mailbox " + std::to_string(id) + " (" + rec.account + " " + m.name + ")";
    if (m.messages != c.messages)
      problem(where + ": messages " + std::to_string(m.messages) + ", counted " +
              std::to_string(c.messages));
    if (m.unseen != c.unseen)
      problem(where + ": unseen " + std::to_string(m.unseen) + ", counted " +
              std::to_string(c.unseen));
    if (m.size != c.size)
      problem(where + ": size " + std::to_string(m.size) + ", counted " + std::to_string(c.size));
  }

  // Bodies: each referenced one exists, each stored one is referenced as often as recorded.
  std::set<uint64_t> bodies;
  {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.bodies));
    for (bool ok = cur.first(); ok; ok = cur.next()) {
      auto id = read_u64(cur.key());
      if (!id) {
        problem("bodies: bad key");
        continue;
      }
      bodies.insert(*id);
      if (!refs.contains(*id)) problem("body " + std::to_string(*id) + ": not referenced");
      if (next_body && *id >= *next_body)
        problem("body " + std::to_string(*id) + ": id not below next_body_id");
    }
  }
  std::map<uint64_t, uint64_t> recorded;
  {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.body_refs));
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
  for (const auto& [id, n] : refs) {
    std::string where = "body " + std::to_string(id);
    if (!bodies.contains(id)) problem(where + ": referenced but missing");
    auto it = recorded.find(id);
    uint64_t r = it == recorded.end() ? 0 : it->second;
    if (r != n)
      problem(where + ": refcount " + std::to_string(r) + ", referenced " + std::to_string(n));
  }
  for (const auto& [id, n] : recorded)
    if (!refs.contains(id))
      problem("body " + std::to_string(id) + ": refcount " + std::to_string(n) + " but unused");
  return problems;
}

}  // namespace mail::store::detail
