// A thin RAII layer over LMDB shared by the store, the queue and the directory: an
// environment, transactions that abort unless committed, and errors turned into
// mail::Error values (MDB_MAP_FULL is Temporary, so callers answer "try later").
// Transactions are short and never held across network I/O.
#pragma once

#include <lmdb.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace mail::lmdb {

Error to_error(int rc, std::string_view what);

struct EnvOptions {
  size_t map_size = size_t{1} << 30;
  unsigned max_dbs = 16;
  unsigned max_readers = 1024;
  // Extra mdb_env_open flags, e.g. MDB_NOSYNC | MDB_NOMETASYNC for data that may be lost
  // in a crash (login throttling counters).
  unsigned flags = 0;
};

class Env {
 public:
  // Creates the directory (mode 0700) when missing.
  static Result<std::unique_ptr<Env>> open(const std::filesystem::path& dir,
                                           const EnvOptions& options);
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  MDB_env* get() const { return env_; }

 private:
  explicit Env(MDB_env* env) : env_(env) {}
  MDB_env* env_;
};

class Txn {
 public:
  static Result<Txn> begin(Env& env, bool write);
  Txn(Txn&& other) noexcept : txn_(std::exchange(other.txn_, nullptr)) {}
  Txn& operator=(Txn&&) = delete;
  ~Txn() { abort(); }

  // Opens (and with create, makes) a named database; valid for the environment's life
  // once this transaction commits.
  Result<MDB_dbi> open_db(const char* name, bool create, unsigned flags = 0);

  // nullopt when the key is absent; the view lives until the transaction ends.
  Result<std::optional<std::string_view>> get(MDB_dbi dbi, std::string_view key);
  Result<void> put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags = 0);
  // Ok(false) when the key was absent.
  Result<bool> del(MDB_dbi dbi, std::string_view key);

  Result<void> commit();
  void abort();

  MDB_txn* get() const { return txn_; }

 private:
  explicit Txn(MDB_txn* txn) : txn_(txn) {}
  MDB_txn* txn_;
};

// Iterates keys in order starting at the first key >= `from`.
class Cursor {
 public:
  static Result<Cursor> open(Txn& txn, MDB_dbi dbi);
  Cursor(Cursor&& other) noexcept : cur_(std::exchange(other.cur_, nullptr)) {}
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
  explicit Cursor(MDB_cursor* cur) : cur_(cur) {}
  bool load(MDB_cursor_op op, std::string_view from = {});
  MDB_cursor* cur_;
  std::string_view key_, value_;
};

inline std::string_view view(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}
inline MDB_val val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

}  // namespace mail::lmdb
