// Per-destination-domain limits on outgoing mail, so that a big mailing does not flood one
// receiver (which then throttles or blocks us): at most `concurrency` connections to a
// domain at once, and at most `rate` messages per minute to it, spaced evenly (as
// Postfix's destination_concurrency_limit and destination_rate_delay). Limits come from
// [relay] destination_concurrency / destination_rate and the destination_limits table.
//
// Lives on one event loop; not thread-safe. Waiters are woken in order.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "common/config.h"
#include "common/net/asio.h"

namespace mail::relay {

class DestinationLimiter {
 public:
  DestinationLimiter(net::asio::any_io_executor executor, const RelayConfig& config);
  ~DestinationLimiter();

  // A held connection slot; released when destroyed.
  class Slot {
   public:
    Slot() = default;
    Slot(DestinationLimiter* owner, std::string domain)
        : owner_(owner), domain_(std::move(domain)) {}
    Slot(Slot&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)), domain_(std::move(other.domain_)) {}
    Slot& operator=(Slot&& other) noexcept;
    ~Slot() { release(); }
    void release();

   private:
    DestinationLimiter* owner_ = nullptr;
    std::string domain_;
  };

  // Waits for a connection slot for `domain`.
  net::awaitable<Slot> acquire(const std::string& domain);
  // Waits until one more message may go to `domain` under its rate; false (nothing
  // reserved) when that would take longer than `max_wait`.
  net::awaitable<bool> pace(const std::string& domain, std::chrono::seconds max_wait);

  int concurrency_for(const std::string& domain) const;
  int rate_for(const std::string& domain) const;  // per minute; 0 unlimited
  int in_use(const std::string& domain) const;

 private:
  struct Domain {
    int in_use = 0;
    std::deque<std::shared_ptr<net::asio::steady_timer>> waiters;
    std::chrono::steady_clock::time_point next_send{};
  };
  void release(const std::string& domain);
  void forget_if_idle(const std::string& domain);

  net::asio::any_io_executor executor_;
  const RelayConfig& config_;
  std::map<std::string, Domain> domains_;
};

}  // namespace mail::relay
