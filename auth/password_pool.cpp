#include "auth/password_pool.h"

namespace mail::auth {

PasswordCheckPool::PasswordCheckPool(int threads, size_t max_queue) : max_queue_(max_queue) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

PasswordCheckPool::~PasswordCheckPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
  // Queued jobs are destroyed unrun; their callers' io_contexts are stopping too.
}

bool PasswordCheckPool::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || jobs_.size() >= max_queue_) return false;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

size_t PasswordCheckPool::queued() const {
  std::lock_guard lock(mutex_);
  return jobs_.size();
}

void PasswordCheckPool::work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace mail::auth
