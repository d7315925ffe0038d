#include "queued/relay/connection_cache.h"

namespace mail::relay {

ConnectionCache::ConnectionCache(net::asio::any_io_executor executor,
                                 std::chrono::seconds idle_time)
    : executor_(std::move(executor)), idle_time_(idle_time), state_(std::make_shared<State>()) {}

ConnectionCache::~ConnectionCache() {
  state_->closed = true;
  for (auto& [id, entry] : state_->entries) entry.timer->cancel();
  state_->entries.clear();  // connections close without QUIT: the loop is going away
}

net::awaitable<void> ConnectionCache::quit(std::unique_ptr<LiveSession> live) {
  if (live && live->session) co_await live->session->quit();
}

void ConnectionCache::put(const std::string& key, std::unique_ptr<LiveSession> live) {
  if (!live) return;
  if (idle_time_.count() == 0 || state_->closed) {
    net::asio::co_spawn(executor_, quit(std::move(live)), net::asio::detached);
    return;
  }
  const uint64_t id = state_->next_id++;
  auto timer = std::make_shared<net::asio::steady_timer>(executor_, idle_time_);
  state_->entries.emplace(id, Entry{key, std::move(live), timer});
  net::asio::co_spawn(executor_, expire(state_, id, timer), net::asio::detached);
}

std::unique_ptr<LiveSession> ConnectionCache::take(const std::string& key) {
  for (auto it = state_->entries.begin(); it != state_->entries.end(); ++it) {
    if (it->second.key != key) continue;
    auto live = std::move(it->second.live);
    it->second.timer->cancel();
    state_->entries.erase(it);
    return live;
  }
  return nullptr;
}

size_t ConnectionCache::size() const {
  return state_->entries.size();
}

net::awaitable<void> ConnectionCache::expire(std::shared_ptr<State> state, uint64_t id,
                                             std::shared_ptr<net::asio::steady_timer> timer) {
  co_await timer->async_wait(net::use_nothrow);
  auto it = state->entries.find(id);
  if (it == state->entries.end()) co_return;  // taken, or the cache is gone
  auto live = std::move(it->second.live);
  state->entries.erase(it);
  co_await quit(std::move(live));
}

void ConnectionCache::close_all() {
  state_->closed = true;
  for (auto& [id, entry] : state_->entries) entry.timer->cancel();
  auto entries = std::move(state_->entries);
  state_->entries.clear();
  for (auto& [id, entry] : entries)
    net::asio::co_spawn(executor_, quit(std::move(entry.live)), net::asio::detached);
}

}  // namespace mail::relay
