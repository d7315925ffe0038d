// SequenceSet: an IMAP sequence-set (RFC 9051 section 9, "sequence-set"), e.g. "1,3:5,7:*",
// naming message sequence numbers or UIDs. "*" is kept symbolic (kStar) until the caller
// supplies the current maximum, so "1:*" on a large mailbox never becomes a huge vector.
// Input: parse() takes untrusted client text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mail::imap {

inline constexpr uint32_t kStar = UINT32_MAX;  // "*": the largest number in use

// One element of a set as the client wrote it: "4:2" is {4, 2}, "7" is {7, 7}.
struct SequenceRange {
  uint32_t first = 0;
  uint32_t last = 0;
  bool operator==(const SequenceRange&) const = default;
};

class SequenceSet {
 public:
  std::vector<SequenceRange> ranges;  // never empty once parsed, unless saved_result
  // "$" (RFC 5182 SEARCHRES): the last saved search result, with no ranges of its own. The
  // session replaces it with the saved messages before a command uses the set.
  bool saved_result = false;

  // Parses "1,3:5,7:*" or "$". Rejects "0", numbers above 2^32-2, empty elements and "$"
  // inside a list.
  static std::optional<SequenceSet> parse(std::string_view text);

  // True if n is in the set, with "*" standing for `max`.
  bool contains(uint32_t n, uint32_t max) const;

  // The set as sorted, disjoint, non-adjacent ranges with first <= last, "*" replaced by
  // `max` and every range clipped to [1, max]. Empty if max is 0. RFC 9051 section 6.4.8:
  // "n:*" with n > max still names max (the range is "max:n").
  std::vector<SequenceRange> normalized(uint32_t max) const;

  // True if every number in the set (with "*" = max) is <= max: message sequence numbers
  // beyond the mailbox size are an error for the session to report (RFC 9051 section 9,
  // "seq-number"); UIDs beyond it are simply ignored.
  bool within(uint32_t max) const;

  // How many distinct numbers normalized(max) names.
  uint64_t count(uint32_t max) const;

  // Every number in normalized(max), ascending; nullopt if there would be more than `limit`.
  std::optional<std::vector<uint32_t>> expand(uint32_t max, size_t limit) const;

  // Calls f(n) for each number of normalized(max) in ascending order without allocating
  // per number; stops early if f returns false.
  template <typename F>
  void for_each(uint32_t max, F&& f) const {
    for (const SequenceRange& r : normalized(max)) {
      for (uint64_t n = r.first; n <= r.last; ++n) {
        if (!f(static_cast<uint32_t>(n))) return;
      }
    }
  }

  // Wire form, e.g. "1,3:5,7:*".
  std::string to_string() const;

  bool operator==(const SequenceSet&) const = default;
};

}  // namespace mail::imap
