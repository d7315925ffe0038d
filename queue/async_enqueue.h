// async_enqueue(): co_await a durable enqueue through the GroupCommitter from a
// Boost.Asio C++20 coroutine (an SMTP session). The coroutine suspends while the writer
// thread commits and resumes on its own executor, never on the writer thread.
// Trusts its caller; the GroupCommitter must outlive the operation.
#pragma once

#include <utility>  // before Boost: Boost 1.81 headers miss some standard includes

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <string>

#include "common/result.h"
#include "queue/group_commit.h"
#include "queue/spool.h"

namespace mail::queue {

inline boost::asio::awaitable<Result<std::string>> async_enqueue(GroupCommitter& committer,
                                                                 NewMessage msg) {
  auto initiate = [&committer](auto handler, NewMessage m) {
    using Handler = decltype(handler);
    // The handler is move-only and std::function needs a copyable callable, so it
    // lives on the heap. The tracked executor keeps the io_context from running out of
    // work (and returning from run()) while the commit is in flight.
    struct State {
      Handler handler;
      decltype(boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                   boost::asio::execution::outstanding_work.tracked)) work;
    };
    auto ex = boost::asio::get_associated_executor(handler);
    auto state = std::make_shared<State>(
        State{std::move(handler),
              boost::asio::prefer(ex, boost::asio::execution::outstanding_work.tracked)});
    // Runs once, on the writer thread: hands the result to the coroutine's executor.
    committer.submit(std::move(m), [state = std::move(state)](Result<std::string> result) mutable {
      auto work = state->work;
      boost::asio::dispatch(work, [state = std::move(state), result = std::move(result)]() mutable {
        std::move(state->handler)(std::move(result));
      });
    });
  };
  return boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                     void(Result<std::string>)>(
      std::move(initiate), boost::asio::use_awaitable, std::move(msg));
}

}  // namespace mail::queue
