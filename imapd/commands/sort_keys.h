// One message's SORT key values (RFC 5256 section 3, RFC 5957 DISPLAYFROM/DISPLAYTO) and
// their comparison, shared by SORT and by SORT RETURN (UPDATE) contexts (RFC 5267 section
// 4.2), which place each message that joins a result among the ones already there. The
// values come from the stored summaries' sort keys (mime::SortKeys, already in the form
// RFC 5256 compares), so comparing is byte-wise.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "imapd/search/query.h"
#include "store/mail_store.h"

namespace mail::imapd {

// One message's values for the criteria, in criteria order.
struct SortValues {
  std::vector<int64_t> numbers;      // ARRIVAL, DATE, SIZE (by criterion index)
  std::vector<std::string> strings;  // the others
};

// Whether the criteria read the MIME summary (anything but ARRIVAL and SIZE): the store
// parts to ask for are then search_run.h's kSummaryParts.
bool sort_needs_summary(const std::vector<search::SortCriterion>& criteria);

SortValues sort_values(const std::vector<search::SortCriterion>& criteria,
                       const store::MessageView& m);

// <0, 0, >0 as `a` sorts before, with, after `b` (REVERSE applied). Ties are the caller's
// to break by mailbox order (section 3).
int compare_sort_values(const std::vector<search::SortCriterion>& criteria, const SortValues& a,
                        const SortValues& b);

}  // namespace mail::imapd
