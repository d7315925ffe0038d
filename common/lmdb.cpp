#include "common/lmdb.h"

#include <sys/stat.h>

namespace mail::lmdb {

Error to_error(int rc, std::string_view what) {
  ErrorKind kind = ErrorKind::Temporary;
  if (rc == MDB_CORRUPTED || rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH ||
      rc == MDB_PAGE_NOTFOUND)
    kind = ErrorKind::Corrupt;
  else if (rc == MDB_NOTFOUND)
    kind = ErrorKind::NotFound;
  else if (rc == MDB_KEYEXIST)
    kind = ErrorKind::Exists;
  return make_error(kind, std::string(what) + ": " + mdb_strerror(rc));
}

Result<std::unique_ptr<Env>> Env::open(const std::filesystem::path& dir,
                                       const EnvOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(ErrorKind::Temporary, "create " + dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc != 0) return to_error(rc, "mdb_env_create");
  mdb_env_set_mapsize(env, options.map_size);
  mdb_env_set_maxdbs(env, options.max_dbs);
  mdb_env_set_maxreaders(env, options.max_readers);
  // MDB_NOTLS: read transactions belong to the Txn object, not the thread, because work
  // moves between an event loop and the worker pool.
  rc = mdb_env_open(env, dir.c_str(), MDB_NOTLS | options.flags, 0600);
  if (rc != 0) {
    mdb_env_close(env);
    return to_error(rc, "open " + dir.string());
  }
  int dead = 0;
  mdb_reader_check(env, &dead);  // clear reader slots left by killed processes
  return std::unique_ptr<Env>(new Env(env));
}

Env::~Env() {
  mdb_env_close(env_);
}

Result<Txn> Txn::begin(Env& env, bool write) {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env.get(), nullptr, write ? 0 : MDB_RDONLY, &txn);
  if (rc != 0) return to_error(rc, "mdb_txn_begin");
  return Txn(txn);
}

Result<MDB_dbi> Txn::open_db(const char* name, bool create, unsigned flags) {
  MDB_dbi dbi = 0;
  int rc = mdb_dbi_open(txn_, name, flags | (create ? MDB_CREATE : 0), &dbi);
  if (rc != 0) return to_error(rc, std::string("open database ") + name);
  return dbi;
}

Result<std::optional<std::string_view>> Txn::get(MDB_dbi dbi, std::string_view key) {
  MDB_val k = val(key), v{};
  int rc = mdb_get(txn_, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string_view>{};
  if (rc != 0) return to_error(rc, "mdb_get");
  return std::optional<std::string_view>{view(v)};
}

Result<void> Txn::put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags) {
  MDB_val k = val(key), v = val(value);
  int rc = mdb_put(txn_, dbi, &k, &v, flags);
  if (rc != 0) return to_error(rc, "mdb_put");
  return {};
}

Result<bool> Txn::del(MDB_dbi dbi, std::string_view key) {
  MDB_val k = val(key);
  int rc = mdb_del(txn_, dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != 0) return to_error(rc, "mdb_del");
  return true;
}

Result<void> Txn::commit() {
  MDB_txn* txn = std::exchange(txn_, nullptr);
  int rc = mdb_txn_commit(txn);  // fsyncs the data file before returning
  if (rc != 0) return to_error(rc, "mdb_txn_commit");
  return {};
}

void Txn::abort() {
  if (txn_) mdb_txn_abort(std::exchange(txn_, nullptr));
}

Result<Cursor> Cursor::open(Txn& txn, MDB_dbi dbi) {
  MDB_cursor* cur = nullptr;
  int rc = mdb_cursor_open(txn.get(), dbi, &cur);
  if (rc != 0) return to_error(rc, "mdb_cursor_open");
  return Cursor(cur);
}

Cursor::~Cursor() {
  if (cur_) mdb_cursor_close(cur_);
}

bool Cursor::load(MDB_cursor_op op, std::string_view from) {
  MDB_val k = val(from), v{};
  if (mdb_cursor_get(cur_, &k, &v, op) != 0) return false;
  key_ = view(k);
  value_ = view(v);
  return true;
}

bool Cursor::seek(std::string_view from) {
  return load(MDB_SET_RANGE, from);
}
bool Cursor::first() {
  return load(MDB_FIRST);
}
bool Cursor::next() {
  return load(MDB_NEXT);
}

Result<void> Cursor::del() {
  int rc = mdb_cursor_del(cur_, 0);
  if (rc != 0) return to_error(rc, "mdb_cursor_del");
  return {};
}

}  // namespace mail::lmdb
