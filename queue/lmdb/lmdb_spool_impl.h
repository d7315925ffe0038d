// Private to the LMDB spool: the class shared by lmdb_spool.cpp (opening, enqueue, reads,
// administration) and lmdb_claims.cpp (claim, complete, renew), and the helpers that keep
// the schedule index true. The on-disk layout is described in lmdb_spool.cpp.
#pragma once

#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "common/lmdb.h"
#include "queue/lmdb/lmdb_spool.h"

// Early return of a failed Result (the LMDB spool's one error-propagation style).
#define QUEUE_TRY(expr)                                     \
  do {                                                      \
    auto queue_try_result = (expr);                         \
    if (!queue_try_result) return queue_try_result.error(); \
  } while (0)
#define QUEUE_CONCAT_INNER(a, b) a##b
#define QUEUE_CONCAT(a, b) QUEUE_CONCAT_INNER(a, b)
#define QUEUE_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                      \
  if (!tmp) return tmp.error();           \
  lhs = std::move(*tmp)
#define QUEUE_ASSIGN(lhs, expr) QUEUE_ASSIGN_IMPL(QUEUE_CONCAT(queue_assign_, __LINE__), lhs, expr)

namespace mail::queue::lmdb_spool {

struct Dbs {
  MDB_dbi meta, envelopes, contents, schedule, claims, history;
};

// A live or expired claim (the `claims` database).
struct Lease {
  uint64_t token = 0;
  int64_t until = 0;
  std::string owner;  // the worker that claimed
};

std::string schedule_key(int64_t when, std::string_view id);
// REQUIRES: key.size() >= 8
int64_t schedule_time(std::string_view key);
std::string encode_lease(const Lease& lease);
Result<Lease> decode_lease(std::string_view id, std::string_view bytes);

class LmdbSpool final : public Spool {
 public:
  LmdbSpool(std::unique_ptr<lmdb::Env> env, Dbs dbs, HistoryLimits history);

  Result<std::vector<std::string>> enqueue(std::span<NewMessage> batch) override;
  Result<std::vector<Claim>> claim(int64_t now, int64_t lease, size_t limit,
                                   std::string_view owner) override;
  Result<size_t> expire_claims(std::string_view owner, int64_t now) override;
  Result<std::vector<Result<Completed>>> complete(std::span<const Completion> batch,
                                                  int64_t now) override;
  Result<std::vector<Result<void>>> renew(std::span<const ClaimRef> claims, int64_t until) override;
  Result<std::vector<Envelope>> list() override;
  Result<SpoolStats> stats() override;
  Result<Envelope> envelope(std::string_view id) override;
  Result<std::string> content(std::string_view id) override;
  Result<void> hold(std::string_view id) override;
  Result<void> release(std::string_view id) override;
  Result<void> retry(std::string_view id, int64_t now) override;
  Result<size_t> flush(int64_t now) override;
  Result<void> remove(std::string_view id) override;
  Result<uint64_t> read_history(int64_t since, int64_t until,
                                const std::function<bool(const HistoryRecord&)>& visit) override;

 private:
  // The schedule index holds one entry per message that is claimed (at the lease's end)
  // or has a pending recipient and is not held (at its earliest next attempt), and no
  // other. These helpers keep that true.
  Result<Envelope> load(lmdb::Txn& txn, std::string_view id);
  Result<std::optional<Lease>> load_lease(lmdb::Txn& txn, std::string_view id);
  static std::optional<int64_t> scheduled_at(const Envelope& e, const std::optional<Lease>& lease);
  Result<void> unschedule(lmdb::Txn& txn, const Envelope& e, const std::optional<Lease>& lease);
  Result<void> schedule(lmdb::Txn& txn, const Envelope& e, const std::optional<Lease>& lease);
  Result<void> save(lmdb::Txn& txn, const Envelope& e);
  Result<void> erase(lmdb::Txn& txn, std::string_view id);
  // Claims one scheduled message if it has due recipients; repairs its entry otherwise.
  Result<std::optional<Claim>> claim_one(lmdb::Txn& txn, std::string_view key, int64_t now,
                                         int64_t lease, std::string_view owner);
  // Changes the next attempts of one message (retry/flush); false when nothing was due later.
  Result<bool> make_due(lmdb::Txn& txn, Envelope& e, int64_t now);
  uint64_t new_token();
  // The delivery history (lmdb_history.cpp): one record per applied outcome, and pruning
  // of at most `budget` of the oldest records (past the retention or beyond max_records),
  // so every completion removes more than it adds once the history is full.
  Result<void> record_history(lmdb::Txn& txn, const Envelope& e, const Outcome& o, int64_t now);
  Result<void> prune_history(lmdb::Txn& txn, int64_t now, size_t budget);

  std::unique_ptr<lmdb::Env> env_;
  Dbs db_;
  const HistoryLimits history_;
  std::mutex token_mu_;
  std::mt19937_64 token_rng_;  // guarded by token_mu_
};

}  // namespace mail::queue::lmdb_spool
