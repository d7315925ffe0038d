#include "queued/relay/destination_limiter.h"

#include <gtest/gtest.h>

#include <vector>

namespace mail::relay {
namespace {

namespace asio = net::asio;
using namespace std::chrono_literals;

TEST(DestinationLimiterTest, ConcurrencyPerDomainWithOverrides) {
  RelayConfig rc;
  rc.destination_concurrency = 2;
  rc.destination_limits["small.example"] = DestinationLimit{1, 0};
  asio::io_context io;
  DestinationLimiter limiter(io.get_executor(), rc);
  EXPECT_EQ(limiter.concurrency_for("big.example"), 2);
  EXPECT_EQ(limiter.concurrency_for("small.example"), 1);

  int running = 0, peak = 0, done = 0;
  auto one = [&](std::string domain) -> net::awaitable<void> {
    auto slot = co_await limiter.acquire(domain);
    peak = std::max(peak, ++running);
    asio::steady_timer t(io, 20ms);
    co_await t.async_wait(net::use_nothrow);
    --running;
    ++done;
  };
  for (int i = 0; i < 5; ++i) asio::co_spawn(io, one("big.example"), asio::detached);
  io.run();
  EXPECT_EQ(peak, 2);
  EXPECT_EQ(done, 5);
  EXPECT_EQ(limiter.in_use("big.example"), 0);

  io.restart();
  peak = 0;
  for (int i = 0; i < 3; ++i) asio::co_spawn(io, one("small.example"), asio::detached);
  io.run();
  EXPECT_EQ(peak, 1);
}

TEST(DestinationLimiterTest, RateSpacesMessagesAndRefusesLongWaits) {
  RelayConfig rc;
  rc.destination_rate = 600;  // one every 100 ms
  asio::io_context io;
  DestinationLimiter limiter(io.get_executor(), rc);
  std::vector<std::chrono::steady_clock::time_point> sent;
  int refused = 0;
  auto one = [&]() -> net::awaitable<void> {
    if (co_await limiter.pace("rated.example", 1s)) {
      sent.push_back(std::chrono::steady_clock::now());
    } else {
      ++refused;
    }
  };
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 14; ++i) asio::co_spawn(io, one(), asio::detached);
  io.run();
  // Slots at 0, 100, ..., 1000 ms fit within a 1 s wait; the rest are refused.
  EXPECT_EQ(sent.size(), 11u);
  EXPECT_EQ(refused, 3);
  EXPECT_GE(sent.back() - start, 950ms);
  for (size_t i = 1; i < sent.size(); ++i) EXPECT_GE(sent[i] - sent[i - 1], 80ms);
  EXPECT_TRUE(limiter.rate_for("other.example") == 600);
}

}  // namespace
}  // namespace mail::relay
