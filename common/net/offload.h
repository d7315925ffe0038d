// Runs a blocking call (LMDB write, argon2, fsync) on the worker pool and resumes the
// calling coroutine on its own executor with the result, so no event loop ever blocks.
#pragma once

#include <optional>
#include <type_traits>

#include "common/net/asio.h"

namespace mail::net {

// REQUIRES: co_await the result within the same full expression (`f` is held by
// reference: g++ 12 destroys by-value lambda parameters of coroutines twice).
template <typename F>
auto offload(asio::thread_pool& pool, F&& f) -> awaitable<std::invoke_result_t<F&>> {
  using R = std::invoke_result_t<F&>;
  std::optional<R> out;
  // The coroutine frame (and so `f` and `out`) stays alive while it is suspended here.
  co_await asio::async_initiate<decltype(use_awaitable), void()>(
      [&pool, &f, &out](auto handler) {
        auto ex = asio::prefer(asio::get_associated_executor(handler),
                               asio::execution::outstanding_work.tracked);
        asio::post(pool, [&f, &out, ex, handler = std::move(handler)]() mutable {
          out.emplace(f());
          asio::post(ex, std::move(handler));
        });
      },
      use_awaitable);
  co_return std::move(*out);
}

}  // namespace mail::net
