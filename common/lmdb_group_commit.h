// Group commit: many threads' small write transactions share one LMDB commit.
//
// LMDB has one writer at a time, and every commit of ours fsyncs. Under concurrent IMAP
// sessions (flag changes, \Seen set by FETCH, EXPUNGE, APPEND) the writer lock, not the
// work, became the limit: each write waited for the fsyncs of all the writes before it.
// Here the first thread to arrive leads: it takes every operation queued so far, runs
// them in one write transaction, commits once, and wakes the others. An operation that
// fails (declines to keep its changes) is taken out and the rest run again in a fresh
// transaction, so a failure discards only its own changes. Threads that
// arrive meanwhile queue up for the next batch, so batches grow with the load and a lone
// writer pays nothing extra. Nobody is answered before the shared commit is durable.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>

#include "common/lmdb.h"

namespace mail::lmdb {

class GroupCommit {
 public:
  // An operation writes through the transaction it is given and returns whether to keep
  // its changes (false: they are discarded, e.g. the operation failed). It runs on
  // whichever thread leads the batch, so it must not depend on the calling thread, and it
  // may run more than once (when another operation of its batch fails): each run must
  // start afresh (set its outputs, not append to them).
  using Operation = std::function<bool(Txn&)>;

  explicit GroupCommit(Env& env, size_t max_batch = 64) : env_(env), max_batch_(max_batch) {}

  // Runs `op` and returns once its batch has committed (or failed to). An error means
  // nothing of `op` was stored, whatever `op` returned. An exception thrown by `op` is
  // rethrown here, in its own thread.
  Result<void> run(const Operation& op);

  // Operations waiting for a batch, and batches run so far (for tests and metrics).
  size_t queued();
  uint64_t batches();

 private:
  struct Entry {
    const Operation* op;
    Result<void> result;
    std::exception_ptr thrown;
    bool done = false;
  };
  void commit_batch(std::deque<Entry*>& batch);

  Env& env_;
  const size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable done_;
  std::deque<Entry*> queue_;
  bool leading_ = false;
  uint64_t batches_ = 0;
};

}  // namespace mail::lmdb
