// The search result variable "$" of RFC 5182 (SEARCHRES): the UIDs a SEARCH RETURN (SAVE)
// found, kept for the selected mailbox until the next SAVE, or until the mailbox is
// closed (it lives in the Selected state). Kept as UID ranges, so "SEARCH RETURN (SAVE)
// ALL" over 100,000 messages costs one range, and as UIDs, so an expunged message drops
// out by itself (RFC 5182 section 2.1) and sequence numbers are computed when "$" is used.
//
// substitute() replaces "$" in the sequence set of FETCH, STORE, COPY, MOVE and UID
// EXPUNGE before their handler runs (the session calls it once per command).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "imapd/protocol/command.h"
#include "imapd/protocol/sequence_set.h"

namespace mail::imapd::search {

class SavedResult {
 public:
  // Replaces the result with `uids` (any order, repeats allowed).
  void assign(std::vector<uint32_t> uids);
  void clear() { ranges_.clear(); }
  bool empty() const { return ranges_.empty(); }
  bool contains(uint32_t uid) const;
  // Ascending, disjoint, non-adjacent UID ranges.
  const std::vector<imap::SequenceRange>& uid_ranges() const { return ranges_; }

 private:
  std::vector<imap::SequenceRange> ranges_;
};

// Whether `cmd`'s sequence set is "$".
bool uses_saved_result(const imap::Command& cmd);

// Replaces a "$" sequence set in `cmd` with the saved UIDs (UID commands) or with the
// sequence numbers `seq_of_uid` gives for them (others; UIDs it has no number for are
// left out). A "$" that names nothing becomes an empty set, which selects no message.
void substitute(imap::Command& cmd, const SavedResult& saved,
                const std::function<std::optional<uint32_t>(uint32_t uid)>& seq_of_uid);

}  // namespace mail::imapd::search
