// ChangeHub: see change_hub.h.
#include "imapd/change_hub.h"

#include <algorithm>
#include <iterator>

#include "common/log.h"

namespace mail::imapd {

ChangeHub::ChangeHub(net::asio::any_io_executor executor,
                     std::unique_ptr<store::ChangeListener> listener) {
  if (listener)
    notices_ = std::make_unique<store::AsyncChangeListener>(executor, std::move(listener));
}

ChangeHub::~ChangeHub() = default;

std::shared_ptr<ChangeHub::Watcher> ChangeHub::watch(uint64_t mailbox_id,
                                                     net::asio::any_io_executor executor) {
  auto w = std::make_shared<Watcher>(executor, mailbox_id);
  std::lock_guard lock(mutex_);
  watchers_.emplace(mailbox_id, w);
  return w;
}

void ChangeHub::Watcher::wake_with(const std::vector<uint64_t>& changed, bool overflow) {
  if (overflow || overflowed) {
    overflowed = true;
    std::vector<uint64_t>().swap(ids);
  } else {
    std::vector<uint64_t> merged;
    merged.reserve(ids.size() + changed.size());
    std::set_union(ids.begin(), ids.end(), changed.begin(), changed.end(),
                   std::back_inserter(merged));
    if (merged.size() > max_ids) {
      overflowed = true;
      merged = {};
    }
    ids.swap(merged);
  }
  wake();
}

std::shared_ptr<ChangeHub::Watcher> ChangeHub::watch_all(net::asio::any_io_executor executor,
                                                         size_t max_ids) {
  auto w = std::make_shared<Watcher>(executor, 0);
  w->max_ids = max_ids;
  std::lock_guard lock(mutex_);
  everything_.push_back(w);
  return w;
}

void ChangeHub::unwatch(const std::shared_ptr<Watcher>& watcher) {
  std::lock_guard lock(mutex_);
  if (std::erase(everything_, watcher) > 0) return;
  auto [first, last] = watchers_.equal_range(watcher->mailbox_id);
  for (auto it = first; it != last; ++it) {
    if (it->second == watcher) {
      watchers_.erase(it);
      return;
    }
  }
}

void ChangeHub::wake(const std::vector<uint64_t>& mailbox_ids, bool everyone) {
  std::vector<std::shared_ptr<Watcher>> woken;
  std::vector<std::shared_ptr<Watcher>> all;
  {
    std::lock_guard lock(mutex_);
    all = everything_;
    if (everyone) {
      for (const auto& [id, w] : watchers_) woken.push_back(w);
    } else {
      for (uint64_t id : mailbox_ids) {
        auto [first, last] = watchers_.equal_range(id);
        for (auto it = first; it != last; ++it) woken.push_back(it->second);
      }
    }
  }
  // The shared_ptr in the handler keeps the timer alive until the wake-up has run.
  for (auto& w : woken) net::asio::post(w->executor, [w] { w->wake(); });
  if (all.empty()) return;
  // One shared copy of the ids for every watch_all() watcher (sorted, as drain() gives).
  auto ids = std::make_shared<const std::vector<uint64_t>>(mailbox_ids);
  for (auto& w : all)
    net::asio::post(w->executor, [w, ids, everyone] { w->wake_with(*ids, everyone); });
}

net::awaitable<void> ChangeHub::run() {
  if (!notices_) co_return;
  log::info("change_notices").kv("socket", notices_->listener().path().string());
  while (!stopped_) {
    auto n = co_await notices_->next();
    if (!n) {
      if (!stopped_) log::warn("change_notices_failed").kv("error", n.error().message);
      break;
    }
    if (n->overflow) log::info("change_notices_overflow");
    wake(n->mailboxes, n->overflow);
  }
}

void ChangeHub::stop() {
  stopped_ = true;
  if (notices_) notices_->cancel();
}

size_t ChangeHub::watchers() const {
  std::lock_guard lock(mutex_);
  return watchers_.size() + everything_.size();
}

}  // namespace mail::imapd
