#include "queued/relay/dead_destinations.h"

#include <algorithm>

#include "queued/relay/recorded_reply.h"

namespace mail::relay {

void DeadDestinations::mark(const std::string& key, Entry entry, TimePoint now) {
  if (ttl_.count() <= 0 || max_entries_ == 0) return;
  entry.until = now + ttl_;
  if (entries_.size() >= max_entries_ && !entries_.contains(key)) {
    auto first = std::min_element(
        entries_.begin(), entries_.end(),
        [](const auto& a, const auto& b) { return a.second.until < b.second.until; });
    entries_.erase(first);
  }
  entries_[key] = std::move(entry);
}

std::optional<DeadDestinations::Entry> DeadDestinations::find(const std::string& key,
                                                              TimePoint now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.until <= now) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

smtp::Reply DeadDestinations::suspended_reply(const Entry& entry) {
  std::string last;
  if (entry.remote) {
    last = record_reply(entry.reply, entry.host, entry.address);
  } else {
    for (const std::string& line : entry.reply.lines) {
      if (!last.empty()) last += ' ';
      last += line;
    }
  }
  return smtp::Reply(451, "4.4.1", "delivery temporarily suspended: " + last);
}

}  // namespace mail::relay
