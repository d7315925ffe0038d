// Group commit: operations queued while a batch runs share the next commit; each
// operation's failure or exception stays its own; everything acknowledged is stored.
#include "common/lmdb_group_commit.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

namespace mail::lmdb {
namespace {

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/group_commit_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto env = Env::open(dir_, EnvOptions{});
    ASSERT_TRUE(env.ok()) << env.error().message;
    env_ = std::move(env.value());
    auto txn = Txn::begin(*env_, true);
    ASSERT_TRUE(txn.ok());
    auto dbi = txn->open_db("t", true);
    ASSERT_TRUE(dbi.ok());
    dbi_ = *dbi;
    ASSERT_TRUE(txn->commit().ok());
  }
  void TearDown() override {
    env_.reset();
    std::filesystem::remove_all(dir_);
  }

  GroupCommit::Operation put(std::string key) {
    return [this, key](Txn& txn) { return txn.put(dbi_, key, "v").ok(); };
  }
  bool stored(const std::string& key) {
    auto txn = Txn::begin(*env_, false);
    auto v = txn->get(dbi_, key);
    return v.ok() && v->has_value();
  }
  // Starts a batch whose one operation ("first") waits for `released`, so that the
  // operations run meanwhile queue up for the next batch.
  std::thread hold_first_batch(GroupCommit& group, std::shared_future<void> released) {
    std::thread first([this, &group, released] {
      EXPECT_TRUE(group
                      .run([&](Txn& txn) {
                        released.wait();
                        return txn.put(dbi_, "first", "v").ok();
                      })
                      .ok());
    });
    while (group.batches() < 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return first;
  }
  // Waits until `n` operations are queued behind a running batch.
  static void wait_queued(GroupCommit& group, size_t n) {
    while (group.queued() < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  std::filesystem::path dir_;
  std::unique_ptr<Env> env_;
  MDB_dbi dbi_ = 0;
};

TEST_F(GroupCommitTest, ALoneOperationCommitsAtOnce) {
  GroupCommit group(*env_);
  EXPECT_TRUE(group.run(put("a")).ok());
  EXPECT_TRUE(stored("a"));
  EXPECT_EQ(group.batches(), 1u);
}

TEST_F(GroupCommitTest, OperationsQueuedDuringABatchShareTheNextCommit) {
  GroupCommit group(*env_);
  std::promise<void> release;
  std::thread first = hold_first_batch(group, release.get_future().share());
  std::vector<std::thread> others;
  for (int i = 0; i < 8; ++i)
    others.emplace_back([&, i] { EXPECT_TRUE(group.run(put("k" + std::to_string(i))).ok()); });
  wait_queued(group, 8);
  release.set_value();
  first.join();
  for (auto& t : others) t.join();
  EXPECT_EQ(group.batches(), 2u);  // the first alone, then the eight together
  EXPECT_TRUE(stored("first"));
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(stored("k" + std::to_string(i))) << i;
}

TEST_F(GroupCommitTest, AFailedOperationDiscardsOnlyItsOwnChanges) {
  GroupCommit group(*env_);
  std::promise<void> release;
  std::thread first = hold_first_batch(group, release.get_future().share());
  std::thread before([&] { EXPECT_TRUE(group.run(put("before")).ok()); });
  wait_queued(group, 1);
  std::thread failing([&] {
    // Wrote, then declined: its write must vanish, the batch must go on.
    EXPECT_TRUE(group
                    .run([&](Txn& txn) {
                      EXPECT_TRUE(txn.put(dbi_, "declined", "v").ok());
                      return false;
                    })
                    .ok());
  });
  wait_queued(group, 2);
  std::thread after([&] { EXPECT_TRUE(group.run(put("after")).ok()); });
  wait_queued(group, 3);
  release.set_value();
  for (auto* t : {&first, &before, &failing, &after}) t->join();
  EXPECT_EQ(group.batches(), 2u);
  EXPECT_TRUE(stored("before"));
  EXPECT_TRUE(stored("after"));
  EXPECT_FALSE(stored("declined"));
}

TEST_F(GroupCommitTest, AnExceptionReachesItsOwnCallerAndSparesTheBatch) {
  GroupCommit group(*env_);
  std::promise<void> release;
  std::thread first = hold_first_batch(group, release.get_future().share());
  std::atomic<bool> caught = false;
  std::thread throwing([&] {
    try {
      (void)group.run([&](Txn& txn) -> bool {
        EXPECT_TRUE(txn.put(dbi_, "thrower", "v").ok());
        throw std::runtime_error("bug");
      });
    } catch (const std::runtime_error&) {
      caught = true;
    }
  });
  wait_queued(group, 1);
  std::thread after([&] { EXPECT_TRUE(group.run(put("after")).ok()); });
  wait_queued(group, 2);
  release.set_value();
  for (auto* t : {&first, &throwing, &after}) t->join();
  EXPECT_TRUE(caught);
  EXPECT_TRUE(stored("after"));
  EXPECT_FALSE(stored("thrower"));
}

TEST_F(GroupCommitTest, ManyThreadsLoseNothing) {
  GroupCommit group(*env_);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i)
        EXPECT_TRUE(group.run(put(std::to_string(t) + "-" + std::to_string(i))).ok());
    });
  for (auto& t : threads) t.join();
  for (int t = 0; t < 8; ++t)
    for (int i = 0; i < 50; ++i) EXPECT_TRUE(stored(std::to_string(t) + "-" + std::to_string(i)));
  EXPECT_LE(group.batches(), 400u);
}

}  // namespace
}  // namespace mail::lmdb
