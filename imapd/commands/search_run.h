// Running a search program over the selected mailbox, shared by SEARCH, SORT and THREAD:
// the candidate UID ranges from the program's top-level sets, then a walk of the store's
// zero-copy view (MailStore::read ... for_each) on the worker pool: messages are never
// loaded into a list, only what a match contributes is kept. Large walks that read
// message text are cut into slices of about equal message counts, each its own read
// transaction, run in parallel on the workers.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "common/net/asio.h"
#include "common/result.h"
#include "imapd/mailbox_view.h"
#include "imapd/search/match.h"
#include "imapd/search/query.h"
#include "mime/summary.h"
#include "store/mail_store.h"

namespace mail::imapd {

class Session;

// Answers arguments the query parser refused: BAD, or NO [BADCHARSET (...)] naming the
// charsets a search may use (RFC 9051 section 6.4.4).
void refuse_query(Session& s, const imap::Command& c, const search::QueryError& e);

// A matched message's MIME summary: the stored one, or one computed from the octets when
// the store has none (a store opened without StoreOptions::analyze). `m` must hold the
// summary and the body (kSummaryParts).
mime::MessageSummary summary_of(const store::MessageView& m);
inline constexpr unsigned kSummaryParts = store::kPartSummary | store::kPartBody;

// What the session knows that the store does not (exists, "*", "$", \Recent), for a
// Matcher evaluated inside `snap`.
search::SessionFacts session_facts(Session& s, MailboxView::Snapshot& snap);

// Called for each matching message, on a worker thread inside the store transaction (or
// on the event loop inside a MailboxView snapshot when the program has sequence-number
// keys); `slice` numbers the walk it belongs to (0 .. max_slices-1; slices cover
// ascending, disjoint UID ranges in slice order, and each slice's calls come in ascending
// UID order). `seq` is the message's sequence number, or 0 when the walk ran on the
// workers (search_hits then numbers the matches in one snapshot: sequence_numbers).
using MatchSink = std::function<void(size_t slice, const store::MessageView& m, uint32_t seq)>;

// Runs `program` over the selected mailbox. `extra_parts`: store parts `on_match` needs
// beyond what the program reads.
net::awaitable<Result<void>> run_search(Session& s, const search::Program& program,
                                        unsigned extra_parts, size_t max_slices,
                                        const MatchSink& on_match);

// The sequence numbers of the client's messages `uids` (nullopt for one it does not know),
// from one MailboxView snapshot on the event loop.
Result<std::vector<std::optional<uint32_t>>> sequence_numbers(Session& s,
                                                              const std::vector<uint32_t>& uids);

// What a match contributes: its UID, sequence number and MODSEQ, and what the caller's
// collect(view) makes of it (sort keys, ...).
template <typename Extra>
struct SearchHit {
  uint32_t uid = 0;
  uint32_t seq = 0;
  uint64_t modseq = 0;
  Extra extra{};
};

struct NoExtra {};

inline constexpr size_t kMaxSearchSlices = 4;

// The matches in ascending UID order.
template <typename Extra, typename Collect>
net::awaitable<Result<std::vector<SearchHit<Extra>>>> search_hits(Session& s,
                                                                  const search::Program& program,
                                                                  unsigned extra_parts,
                                                                  Collect collect) {
  std::vector<std::vector<SearchHit<Extra>>> slices(kMaxSearchSlices);
  const MatchSink sink = [&](size_t slice, const store::MessageView& m, uint32_t seq) {
    slices[slice].push_back(SearchHit<Extra>{m.info.uid, seq, m.info.modseq, collect(m)});
  };
  Result<void> ran = co_await run_search(s, program, extra_parts, kMaxSearchSlices, sink);
  if (!ran) co_return ran.error();
  std::vector<SearchHit<Extra>> hits = std::move(slices[0]);
  for (size_t i = 1; i < slices.size(); ++i)
    hits.insert(hits.end(), std::make_move_iterator(slices[i].begin()),
                std::make_move_iterator(slices[i].end()));
  if (!hits.empty() && hits.front().seq == 0) {
    std::vector<uint32_t> uids;
    uids.reserve(hits.size());
    for (const auto& h : hits) uids.push_back(h.uid);
    auto seqs = sequence_numbers(s, uids);
    if (!seqs) co_return seqs.error();
    for (size_t i = 0; i < hits.size(); ++i) hits[i].seq = (*seqs)[i].value_or(0);
    std::erase_if(hits, [](const SearchHit<Extra>& h) { return h.seq == 0; });
  }
  co_return hits;
}

}  // namespace mail::imapd
