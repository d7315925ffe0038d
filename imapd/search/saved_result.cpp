// SavedResult and "$" substitution; see saved_result.h.
#include "imapd/search/saved_result.h"

#include <algorithm>
#include <variant>

namespace mail::imapd::search {
namespace {

// Ascending numbers (repeats allowed) as folded ranges.
std::vector<imap::SequenceRange> fold(const std::vector<uint32_t>& ascending) {
  std::vector<imap::SequenceRange> out;
  for (uint32_t n : ascending) {
    if (!out.empty() && (n == out.back().last || n == out.back().last + 1)) {
      out.back().last = n;
    } else {
      out.push_back({n, n});
    }
  }
  return out;
}

imap::SequenceSet* set_of(imap::CommandArgs& args) {
  if (auto* a = std::get_if<imap::FetchArgs>(&args)) return &a->set;
  if (auto* a = std::get_if<imap::StoreArgs>(&args)) return &a->set;
  if (auto* a = std::get_if<imap::CopyArgs>(&args)) return &a->set;
  if (auto* a = std::get_if<imap::SequenceArgs>(&args)) return &a->set;
  return nullptr;
}

}  // namespace

void SavedResult::assign(std::vector<uint32_t> uids) {
  std::sort(uids.begin(), uids.end());
  ranges_ = fold(uids);
}

bool SavedResult::contains(uint32_t uid) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), uid,
                             [](uint32_t n, const imap::SequenceRange& r) { return n < r.first; });
  return it != ranges_.begin() && std::prev(it)->last >= uid;
}

bool uses_saved_result(const imap::Command& cmd) {
  const imap::SequenceSet* set = set_of(const_cast<imap::Command&>(cmd).args);
  return set != nullptr && set->saved_result;
}

void substitute(imap::Command& cmd, const SavedResult& saved,
                const std::function<std::optional<uint32_t>(uint32_t uid)>& seq_of_uid) {
  imap::SequenceSet* set = set_of(cmd.args);
  if (set == nullptr || !set->saved_result) return;
  set->saved_result = false;
  if (cmd.uid) {
    set->ranges = saved.uid_ranges();
    return;
  }
  // Sequence numbers ascend with UIDs: walking the UIDs in order gives them in order.
  std::vector<uint32_t> seqs;
  for (const imap::SequenceRange& r : saved.uid_ranges())
    for (uint64_t uid = r.first; uid <= r.last; ++uid)
      if (auto seq = seq_of_uid(static_cast<uint32_t>(uid))) seqs.push_back(*seq);
  set->ranges = fold(seqs);
}

}  // namespace mail::imapd::search
