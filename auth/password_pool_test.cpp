// The password pool's bounded queue, made deterministic: the one thread is held inside a
// job until the test lets it go, so "running", "queued" and "full" are states the test
// sets up, not races it hopes to win.
#include "auth/password_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>

namespace mail::auth {
namespace {

namespace asio = net::asio;
using namespace std::chrono_literals;

// Waits on a timer until ready() holds (the pool's thread moves on its own).
net::awaitable<void> until(std::function<bool()> ready) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!ready()) {
    timer.expires_after(1ms);
    co_await timer.async_wait(net::use_awaitable);
  }
}

TEST(PasswordCheckPoolTest, FullQueueAnswersAtOnceWithoutRunningTheJob) {
  PasswordCheckPool pool(1, 1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> first_running{false};
  std::optional<int> first, second, third;
  bool third_ran = false;

  asio::io_context io;
  asio::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        asio::co_spawn(
            ex,
            [&]() -> net::awaitable<void> {
              first = co_await pool.run([&] {
                first_running = true;
                released.wait();
                return 1;
              });
            },
            asio::detached);
        co_await until([&] { return first_running.load(); });
        asio::co_spawn(
            ex, [&]() -> net::awaitable<void> { second = co_await pool.run([] { return 2; }); },
            asio::detached);
        co_await until([&] { return pool.queued() == 1; });
        // One running, one queued: the third is refused without waiting for either.
        third = co_await pool.run([&] {
          third_ran = true;
          return 3;
        });
        EXPECT_FALSE(third.has_value());
        release.set_value();
      },
      asio::detached);
  io.run();

  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 2);
  EXPECT_FALSE(third.has_value());
  EXPECT_FALSE(third_ran);
  EXPECT_EQ(pool.queued(), 0u);
}

}  // namespace
}  // namespace mail::auth
