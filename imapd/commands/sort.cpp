// SORT and UID SORT (RFC 5256 section 3) with every sort key, DISPLAYFROM and DISPLAYTO
// (RFC 5957, SORT=DISPLAY), and ESORT's RETURN options (RFC 5267 section 3). The keys come
// from the stored summaries' sort keys (mime::SortKeys, already in the form RFC 5256
// compares: i;ascii-casemap addresses, i;unicode-casemap base subjects and display names),
// so sorting is a byte-wise comparison. Ties keep mailbox order (section 3: "...sorted
// according to the order in which they appear in the mailbox"), whatever REVERSE says.
#include <algorithm>

#include "imapd/commands/handlers.h"
#include "imapd/commands/search_response.h"
#include "imapd/commands/search_run.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {
namespace {

using search::SortKey;

// One message's values for the criteria, in criteria order.
struct SortValues {
  std::vector<int64_t> numbers;      // ARRIVAL, DATE, SIZE (by criterion index)
  std::vector<std::string> strings;  // the others
};

bool is_numeric(SortKey k) {
  return k == SortKey::Arrival || k == SortKey::Date || k == SortKey::Size;
}

bool needs_summary(const std::vector<search::SortCriterion>& criteria) {
  return std::any_of(criteria.begin(), criteria.end(), [](const search::SortCriterion& c) {
    return c.key != SortKey::Arrival && c.key != SortKey::Size;
  });
}

SortValues values_of(const std::vector<search::SortCriterion>& criteria,
                     const store::MessageView& m) {
  SortValues v;
  v.numbers.resize(criteria.size());
  v.strings.resize(criteria.size());
  std::optional<mime::MessageSummary> summary;
  if (needs_summary(criteria)) summary = summary_of(m);
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

}  // namespace

net::awaitable<void> sort(Session& s, const imap::Command& c) {
  auto parsed = search::parse_sort(std::get<imap::GenericArgs>(c.args).args);
  if (auto* e = std::get_if<search::QueryError>(&parsed)) {
    refuse_query(s, c, *e);
    co_return;
  }
  search::SortQuery& q = std::get<search::SortQuery>(parsed);
  if (q.program.needs.modseq) s.enable(Extension::CondStore);
  const auto& criteria = q.criteria;
  const auto collect = [&criteria](const store::MessageView& m) { return values_of(criteria, m); };
  auto hits = co_await search_hits<SortValues>(
      s, q.program, needs_summary(criteria) ? kSummaryParts : 0u, collect);
  if (!hits) {
    s.no(c, "SERVERBUG", "Sort failed");
    co_return;
  }
  std::stable_sort(hits->begin(), hits->end(), [&](const auto& a, const auto& b) {
    for (size_t i = 0; i < criteria.size(); ++i) {
      int cmp;
      if (is_numeric(criteria[i].key)) {
        const int64_t x = a.extra.numbers[i], y = b.extra.numbers[i];
        cmp = x < y ? -1 : x > y ? 1 : 0;
      } else {
        cmp = a.extra.strings[i].compare(b.extra.strings[i]);
      }
      if (cmp != 0) return criteria[i].reverse ? cmp > 0 : cmp < 0;
    }
    return a.seq < b.seq;  // stable anyway: hits come in mailbox order
  });
  std::vector<ResultEntry> results;
  results.reserve(hits->size());
  for (const auto& h : *hits) results.push_back({c.uid ? h.uid : h.seq, h.modseq});
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
