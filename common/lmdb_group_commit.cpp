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
  auto parent = Txn::begin(env_, true);
  if (!parent) {
    for (Entry* e : batch) e->result = parent.error();
    return;
  }
  std::vector<Entry*> kept;
  for (Entry* e : batch) {
    auto child = Txn::begin_nested(*parent);
    if (!child) {
      e->result = child.error();
      continue;
    }
    bool keep = false;
    try {
      keep = (*e->op)(*child);
    } catch (...) {
      // A bug in one operation: its own caller gets the exception (run() rethrows it),
      // the others' operations go on. The child aborts.
      e->thrown = std::current_exception();
      continue;
    }
    if (!keep) continue;  // the child aborts; the operation reports its own outcome
    if (auto committed = child->commit(); !committed) {
      e->result = committed.error();
      continue;
    }
    kept.push_back(e);
  }
  if (kept.empty()) return;  // nothing to write: the parent aborts
  if (auto committed = parent->commit(); !committed)
    for (Entry* e : kept) e->result = committed.error();
}

}  // namespace mail::lmdb
