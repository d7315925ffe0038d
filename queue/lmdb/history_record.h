// The stored form of the delivery history (the LMDB spool's `history` database, see
// lmdb_spool.cpp): one entry per recipient attempt that complete() applied. Internal to the
// LMDB backend. decode_history() trusts nothing: lengths, enum ranges and the version are
// checked, and damage is reported as ErrorKind::Corrupt.
//
//   key    u64 time with the sign bit flipped (big-endian, so byte order is time order, as
//          in `schedule`) + queue id + u32 recipient index + u32 attempt number. Unique:
//          a recipient's attempt numbers only grow. Time first, so that a report reads one
//          range and pruning takes the oldest from the front.
//   value  u8 version (1), u8 Outcome::Kind, u8 BounceClass, u8 Transport,
//          str domain (u32 length + at most kMaxHistoryDomain octets).
// A reader of version N reads records of every version >= 1 and ignores fields a newer
// version appended after its own (the first four bytes and the domain never move).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "queue/spool.h"

namespace mail::queue::lmdb_spool {

constexpr uint8_t kHistoryRecordVersion = 1;

std::string history_key(int64_t time, std::string_view id, uint32_t recipient, uint32_t attempt);
// The smallest key of records at `time` or later.
std::string history_key_prefix(int64_t time);
std::string encode_history(const HistoryRecord& record);
// The record stored under `key` with value `bytes` (the time comes from the key).
Result<HistoryRecord> decode_history(std::string_view key, std::string_view bytes);

}  // namespace mail::queue::lmdb_spool
