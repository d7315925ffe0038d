// The delivery history of the LMDB spool (layout in history_record.h): complete() adds one
// record per applied outcome and prunes the oldest in the same write transaction, so the
// history costs no commit of its own and is exactly as durable as the recipients' states;
// read_history() serves `mailctl report` from short read-only transactions.
#include <algorithm>

#include "queue/lmdb/history_record.h"
#include "queue/lmdb/lmdb_spool_impl.h"

namespace mail::queue::lmdb_spool {
namespace {

// Records read per read-only transaction: a report over millions of records never holds
// one snapshot long enough to make queued's writes grow the file.
constexpr size_t kHistoryReadChunk = 4096;

}  // namespace

Result<void> LmdbSpool::record_history(lmdb::Txn& txn, const Envelope& e, const Outcome& o,
                                       int64_t now) {
  const Recipient& r = e.recipients[o.recipient];
  HistoryRecord h;
  h.time = now;
  h.kind = o.kind;
  h.bounce_class = o.kind == Outcome::Kind::Delivered ? BounceClass::None : o.bounce_class;
  h.transport = o.transport;
  h.domain = destination_domain(r.address);
  // r.attempts already counts this attempt: (id, recipient, attempt) is unique.
  return txn.put(db_.history, history_key(now, e.id, o.recipient, r.attempts), encode_history(h));
}

Result<void> LmdbSpool::prune_history(lmdb::Txn& txn, int64_t now, size_t budget) {
  MDB_stat st;
  if (int rc = mdb_stat(txn.get(), db_.history, &st); rc != 0)
    return lmdb::to_error(rc, "queue history stats");
  uint64_t entries = st.ms_entries;
  const std::string cutoff = history_key_prefix(now - history_.retention);
  QUEUE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.history));
  // Always from the first key: the oldest record goes first.
  for (; budget > 0 && cur.first(); --budget, --entries) {
    if (entries <= history_.max_records && cur.key() >= cutoff) break;
    QUEUE_TRY(cur.del());
  }
  return {};
}

Result<uint64_t> LmdbSpool::read_history(int64_t since, int64_t until,
                                         const std::function<bool(const HistoryRecord&)>& visit) {
  uint64_t unreadable = 0;
  const std::string end = history_key_prefix(until);
  std::string from = history_key_prefix(since);
  for (;;) {
    QUEUE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
    QUEUE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.history));
    size_t read = 0;
    bool more = cur.seek(from);
    for (; more && read < kHistoryReadChunk; more = cur.next(), ++read) {
      if (cur.key() >= end) return unreadable;
      auto record = decode_history(cur.key(), cur.value());
      if (!record) {
        ++unreadable;
        continue;
      }
      if (!visit(*record)) return unreadable;
    }
    if (!more) return unreadable;
    // The cursor stands on the first key not read yet: the next transaction starts there
    // (pruning meanwhile only removes older keys, so nothing is read twice or skipped).
    from = std::string(cur.key());
  }
}

}  // namespace mail::queue::lmdb_spool
