#include "queued/relay/destination_limiter.h"

namespace mail::relay {

using Clock = std::chrono::steady_clock;

DestinationLimiter::DestinationLimiter(net::asio::any_io_executor executor,
                                       const RelayConfig& config)
    : executor_(std::move(executor)), config_(config) {}

DestinationLimiter::~DestinationLimiter() = default;

DestinationLimiter::Slot& DestinationLimiter::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::exchange(other.owner_, nullptr);
    domain_ = std::move(other.domain_);
  }
  return *this;
}

void DestinationLimiter::Slot::release() {
  if (owner_) std::exchange(owner_, nullptr)->release(domain_);
}

int DestinationLimiter::concurrency_for(const std::string& domain) const {
  auto it = config_.destination_limits.find(domain);
  if (it != config_.destination_limits.end() && it->second.concurrency > 0)
    return it->second.concurrency;
  return config_.destination_concurrency;
}

int DestinationLimiter::rate_for(const std::string& domain) const {
  auto it = config_.destination_limits.find(domain);
  if (it != config_.destination_limits.end() && it->second.rate > 0) return it->second.rate;
  return config_.destination_rate;
}

int DestinationLimiter::in_use(const std::string& domain) const {
  auto it = domains_.find(domain);
  return it == domains_.end() ? 0 : it->second.in_use;
}

net::awaitable<DestinationLimiter::Slot> DestinationLimiter::acquire(const std::string& domain) {
  const int limit = concurrency_for(domain);
  while (domains_[domain].in_use >= limit) {
    auto timer = std::make_shared<net::asio::steady_timer>(executor_, Clock::time_point::max());
    domains_[domain].waiters.push_back(timer);
    co_await timer->async_wait(net::use_nothrow);  // release() cancels it
  }
  domains_[domain].in_use++;
  co_return Slot(this, domain);
}

void DestinationLimiter::release(const std::string& domain) {
  auto it = domains_.find(domain);
  if (it == domains_.end()) return;
  Domain& d = it->second;
  if (d.in_use > 0) d.in_use--;
  if (!d.waiters.empty()) {
    d.waiters.front()->cancel();
    d.waiters.pop_front();
    return;
  }
  forget_if_idle(domain);
}

void DestinationLimiter::forget_if_idle(const std::string& domain) {
  auto it = domains_.find(domain);
  if (it != domains_.end() && it->second.in_use == 0 && it->second.waiters.empty() &&
      it->second.next_send <= Clock::now())
    domains_.erase(it);
}

net::awaitable<bool> DestinationLimiter::pace(const std::string& domain,
                                              std::chrono::seconds max_wait) {
  const int rate = rate_for(domain);
  if (rate <= 0) co_return true;
  const auto spacing = std::chrono::duration_cast<Clock::duration>(std::chrono::minutes(1)) / rate;
  Domain& d = domains_[domain];
  const auto now = Clock::now();
  const auto at = std::max(now, d.next_send);
  if (at - now > max_wait) co_return false;
  d.next_send = at + spacing;  // reserved before waiting: later callers queue behind us
  if (at > now) {
    net::asio::steady_timer timer(executor_, at);
    co_await timer.async_wait(net::use_nothrow);
  }
  co_return true;
}

}  // namespace mail::relay
