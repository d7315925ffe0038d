// RFC 5267 update contexts; see update_context.h.
#include "imapd/search/update_context.h"

#include <algorithm>
#include <iterator>

namespace mail::imapd::search {

bool UpdateContext::contains(uint32_t uid) const {
  const auto& ascending = is_sort() ? sorted_uids : uids;
  return std::binary_search(ascending.begin(), ascending.end(), uid);
}

bool UpdateContexts::has(std::string_view tag) const {
  return std::any_of(contexts_.begin(), contexts_.end(),
                     [&](const UpdateContext& c) { return c.tag == tag; });
}

void UpdateContexts::add(UpdateContext c) {
  if (c.is_sort()) {
    c.sorted_uids = c.uids;
    std::sort(c.sorted_uids.begin(), c.sorted_uids.end());
  }
  contexts_.push_back(std::move(c));
}

bool UpdateContexts::cancel(std::string_view tag) {
  return std::erase_if(contexts_, [&](const UpdateContext& c) { return c.tag == tag; }) > 0;
}

SearchDelta apply_search_changes(std::vector<uint32_t>& ascending,
                                 std::span<const std::pair<uint32_t, bool>> evaluated) {
  SearchDelta d;
  for (const auto& [uid, matches] : evaluated) {
    const bool member = std::binary_search(ascending.begin(), ascending.end(), uid);
    if (matches && !member) d.added.push_back(uid);
    if (!matches && member) d.removed.push_back(uid);
  }
  std::sort(d.added.begin(), d.added.end());
  d.added.erase(std::unique(d.added.begin(), d.added.end()), d.added.end());
  d.removed = remove_from_result(ascending, std::move(d.removed));
  if (!d.added.empty()) {
    std::vector<uint32_t> merged;
    merged.reserve(ascending.size() + d.added.size());
    std::merge(ascending.begin(), ascending.end(), d.added.begin(), d.added.end(),
               std::back_inserter(merged));
    ascending = std::move(merged);
  }
  return d;
}

std::vector<uint32_t> remove_from_result(std::vector<uint32_t>& ascending,
                                         std::vector<uint32_t> uids) {
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  std::erase_if(
      uids, [&](uint32_t u) { return !std::binary_search(ascending.begin(), ascending.end(), u); });
  if (uids.empty()) return uids;
  std::vector<uint32_t> kept;
  kept.reserve(ascending.size() - uids.size());
  std::set_difference(ascending.begin(), ascending.end(), uids.begin(), uids.end(),
                      std::back_inserter(kept));
  ascending = std::move(kept);
  return uids;
}

}  // namespace mail::imapd::search
