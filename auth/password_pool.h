// The pool that runs password checks (argon2id, about 19 MiB and tens of milliseconds
// each) on threads of its own, apart from the general worker pool, so that a burst of
// logins never delays a mailbox command. Its queue is bounded: when it is full a check is
// not queued and the caller answers "temporary failure, try later" at once instead of
// letting the wait grow without limit.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/net/asio.h"

namespace mail::auth {

class PasswordCheckPool {
 public:
  // REQUIRES: threads >= 1, max_queue >= 1.
  PasswordCheckPool(int threads, size_t max_queue);
  // Finishes the jobs running, drops the queued ones and joins the threads. Destroy it
  // before the io_contexts its callers run on (declare it after the net::Runtime).
  ~PasswordCheckPool();
  PasswordCheckPool(const PasswordCheckPool&) = delete;
  PasswordCheckPool& operator=(const PasswordCheckPool&) = delete;

  // Runs f() on a pool thread and resumes the caller on its own executor with the result;
  // nullopt, without running f, when the queue is full.
  // REQUIRES: co_await the result within the same full expression (f is held by
  // reference, as net::offload does, because of the g++ 12 coroutine bug).
  template <typename F>
  auto run(F&& f) -> net::awaitable<std::optional<std::invoke_result_t<F&>>> {
    using R = std::invoke_result_t<F&>;
    std::optional<R> out;
    co_await net::asio::async_initiate<decltype(net::use_awaitable), void()>(
        [this, &f, &out](auto handler) {
          auto ex = net::asio::prefer(net::asio::get_associated_executor(handler),
                                      net::asio::execution::outstanding_work.tracked);
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          bool queued = submit([&f, &out, ex, shared]() mutable {
            out.emplace(f());
            net::asio::post(ex, std::move(*shared));
          });
          if (!queued) net::asio::post(ex, std::move(*shared));
        },
        net::use_awaitable);
    co_return std::move(out);
  }

  // Jobs waiting for a thread (not counting the running ones).
  size_t queued() const;

 private:
  bool submit(std::function<void()> job);
  void work();

  const size_t max_queue_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace mail::auth
