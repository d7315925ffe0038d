// The sequence index: message positions (IMAP sequence numbers) without a per-message
// array. A mailbox's UIDs are cut into chunks; the `seq` table holds, per chunk, the
// chunk's first UID (key: mailbox id + UID) and how many messages it has (u32). A chunk
// covers the UIDs from its key up to the next chunk's key. So
//   count_below(uid) = the counts of the chunks before uid's chunk + a walk of at most one
//                      chunk in `messages`;
//   uid_at(pos)      = the same sums, then a walk inside one chunk.
// Both cost O(n / kSeqChunk + kSeqChunk) cursor steps; with 512 that is about 200 + 512
// steps at 100,000 messages (bench: store_bench). New messages always have the highest UID
// and go into the last chunk, which starts a new one when full; removing a message
// decrements its chunk, drops it when empty and merges it into a neighbour when the two
// together hold at most half a chunk, so a mailbox has at most about 4n/kSeqChunk + 1
// chunks whatever was expunged.
#pragma once

#include <cstdint>
#include <optional>

#include "store/lmdb/tables.h"

namespace mail::store::detail {

constexpr uint32_t kSeqChunk = 512;

// Records a new message; `uid` must be above every UID in the mailbox.
Result<void> seq_add(lmdb::Txn& txn, const Dbs& db, uint64_t mailbox_id, uint32_t uid);
// Forgets a message that is in the mailbox.
Result<void> seq_remove(lmdb::Txn& txn, const Dbs& db, uint64_t mailbox_id, uint32_t uid);
// Messages with a UID below `uid`.
Result<uint32_t> seq_count_below(lmdb::Txn& txn, const Dbs& db, uint64_t mailbox_id, uint32_t uid);
// The UID at 1-based `position`, nullopt past the end.
Result<std::optional<uint32_t>> seq_uid_at(lmdb::Txn& txn, const Dbs& db, uint64_t mailbox_id,
                                           uint32_t position);

}  // namespace mail::store::detail
