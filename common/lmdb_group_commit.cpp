#include "common/lmdb_group_commit.h"

#include <exception>
#include <vector>

namespace mail::lmdb {

Result<void> GroupCommit::run(const Operation& op) {
  Entry self{&op, {}, {}};
  std::unique_lock lock(mutex_);
  queue_.push_back(&self);
  while (!self.done) {
    if (leading_) {
      done_.wait(lock);
      continue;
    }
    // Lead the next batch: everything queued so far, up to max_batch_ (FIFO, so this
    // thread's own entry is in it or in a batch it leads later).
    leading_ = true;
    std::deque<Entry*> batch;
    while (!queue_.empty() && batch.size() < max_batch_) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    ++batches_;
    lock.unlock();
    commit_batch(batch);
    lock.lock();
    for (Entry* e : batch) e->done = true;
    leading_ = false;
    done_.notify_all();
  }
  if (self.thrown) std::rethrow_exception(self.thrown);
  return std::move(self.result);
}

size_t GroupCommit::queued() {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

uint64_t GroupCommit::batches() {
  std::lock_guard lock(mutex_);
  return batches_;
}

void GroupCommit::commit_batch(std::deque<Entry*>& batch) {
  // Every operation writes straight into the one transaction: LMDB's nested transactions
  // cost two allocations of megabytes each (mmap'd and unmapped under our malloc
  // threshold), which outweighed the fsyncs they saved. An operation that declines or
  // throws may have written already, so the transaction is dropped and the batch runs
  // again without it: the operations before it see the same state and do the same again.
  std::vector<Entry*> todo(batch.begin(), batch.end());
  for (;;) {
    auto txn = Txn::begin(env_, true);
    if (!txn) {
      for (Entry* e : todo) e->result = txn.error();
      return;
    }
    bool again = false;
    for (size_t i = 0; i < todo.size() && !again; ++i) {
      Entry* e = todo[i];
      bool keep = false;
      try {
        keep = (*e->op)(*txn);
      } catch (...) {
        e->thrown = std::current_exception();  // rethrown by run() in its own thread
      }
      if (keep) continue;
      todo.erase(todo.begin() + static_cast<std::ptrdiff_t>(i));
      again = true;
    }
    if (again) continue;  // `txn` aborts
    if (todo.empty()) return;
    if (auto committed = txn->commit(); !committed)
      for (Entry* e : todo) e->result = committed.error();
    return;
  }
}

}  // namespace mail::lmdb
