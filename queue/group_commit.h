// GroupCommitter: lets concurrent SMTP sessions share one durable commit (one fsync).
// Sessions submit() messages; a single writer thread takes everything pending (up to
// max_batch), calls Spool::enqueue() once for the whole batch and then reports each
// message's id, or the batch's error, to its callback. Under load many messages ride on
// one fsync; when idle a lone message is committed at once (no timer, no added delay).
// Trusts its callers: they are the daemons' own sessions.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"
#include "queue/spool.h"

namespace mail::queue {

class GroupCommitter {
 public:
  using Callback = std::function<void(Result<std::string>)>;

  // `spool` must outlive this object.
  explicit GroupCommitter(Spool& spool, size_t max_batch = 256);
  // Commits everything already submitted, runs its callbacks, then joins the writer.
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Thread-safe. `done` runs later on the writer thread, exactly once, after the commit
  // that holds the message (or failed): it must be quick and must not throw. A message
  // submitted while the destructor runs is refused with ErrorKind::Temporary.
  void submit(NewMessage msg, Callback done);

 private:
  struct Pending {
    NewMessage msg;
    Callback done;
  };
  void run();

  Spool& spool_;
  const size_t max_batch_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> pending_;  // guarded by mu_
  bool stopping_ = false;        // guarded by mu_
  std::thread writer_;           // last: starts after the members above exist
};

}  // namespace mail::queue
