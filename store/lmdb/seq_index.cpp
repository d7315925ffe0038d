// The chunked sequence index (see seq_index.h). Counts read from the file are checked: a
// zero or unreadable count is Corrupt, and `mailctl store check` recounts every chunk.
#include "store/lmdb/seq_index.h"

#include <algorithm>

namespace mail::store::detail {
namespace {

struct Chunk {
  std::string key;
  uint32_t first_uid = 0;
  uint32_t count = 0;
};

Result<Chunk> read_chunk(uint64_t mailbox_id, std::string_view key, std::string_view value) {
  auto first = message_key_uid(key);
  auto count = read_u32(value);
  if (!first || !count || *count == 0)
    return corrupt("seq chunk of mailbox " + std::to_string(mailbox_id) + ": bad record");
  return Chunk{std::string(key), *first, *count};
}

bool in_mailbox(std::string_view key, uint64_t mailbox_id) {
  return key.size() == 12 && key_mailbox(key) == mailbox_id;
}

// The chunk with the greatest first UID <= uid, if any.
Result<std::optional<Chunk>> chunk_at_or_before(lmdb::Txn& txn, const Dbs& db, uint64_t mailbox_id,
                                                uint32_t uid) {
  STORE_ASSIGN(auto entry, last_at_or_before(txn, db.seq, message_key(mailbox_id, uid)));
  if (!entry || !in_mailbox(entry->first, mailbox_id)) return std::optional<Chunk>{};
  STORE_ASSIGN(Chunk c, read_chunk(mailbox_id, entry->first, entry->second));
  return std::optional<Chunk>{std::move(c)};
}

// Messages of the mailbox with first <= UID < end, walking at most `limit` of them (`end`
// is 64-bit: 2^32 stands for "no end").
Result<uint32_t> count_messages(lmdb::Txn& txn, const Dbs& db, uint64_t mailbox_id, uint32_t first,
                                uint64_t end, uint32_t limit) {
  STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db.messages));
  uint32_t n = 0;
  for (bool ok = cur.seek(message_key(mailbox_id, first));
       ok && n < limit && in_mailbox(cur.key(), mailbox_id); ok = cur.next()) {
    if (*message_key_uid(cur.key()) >= end) break;
    ++n;
  }
  return n;
}

}  // namespace

Result<void> seq_add(lmdb::Txn& txn, const Dbs& db, uint64_t mailbox_id, uint32_t uid) {
  STORE_ASSIGN(std::optional<Chunk> last, chunk_at_or_before(txn, db, mailbox_id, UINT32_MAX));
  if (last && last->count < kSeqChunk)
    return txn.put(db.seq, last->key, encode_u32(last->count + 1));
  return txn.put(db.seq, message_key(mailbox_id, uid), encode_u32(1));
}

Result<void> seq_remove(lmdb::Txn& txn, const Dbs& db, uint64_t mailbox_id, uint32_t uid) {
  STORE_ASSIGN(std::optional<Chunk> found, chunk_at_or_before(txn, db, mailbox_id, uid));
  if (!found)
    return corrupt("seq: no chunk for " + std::to_string(mailbox_id) + "/" + std::to_string(uid));
  Chunk chunk = std::move(*found);
  if (--chunk.count == 0) {
    STORE_TRY(txn.del(db.seq, chunk.key));
    return {};
  }
  // Merge into the previous chunk when both together are small.
  if (chunk.first_uid > 0) {
    STORE_ASSIGN(std::optional<Chunk> prev,
                 chunk_at_or_before(txn, db, mailbox_id, chunk.first_uid - 1));
    if (prev && prev->count + chunk.count <= kSeqChunk / 2) {
      STORE_TRY(txn.del(db.seq, chunk.key));
      return txn.put(db.seq, prev->key, encode_u32(prev->count + chunk.count));
    }
  }
  // Or take the next chunk in.
  std::optional<Chunk> next;
  if (chunk.first_uid < UINT32_MAX) {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db.seq));
    if (cur.seek(message_key(mailbox_id, chunk.first_uid + 1)) &&
        in_mailbox(cur.key(), mailbox_id)) {
      STORE_ASSIGN(next, read_chunk(mailbox_id, cur.key(), cur.value()));
    }
  }
  if (next && chunk.count + next->count <= kSeqChunk / 2) {
    STORE_TRY(txn.del(db.seq, next->key));
    chunk.count += next->count;
  }
  return txn.put(db.seq, chunk.key, encode_u32(chunk.count));
}

Result<uint32_t> seq_count_below(lmdb::Txn& txn, const Dbs& db, uint64_t mailbox_id, uint32_t uid) {
  STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db.seq));
  uint32_t total = 0;
  bool ok = cur.seek(message_key(mailbox_id, 0)) && in_mailbox(cur.key(), mailbox_id);
  while (ok) {
    STORE_ASSIGN(Chunk chunk, read_chunk(mailbox_id, cur.key(), cur.value()));
    if (chunk.first_uid >= uid) break;
    ok = cur.next() && in_mailbox(cur.key(), mailbox_id);
    const uint64_t next_first = ok ? *message_key_uid(cur.key()) : uint64_t{UINT32_MAX} + 1;
    if (next_first <= uid) {
      total += chunk.count;  // the whole chunk is below the next chunk's first UID
      continue;
    }
    // `uid` falls inside this chunk's range: count its messages below `uid`, walking from
    // the nearer end of the range (UIDs are usually dense, so the fewer messages).
    if (uid - chunk.first_uid <= next_first - uid) {
      STORE_ASSIGN(uint32_t below,
                   count_messages(txn, db, mailbox_id, chunk.first_uid, uid, chunk.count));
      total += below;
    } else {
      STORE_ASSIGN(uint32_t at_or_above,
                   count_messages(txn, db, mailbox_id, uid, next_first, chunk.count));
      total += chunk.count - std::min(at_or_above, chunk.count);
    }
    break;
  }
  return total;
}

Result<std::optional<uint32_t>> seq_uid_at(lmdb::Txn& txn, const Dbs& db, uint64_t mailbox_id,
                                           uint32_t position) {
  if (position == 0) return std::optional<uint32_t>{};
  STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db.seq));
  uint32_t total = 0;
  for (bool ok = cur.seek(message_key(mailbox_id, 0)) && in_mailbox(cur.key(), mailbox_id); ok;
       ok = cur.next() && in_mailbox(cur.key(), mailbox_id)) {
    STORE_ASSIGN(Chunk chunk, read_chunk(mailbox_id, cur.key(), cur.value()));
    if (total + chunk.count < position) {
      total += chunk.count;
      continue;
    }
    // The message is the (position - total)th of this chunk.
    uint32_t skip = position - total - 1;
    STORE_ASSIGN(lmdb::Cursor msgs, lmdb::Cursor::open(txn, db.messages));
    for (bool m = msgs.seek(message_key(mailbox_id, chunk.first_uid));
         m && in_mailbox(msgs.key(), mailbox_id); m = msgs.next()) {
      if (skip-- == 0) return std::optional<uint32_t>{*message_key_uid(msgs.key())};
    }
    return corrupt("seq chunk of mailbox " + std::to_string(mailbox_id) +
                   ": counts more messages than exist");
  }
  return std::optional<uint32_t>{};
}

}  // namespace mail::store::detail
