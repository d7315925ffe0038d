#include "common/lmdb.h"

#include <sys/stat.h>

#include <algorithm>
#include <vector>

#include "common/log.h"

namespace mail::lmdb {
namespace {

// Every open environment, for check_stale_readers().
std::mutex registry_mutex;
std::vector<Env*>& registry() {
  static std::vector<Env*> envs;
  return envs;
}

// Transactions this thread holds (any environment): a thread that holds one must not wait
// for a resize, which waits for it.
thread_local int held_txns = 0;

}  // namespace

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
  // LMDB raises the map to the data already in the file when that is larger.
  mdb_env_set_mapsize(env, std::min(options.initial_map_size, options.map_size));
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
  return std::unique_ptr<Env>(new Env(env, dir, options.map_size));
}

Env::Env(MDB_env* env, std::filesystem::path dir, size_t max_size)
    : env_(env), dir_(std::move(dir)), max_size_(max_size) {
  MDB_stat st{};
  if (mdb_env_stat(env_, &st) == 0 && st.ms_psize > 0) page_size_ = st.ms_psize;
  std::lock_guard lock(registry_mutex);
  registry().push_back(this);
}

Env::~Env() {
  {
    std::lock_guard lock(registry_mutex);
    std::erase(registry(), this);
  }
  mdb_env_close(env_);
}

size_t Env::map_size() const {
  MDB_envinfo info{};
  mdb_env_info(env_, &info);
  return info.me_mapsize;
}

int Env::check_readers() {
  int dead = 0;
  mdb_reader_check(env_, &dead);
  return dead;
}

int check_stale_readers() {
  std::lock_guard lock(registry_mutex);
  int total = 0;
  for (Env* env : registry()) total += env->check_readers();
  return total;
}

void Env::enter() {
  std::unique_lock lock(gate_mutex_);
  gate_cv_.wait(lock, [this] { return !resizing_; });
  ++open_txns_;
  ++held_txns;
}

void Env::leave() {
  std::lock_guard lock(gate_mutex_);
  if (held_txns > 0) --held_txns;
  if (--open_txns_ == 0) gate_cv_.notify_all();
}

template <typename F>
bool Env::exclusively(F&& resize) {
  if (held_txns > 0) return false;  // waiting would wait for ourselves
  std::unique_lock lock(gate_mutex_);
  if (resizing_) return false;  // another thread is at it
  resizing_ = true;
  bool idle = gate_cv_.wait_for(lock, kResizeWait, [this] { return open_txns_ == 0; });
  if (idle) resize();
  resizing_ = false;
  gate_cv_.notify_all();
  return idle;
}

void Env::grow_if_needed() {
  MDB_envinfo info{};
  if (mdb_env_info(env_, &info) != 0) return;
  const size_t used = (info.me_last_pgno + 1) * page_size_;
  const bool nearly_full = used >= info.me_mapsize / 4 * 3;
  if (!growth_requested_ && !nearly_full) return;
  if (info.me_mapsize >= max_size_) {
    growth_requested_ = false;  // nothing to do until the operator raises the maximum
    return;
  }
  exclusively([&] {
    MDB_envinfo now{};
    mdb_env_info(env_, &now);
    if (now.me_mapsize >= max_size_) return;
    const size_t next = std::min(max_size_, std::max(now.me_mapsize * 2, used + used / 2));
    int rc = mdb_env_set_mapsize(env_, next);
    if (rc != 0) {
      log::error("lmdb_grow_failed").kv("path", dir_.string()).kv("error", mdb_strerror(rc));
      return;
    }
    growth_requested_ = false;
    log::info("lmdb_map_grown")
        .kv("path", dir_.string())
        .kv("from", static_cast<uint64_t>(now.me_mapsize))
        .kv("to", static_cast<uint64_t>(next))
        .kv("max", static_cast<uint64_t>(max_size_));
  });
}

bool Env::adopt_resized_map() {
  return exclusively([&] {
    // Size 0: take the size another process recorded (LMDB's documented way).
    int rc = mdb_env_set_mapsize(env_, 0);
    if (rc != 0)
      log::error("lmdb_adopt_failed").kv("path", dir_.string()).kv("error", mdb_strerror(rc));
  });
}

Result<Txn> Txn::begin(Env& env, bool write) {
  if (write) env.grow_if_needed();
  for (int attempt = 0;; ++attempt) {
    env.enter();
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env.get(), nullptr, write ? 0 : MDB_RDONLY, &txn);
    if (rc == 0) return Txn(txn, &env, write);
    env.leave();
    if (rc != MDB_MAP_RESIZED || attempt > 0 || !env.adopt_resized_map())
      return to_error(rc, "mdb_txn_begin");
  }
}

Error Txn::fail(int rc, std::string_view what) {
  if (rc == MDB_MAP_FULL && env_) env_->request_growth();
  return to_error(rc, what);
}

Result<MDB_dbi> Txn::open_db(const char* name, bool create, unsigned flags) {
  MDB_dbi dbi = 0;
  int rc = mdb_dbi_open(txn_, name, flags | (create ? MDB_CREATE : 0), &dbi);
  if (rc != 0) return fail(rc, std::string("open database ") + name);
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
  if (rc != 0) return fail(rc, "mdb_put");
  return {};
}

Result<bool> Txn::del(MDB_dbi dbi, std::string_view key) {
  MDB_val k = val(key);
  int rc = mdb_del(txn_, dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != 0) return fail(rc, "mdb_del");
  return true;
}

Result<void> Txn::commit() {
  MDB_txn* txn = std::exchange(txn_, nullptr);
  int rc = mdb_txn_commit(txn);  // fsyncs the data file before returning
  Result<void> result;
  if (rc != 0) result = fail(rc, "mdb_txn_commit");
  release();
  return result;
}

void Txn::abort() {
  if (txn_) mdb_txn_abort(std::exchange(txn_, nullptr));
  release();
}

void Txn::release() {
  if (Env* env = std::exchange(env_, nullptr)) env->leave();
}

Result<Cursor> Cursor::open(Txn& txn, MDB_dbi dbi) {
  MDB_cursor* cur = nullptr;
  int rc = mdb_cursor_open(txn.get(), dbi, &cur);
  if (rc != 0) return to_error(rc, "mdb_cursor_open");
  return Cursor(cur, txn.env_, !txn.write_);
}

Cursor::~Cursor() {
  if (cur_ && owned_) mdb_cursor_close(cur_);
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
  if (rc != 0) {
    if (rc == MDB_MAP_FULL && env_) env_->request_growth();
    return to_error(rc, "mdb_cursor_del");
  }
  return {};
}

}  // namespace mail::lmdb
