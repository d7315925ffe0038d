// A thin RAII layer over LMDB shared by the store, the queue and the directory: an
// environment, transactions that abort unless committed, and errors turned into
// mail::Error values. Transactions are short and never held across network I/O.
//
// Map size (server.store_max_size, queue_max_size, directory_max_size): an environment
// opens with a modest map (EnvOptions::initial_map_size) and grows it, doubling, up to
// EnvOptions::map_size:
//   - before a write transaction when the data reaches 3/4 of the map, and
//   - after a write failed with MDB_MAP_FULL: that write returns a Temporary error (the
//     callers answer 452 4.3.1, NO, -ERR [SYS/TEMP]: nothing acknowledged is lost), and
//     the next write transaction begins in the larger map.
// At the maximum, writes keep failing with Temporary until the operator raises it (and
// restarts). When another process grew the map (MDB_MAP_RESIZED), this one adopts the
// new size and retries. mdb_env_set_mapsize needs no transaction active in the process:
// every Txn holds the environment's gate open, and a resize closes it, waiting at most
// kResizeWait for running transactions (then it gives up and retries next time, so a
// thread beginning a nested transaction can never deadlock against a resize).
#pragma once

#include <lmdb.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace mail::lmdb {

Error to_error(int rc, std::string_view what);

struct EnvOptions {
  size_t map_size = size_t{1} << 30;           // the largest the map may grow to
  size_t initial_map_size = size_t{64} << 20;  // the map at open (at most map_size)
  unsigned max_dbs = 16;
  unsigned max_readers = 1024;
  // Extra mdb_env_open flags, e.g. MDB_NOSYNC | MDB_NOMETASYNC for data that may be lost
  // in a crash (login throttling counters).
  unsigned flags = 0;
};

// How long a resize waits for the process's open transactions to end.
constexpr std::chrono::milliseconds kResizeWait{2000};

class Env {
 public:
  // Creates the directory (mode 0700) when missing.
  static Result<std::unique_ptr<Env>> open(const std::filesystem::path& dir,
                                           const EnvOptions& options);
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  MDB_env* get() const { return env_; }
  // The map's current size in this process, and its configured maximum.
  size_t map_size() const;
  size_t max_map_size() const { return max_size_; }
  // Clears reader slots of dead processes; returns how many.
  int check_readers();

 private:
  friend class Txn;
  friend class Cursor;
  Env(MDB_env* env, std::filesystem::path dir, size_t max_size);

  // Held by every open transaction; closed while the map is resized.
  void enter();
  void leave();
  // Runs `resize` with no transaction open in this process; false when that did not
  // happen within kResizeWait.
  template <typename F>
  bool exclusively(F&& resize);

  // Before a write transaction: grows when asked to (MDB_MAP_FULL) or nearly full.
  void grow_if_needed();
  // Another process grew the map: adopt its size.
  bool adopt_resized_map();
  void request_growth() { growth_requested_ = true; }

  MDB_env* env_;
  std::filesystem::path dir_;
  size_t max_size_;
  size_t page_size_ = 4096;
  std::atomic<bool> growth_requested_{false};
  std::mutex gate_mutex_;
  std::condition_variable gate_cv_;
  int open_txns_ = 0;
  bool resizing_ = false;
};

// Clears reader slots left by dead processes in every environment this process has open
// (mdb_reader_check); returns how many. Long-running daemons call it periodically
// (net::start_reader_check) so a killed peer cannot pin old pages and grow the file.
int check_stale_readers();

class Txn {
 public:
  static Result<Txn> begin(Env& env, bool write);
  Txn(Txn&& other) noexcept
      : txn_(std::exchange(other.txn_, nullptr)),
        env_(std::exchange(other.env_, nullptr)),
        write_(other.write_) {}
  Txn& operator=(Txn&&) = delete;
  ~Txn() { abort(); }

  // Opens (and with create, makes) a named database; valid for the environment's life
  // once this transaction commits.
  Result<MDB_dbi> open_db(const char* name, bool create, unsigned flags = 0);

  // nullopt when the key is absent; the view lives until the transaction ends.
  Result<std::optional<std::string_view>> get(MDB_dbi dbi, std::string_view key);
  // Temporary on MDB_MAP_FULL (the map grows before the next write transaction); the
  // transaction is then unusable and must be dropped.
  Result<void> put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags = 0);
  // Ok(false) when the key was absent.
  Result<bool> del(MDB_dbi dbi, std::string_view key);

  Result<void> commit();
  void abort();

  MDB_txn* get() const { return txn_; }

 private:
  friend class Cursor;
  Txn(MDB_txn* txn, Env* env, bool write) : txn_(txn), env_(env), write_(write) {}
  // Turns an LMDB error into an Error, asking for a larger map on MDB_MAP_FULL.
  Error fail(int rc, std::string_view what);
  void release();
  MDB_txn* txn_;
  Env* env_;
  bool write_;
};

// Iterates keys in order starting at the first key >= `from`.
class Cursor {
 public:
  static Result<Cursor> open(Txn& txn, MDB_dbi dbi);
  Cursor(Cursor&& other) noexcept
      : cur_(std::exchange(other.cur_, nullptr)),
        env_(std::exchange(other.env_, nullptr)),
        owned_(other.owned_) {}
  ~Cursor();

  // Positions at the first key >= from; false at the end.
  bool seek(std::string_view from);
  bool first();
  bool next();
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }
  // Deletes the entry under the cursor (write transactions only).
  Result<void> del();

 private:
  Cursor(MDB_cursor* cur, Env* env, bool owned) : cur_(cur), env_(env), owned_(owned) {}
  bool load(MDB_cursor_op op, std::string_view from = {});
  MDB_cursor* cur_;
  Env* env_;
  // LMDB frees a write transaction's cursors when it ends, so closing one that outlived
  // its transaction would free it twice; only read-only cursors are ours to close.
  bool owned_;
  std::string_view key_, value_;
};

inline std::string_view view(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}
inline MDB_val val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

}  // namespace mail::lmdb
