// SEARCH/SORT RETURN (UPDATE) contexts of RFC 5267 (CONTEXT=SEARCH, CONTEXT=SORT): what a
// session keeps per context (the criteria and the current result, nothing per mailbox
// message), the session's set of them (bounded by imapd.max_update_contexts; they live
// in the Selected state and end with the mailbox), and the pure bookkeeping of a SEARCH
// result's change. Placing a message in a SORT result needs the store and lives in
// imapd/commands/search_context.cpp.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "imapd/search/query.h"

namespace mail::imapd::search {

struct UpdateContext {
  std::string tag;                    // the command's tag: "* ESEARCH (TAG ...)"
  bool uid = false;                   // UID SEARCH/SORT: updates name UIDs
  Program program;                    // the criteria, re-evaluated for changed messages
  std::vector<SortCriterion> sort;    // empty: a SEARCH context
  std::vector<uint32_t> uids;         // the result: ascending (SEARCH) or in sort order
  std::vector<uint32_t> sorted_uids;  // SORT only: `uids` ascending, for membership

  bool is_sort() const { return !sort.empty(); }
  bool contains(uint32_t uid) const;
};

class UpdateContexts {
 public:
  size_t size() const { return contexts_.size(); }
  bool empty() const { return contexts_.empty(); }
  bool has(std::string_view tag) const;
  // Adds `c` (its tag is new: the caller checked has()). Fills sorted_uids for SORT.
  void add(UpdateContext c);
  // Removes the context of `tag`; false when there is none.
  bool cancel(std::string_view tag);
  void clear() { contexts_.clear(); }
  std::vector<UpdateContext>& contexts() { return contexts_; }

 private:
  std::vector<UpdateContext> contexts_;
};

// What one re-evaluation changed in a SEARCH context: UIDs that joined and that left the
// result (both ascending).
struct SearchDelta {
  std::vector<uint32_t> added;
  std::vector<uint32_t> removed;
};

// Applies re-evaluated messages (uid, matches now), in any order, to an ascending SEARCH
// result and says what changed. Messages whose membership is unchanged are no change.
SearchDelta apply_search_changes(std::vector<uint32_t>& ascending,
                                 std::span<const std::pair<uint32_t, bool>> evaluated);

// Removes `uids` (any order) from an ascending result; returns those that were in it,
// ascending.
std::vector<uint32_t> remove_from_result(std::vector<uint32_t>& ascending,
                                         std::vector<uint32_t> uids);

}  // namespace mail::imapd::search
