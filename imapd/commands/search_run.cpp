// Search program runs over the selected mailbox; see search_run.h.
#include "imapd/commands/search_run.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

#include "imapd/session_impl.h"

namespace mail::imapd {
namespace {

// Below this many candidate messages a walk is not worth cutting (a thread hop and a
// transaction cost more than searching a few hundred messages).
constexpr uint32_t kMessagesPerSlice = 1000;

using Slices = std::vector<std::vector<store::UidRange>>;

// Cuts `ranges` into at most `n` slices of about equal message counts, from the store's
// positions (count_below / uid_at: no message is read).
Result<Slices> cut(store::MailboxView& v, const std::vector<store::UidRange>& ranges, size_t n) {
  std::vector<std::pair<uint32_t, uint32_t>> positions;  // (first position, count) per range
  uint64_t total = 0;
  for (const auto& r : ranges) {
    auto below = v.count_below(r.first);
    auto upto = v.count_below(r.last >= UINT32_MAX - 1 ? UINT32_MAX : r.last + 1);
    if (!below) return below.error();
    if (!upto) return upto.error();
    positions.emplace_back(*below + 1, *upto - *below);
    total += *upto - *below;
  }
  n = std::min<uint64_t>(n, std::max<uint64_t>(1, total / kMessagesPerSlice));
  Slices slices(1);
  if (n <= 1) {
    slices[0] = ranges;
    return slices;
  }
  const uint64_t per_slice = (total + n - 1) / n;
  uint64_t in_slice = 0;
  for (size_t i = 0; i < ranges.size(); ++i) {
    store::UidRange r = ranges[i];
    auto [first_pos, count] = positions[i];
    while (count > 0) {
      if (in_slice == per_slice) {
        slices.emplace_back();
        in_slice = 0;
      }
      const uint64_t room = per_slice - in_slice;
      if (count <= room) {
        slices.back().push_back(r);
        in_slice += count;
        break;
      }
      // The slice ends inside this range, before the message at first_pos + room.
      auto split = v.uid_at(static_cast<uint32_t>(first_pos + room));
      if (!split) return split.error();
      if (!*split || **split <= r.first) {  // cannot happen in one snapshot; stay whole
        slices.back().push_back(r);
        break;
      }
      slices.back().push_back({r.first, **split - 1});
      in_slice = per_slice;
      r.first = **split;
      first_pos += static_cast<uint32_t>(room);
      count -= static_cast<uint32_t>(room);
    }
  }
  std::erase_if(slices, [](const auto& s) { return s.empty(); });
  return slices;
}

// Runs f(0) .. f(n-1) on the pool at once and resumes when all have returned, without a
// worker ever waiting for another (a blocked worker could starve the ones it waits for).
template <typename F>
net::awaitable<void> run_on_pool(net::asio::thread_pool& pool, size_t n, F& f) {
  std::atomic<size_t> left{n};
  co_await net::asio::async_initiate<decltype(net::use_awaitable), void()>(
      [&pool, &f, &left, n](auto handler) {
        auto ex = net::asio::prefer(net::asio::get_associated_executor(handler),
                                    net::asio::execution::outstanding_work.tracked);
        auto done = std::make_shared<decltype(handler)>(std::move(handler));
        for (size_t i = 0; i < n; ++i)
          net::asio::post(pool, [&f, &left, i, ex, done]() mutable {
            f(i);
            if (left.fetch_sub(1) == 1) net::asio::post(ex, std::move(*done));
          });
      },
      net::use_awaitable);
}

}  // namespace

// Answers a query the arguments parser refused: BAD, or NO [BADCHARSET (...)] with the
// charsets we take (RFC 9051 section 6.4.4).
void refuse_query(Session& s, const imap::Command& c, const search::QueryError& e) {
  if (e.kind == search::QueryError::Kind::Bad) {
    s.bad(c.tag, e.message);
    return;
  }
  auto& out = s.out();
  out.tagged(c.tag).status(imap::Status::No).begin_code("BADCHARSET").open();
  for (const char* charset : search::kSearchCharsets) out.atom(charset);
  out.close().end_code().text(e.message);
}

mime::MessageSummary summary_of(const store::MessageView& m) {
  if (!m.summary.empty()) {
    auto decoded = mime::decode_summary(m.summary);
    if (decoded) return std::move(*decoded);
  }
  return mime::analyze(m.body);
}

search::SessionFacts session_facts(Session& s, MailboxView::Snapshot& snap) {
  search::SessionFacts facts;
  facts.exists = snap.exists();
  auto max_uid = snap.max_uid();
  facts.max_uid = max_uid ? *max_uid : 0;
  facts.saved = &s.saved_search();
  // RECENT, NEW, OLD (RFC 3501 6.4.4): \Recent is this session's (none under IMAP4rev2).
  const MailboxView& view = snap.view();
  if (view.has_recent()) facts.recent = [&view](uint32_t uid) { return view.is_recent(uid); };
  return facts;
}

net::awaitable<Result<void>> run_search(Session& s, const search::Program& program,
                                        unsigned extra_parts, size_t max_slices,
                                        const MatchSink& on_match) {
  store::MailStore& store = s.context().store;
  const uint64_t mailbox_id = s.view().mailbox_id();
  search::SessionFacts facts;
  std::vector<store::UidRange> ranges;
  unsigned parts = 0;
  size_t n = 1;
  Slices slices;
  // The candidates, numbered as this client knows them (MailboxView::Snapshot), and the
  // slices of a text search, from one snapshot.
  Result<void> planned = s.read_view([&](MailboxView::Snapshot& snap) -> Result<void> {
    facts = session_facts(s, snap);
    Result<void> failed{};
    ranges = search::candidate_ranges(program, facts, [&](uint32_t seq) -> uint32_t {
      auto uid = snap.uid_at(seq);
      if (!uid) {
        failed = uid.error();
        return 0;
      }
      return uid->value_or(0);
    });
    if (!failed) return failed;
    if (ranges.empty()) return {};
    parts = search::Matcher(program, facts).parts() | extra_parts;
    // Text searches are cut into slices for the workers; a walk over records alone is
    // fast enough in one piece. A program with sequence-number keys is evaluated in the
    // snapshot itself (the numbers are the session's, see mailbox_view.h).
    if ((parts & store::kPartBody) && !program.needs.sequence) {
      const size_t cores = std::max(1u, std::thread::hardware_concurrency());
      n = std::min(
          {max_slices, cores, static_cast<size_t>(s.context().config.server.worker_threads)});
    }
    if (n <= 1) {
      slices.push_back(ranges);
      return {};
    }
    auto c = cut(snap.store(), ranges, n);
    if (!c) return c.error();
    slices = std::move(*c);
    return {};
  });
  if (!planned) co_return planned.error();
  if (ranges.empty()) co_return Result<void>{};

  if (program.needs.sequence) {
    search::Matcher matcher(program, facts);
    co_return s.read_view([&](MailboxView::Snapshot& snap) -> Result<void> {
      return snap.for_each(ranges, parts, [&](const MailboxView::Snapshot::Message& m) {
        // Expunged and not yet announced: nothing left to match.
        if (m.message != nullptr && matcher.matches(*m.message, m.seq))
          on_match(0, *m.message, m.seq);
        return true;
      });
    });
  }

  // On the workers, in plain store transactions: the ranges hold only UIDs the client
  // knows (below its UIDNEXT); sequence numbers are given afterwards (sequence_numbers).
  std::vector<Result<void>> results(slices.size());
  auto walk = [&](size_t i) {
    search::Matcher matcher(program, facts);
    results[i] = store.read(mailbox_id, [&](store::MailboxView& v) {
      return v.for_each(slices[i], parts, [&](const store::MessageView& m) {
        if (matcher.matches(m, 0)) on_match(i, m, 0);
        return true;
      });
    });
  };
  co_await run_on_pool(s.context().workers, slices.size(), walk);
  for (auto& r : results)
    if (!r) co_return r.error();
  co_return Result<void>{};
}

Result<std::vector<std::optional<uint32_t>>> sequence_numbers(Session& s,
                                                              const std::vector<uint32_t>& uids) {
  std::vector<std::optional<uint32_t>> seqs(uids.size());
  Result<void> read = s.read_view([&](MailboxView::Snapshot& snap) -> Result<void> {
    for (size_t i = 0; i < uids.size(); ++i) {
      auto seq = snap.seq_of(uids[i]);
      if (!seq) return seq.error();
      seqs[i] = *seq;
    }
    return {};
  });
  if (!read) return read.error();
  return seqs;
}

}  // namespace mail::imapd
