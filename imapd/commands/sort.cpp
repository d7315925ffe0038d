// SORT and UID SORT (RFC 5256 section 3) with every sort key, DISPLAYFROM and DISPLAYTO
// (RFC 5957, SORT=DISPLAY), ESORT's RETURN options (RFC 5267 section 3) with CONTEXT=SORT's
// PARTIAL and UPDATE (sections 4.2, 4.4; search_context.h). The keys come
// from the stored summaries' sort keys (mime::SortKeys, already in the form RFC 5256
// compares: i;ascii-casemap addresses, i;unicode-casemap base subjects and display names),
// so sorting is a byte-wise comparison. Ties keep mailbox order (section 3: "...sorted
// according to the order in which they appear in the mailbox"), whatever REVERSE says.
#include <algorithm>

#include "imapd/commands/handlers.h"
#include "imapd/commands/search_context.h"
#include "imapd/commands/search_response.h"
#include "imapd/commands/search_run.h"
#include "imapd/commands/sort_keys.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {

net::awaitable<void> sort(Session& s, const imap::Command& c) {
  auto parsed = search::parse_sort(std::get<imap::GenericArgs>(c.args).args);
  if (auto* e = std::get_if<search::QueryError>(&parsed)) {
    refuse_query(s, c, *e);
    co_return;
  }
  search::SortQuery& q = std::get<search::SortQuery>(parsed);
  if (q.program.needs.modseq) s.enable(Extension::CondStore);
  const auto& criteria = q.criteria;
  // RFC 5267 section 4.2: a duplicate UPDATE tag is BAD before anything runs.
  if (q.program.ret.update && !may_keep_update(s, c)) co_return;
  const auto collect = [&criteria](const store::MessageView& m) {
    return sort_values(criteria, m);
  };
  auto hits = co_await search_hits<SortValues>(
      s, q.program, sort_needs_summary(criteria) ? kSummaryParts : 0u, collect);
  if (!hits) {
    s.no(c, "SERVERBUG", "Sort failed");
    co_return;
  }
  std::stable_sort(hits->begin(), hits->end(), [&](const auto& a, const auto& b) {
    const int cmp = compare_sort_values(criteria, a.extra, b.extra);
    if (cmp != 0) return cmp < 0;
    return a.seq < b.seq;  // stable anyway: hits come in mailbox order
  });
  std::vector<ResultEntry> results;
  results.reserve(hits->size());
  for (const auto& h : *hits) results.push_back({c.uid ? h.uid : h.seq, h.modseq});
  if (q.program.ret.update) {
    std::vector<uint32_t> uids;
    uids.reserve(hits->size());
    for (const auto& h : *hits) uids.push_back(h.uid);
    keep_update_context(s, c, q.program, q.criteria, std::move(uids));
  }
  // RFC 5267 section 3: ESORT answers RETURN with ESEARCH; RFC 9051 keeps "* SORT".
  if (q.program.ret.esearch) {
    write_esearch(s.out(), c.tag, c.uid, q.program.ret, results, q.program.needs.modseq);
  } else {
    write_plain_result(s.out(), "SORT", results, q.program.needs.modseq);
  }
  co_await s.refresh(c.uid && !q.program.needs.sequence);
  s.completed(c);
}

}  // namespace mail::imapd::commands
