// The group-commit writer thread (see group_commit.h for why).
#include "queue/group_commit.h"

#include <utility>
#include <vector>

namespace mail::queue {

GroupCommitter::GroupCommitter(Spool& spool, size_t max_batch)
    : spool_(spool), max_batch_(max_batch == 0 ? 1 : max_batch), writer_([this] { run(); }) {}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  writer_.join();
}

void GroupCommitter::submit(NewMessage msg, Callback done) {
  // Refused here, alone: Spool::enqueue() would fail the whole batch, other sessions'
  // messages with it.
  if (msg.envelope.recipients.empty()) {
    done(make_error(ErrorKind::Invalid, "enqueue: message without recipients"));
    return;
  }
  {
    std::unique_lock lock(mu_);
    if (!stopping_) {
      pending_.push_back(Pending{std::move(msg), std::move(done)});
      lock.unlock();
      cv_.notify_one();
      return;
    }
  }
  done(make_error(ErrorKind::Temporary, "queue writer is shutting down"));
}

void GroupCommitter::run() {
  std::vector<NewMessage> batch;
  std::vector<Callback> callbacks;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      // Drain before stopping: what was submitted is committed.
      if (pending_.empty()) return;
      while (!pending_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(pending_.front().msg));
        callbacks.push_back(std::move(pending_.front().done));
        pending_.pop_front();
      }
    }
    // While this commit (and its fsync) runs, new submissions gather for the next one.
    auto ids = spool_.enqueue(batch);
    for (size_t i = 0; i < callbacks.size(); ++i) {
      if (ids && i < ids->size()) {
        callbacks[i](std::move((*ids)[i]));
      } else {
        callbacks[i](ids ? make_error(ErrorKind::Temporary, "enqueue returned too few ids")
                         : ids.error());
      }
    }
    batch.clear();
    callbacks.clear();
  }
}

}  // namespace mail::queue
