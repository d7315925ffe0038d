// SORT key values; see sort_keys.h.
#include "imapd/commands/sort_keys.h"

#include <algorithm>
#include <optional>

#include "imapd/commands/search_run.h"

namespace mail::imapd {
namespace {

using search::SortKey;

bool is_numeric(SortKey k) {
  return k == SortKey::Arrival || k == SortKey::Date || k == SortKey::Size;
}

}  // namespace

bool sort_needs_summary(const std::vector<search::SortCriterion>& criteria) {
  return std::any_of(criteria.begin(), criteria.end(), [](const search::SortCriterion& c) {
    return c.key != SortKey::Arrival && c.key != SortKey::Size;
  });
}

SortValues sort_values(const std::vector<search::SortCriterion>& criteria,
                       const store::MessageView& m) {
  SortValues v;
  v.numbers.resize(criteria.size());
  v.strings.resize(criteria.size());
  std::optional<mime::MessageSummary> summary;
  if (sort_needs_summary(criteria)) summary = summary_of(m);
  for (size_t i = 0; i < criteria.size(); ++i) {
    switch (criteria[i].key) {
      case SortKey::Arrival:
        v.numbers[i] = m.info.internal_date;
        break;
      case SortKey::Size:
        v.numbers[i] = static_cast<int64_t>(m.info.size);
        break;
      case SortKey::Date:  // section 2.2: the sent date, else the internal date
        v.numbers[i] = summary->sort.has_date ? summary->sort.date : m.info.internal_date;
        break;
      case SortKey::Subject:
        v.strings[i] = std::move(summary->sort.base_subject);
        break;
      case SortKey::From:
        v.strings[i] = std::move(summary->sort.from_mailbox);
        break;
      case SortKey::To:
        v.strings[i] = std::move(summary->sort.to_mailbox);
        break;
      case SortKey::Cc:
        v.strings[i] = std::move(summary->sort.cc_mailbox);
        break;
      case SortKey::DisplayFrom:
        v.strings[i] = std::move(summary->sort.from_display);
        break;
      case SortKey::DisplayTo:
        v.strings[i] = std::move(summary->sort.to_display);
        break;
    }
  }
  return v;
}

int compare_sort_values(const std::vector<search::SortCriterion>& criteria, const SortValues& a,
                        const SortValues& b) {
  for (size_t i = 0; i < criteria.size(); ++i) {
    int cmp;
    if (is_numeric(criteria[i].key)) {
      const int64_t x = a.numbers[i], y = b.numbers[i];
      cmp = x < y ? -1 : x > y ? 1 : 0;
    } else {
      const int c = a.strings[i].compare(b.strings[i]);
      cmp = c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    if (cmp != 0) return criteria[i].reverse ? -cmp : cmp;
  }
  return 0;
}

}  // namespace mail::imapd
