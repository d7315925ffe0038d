// The LMDB layer's map management: growth up to the configured maximum, a full map as a
// Temporary error that loses nothing, a raised maximum after a restart, a map grown by
// another process (MDB_MAP_RESIZED), and clearing the reader slots of dead processes.
#include "common/lmdb.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace mail::lmdb {
namespace {

class LmdbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/lmdb_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Env> open(size_t initial, size_t max) {
    EnvOptions options;
    options.initial_map_size = initial;
    options.map_size = max;
    auto env = Env::open(dir_, options);
    EXPECT_TRUE(env.ok()) << env.error().message;
    return std::move(env.value());
  }

  static std::string key(int i) { return "key-" + std::to_string(100000 + i); }
  static std::string value(int i) { return std::string(8000, static_cast<char>('a' + i % 26)); }

  // Writes records from `from` on, `batch` per transaction, until a write fails; returns
  // the first index not committed, and the error in `failure`.
  static int fill(Env& env, MDB_dbi dbi, int from, int limit, Error& failure, int batch = 5) {
    for (int i = from; i < limit; i += batch) {
      auto txn = Txn::begin(env, true);
      if (!txn) {
        failure = txn.error();
        return i;
      }
      for (int j = i; j < std::min(limit, i + batch); ++j) {
        if (auto r = txn->put(dbi, key(j), value(j)); !r) {
          failure = r.error();
          return i;
        }
      }
      if (auto r = txn->commit(); !r) {
        failure = r.error();
        return i;
      }
    }
    return limit;
  }

  static MDB_dbi data_db(Env& env) {
    auto txn = Txn::begin(env, true);
    auto dbi = txn->open_db("data", true);
    EXPECT_TRUE(txn->commit().ok());
    return *dbi;
  }

  static void expect_records(Env& env, MDB_dbi dbi, int count) {
    auto txn = Txn::begin(env, false);
    ASSERT_TRUE(txn.ok()) << txn.error().message;
    for (int i = 0; i < count; ++i) {
      auto v = txn->get(dbi, key(i));
      ASSERT_TRUE(v.ok() && v->has_value()) << "record " << i << " lost";
      ASSERT_EQ(**v, value(i)) << "record " << i << " damaged";
    }
    auto next = txn->get(dbi, key(count));
    ASSERT_TRUE(next.ok());
    EXPECT_FALSE(next->has_value()) << "a failed write left record " << count;
  }

  std::filesystem::path dir_;
};

TEST_F(LmdbTest, MapGrowsToItsMaximumThenWritesFailTemporarilyLosingNothing) {
  constexpr size_t kMiB = size_t{1} << 20;
  auto env = open(kMiB, 4 * kMiB);
  EXPECT_EQ(env->map_size(), kMiB);
  MDB_dbi dbi = data_db(*env);
  Error failure;
  int written = fill(*env, dbi, 0, 10000, failure);
  ASSERT_LT(written, 10000) << "a 4 MiB map took 80 MB";
  EXPECT_EQ(failure.kind, ErrorKind::Temporary) << failure.message;
  EXPECT_NE(failure.message.find("MDB_MAP_FULL"), std::string::npos) << failure.message;
  EXPECT_EQ(env->map_size(), 4 * kMiB) << "the map did not grow to its maximum";
  EXPECT_GT(written, 300) << "the map stopped growing early";
  expect_records(*env, dbi, written);
  // Full stays full (and intact) until the maximum is raised: the same batch fails again.
  Error again;
  EXPECT_EQ(fill(*env, dbi, written, written + 5, again), written);
  EXPECT_EQ(again.kind, ErrorKind::Temporary);
  env.reset();

  // A restart with a larger maximum continues where it stopped.
  env = open(kMiB, 16 * kMiB);
  dbi = data_db(*env);
  expect_records(*env, dbi, written);
  Error none;
  EXPECT_EQ(fill(*env, dbi, written, written + 200, none), written + 200) << none.message;
  expect_records(*env, dbi, written + 200);
}

TEST_F(LmdbTest, AdoptsAMapGrownByAnotherProcess) {
  constexpr size_t kMiB = size_t{1} << 20;
  auto env = open(kMiB, kMiB);  // this process never grows its own map
  MDB_dbi dbi = data_db(*env);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Another daemon with a larger maximum writes far past our map.
    EnvOptions options;
    options.initial_map_size = kMiB;
    options.map_size = 32 * kMiB;
    auto other = Env::open(dir_, options);
    if (!other) ::_exit(2);
    Error failure;
    int n = fill(**other, data_db(**other), 0, 1000, failure, 100);
    ::_exit(n == 1000 ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  // Our next transaction meets MDB_MAP_RESIZED, adopts the size and reads everything.
  expect_records(*env, dbi, 1000);
  EXPECT_GE(env->map_size(), 8 * kMiB);
}

TEST_F(LmdbTest, ClearsReaderSlotsOfDeadProcesses) {
  auto env = open(size_t{1} << 20, size_t{1} << 20);
  data_db(*env);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto other = Env::open(dir_, EnvOptions{});
    if (!other) ::_exit(2);
    auto txn = Txn::begin(**other, false);  // a reader that never ends: killed mid-read
    ::_exit(txn ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(check_stale_readers(), 1);
  EXPECT_EQ(check_stale_readers(), 0);
}

}  // namespace
}  // namespace mail::lmdb
