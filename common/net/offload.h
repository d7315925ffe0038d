// Runs a blocking call (LMDB write, argon2, fsync) on the worker pool and resumes the
// calling coroutine on its own executor with the result, so no event loop ever blocks.
//
// A call that throws (a bug: errors are Result values) does not take the pool down and
// does not strand the caller: the exception is rethrown in the awaiting coroutine, so a
// session ends through its normal exception path (the Server logs session_crashed and
// frees the connection slot).
#pragma once

#include <exception>
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
  std::exception_ptr failure;
  // The coroutine frame (and so `f`, `out` and `failure`) stays alive while it is
  // suspended here.
  co_await asio::async_initiate<decltype(use_awaitable), void()>(
      [&pool, &f, &out, &failure](auto handler) {
        auto ex = asio::prefer(asio::get_associated_executor(handler),
                               asio::execution::outstanding_work.tracked);
        asio::post(pool, [&f, &out, &failure, ex, handler = std::move(handler)]() mutable {
          try {
            out.emplace(f());
          } catch (...) {
            failure = std::current_exception();
          }
          asio::post(ex, std::move(handler));
        });
      },
      use_awaitable);
  if (failure) std::rethrow_exception(failure);
  co_return std::move(*out);
}

}  // namespace mail::net
