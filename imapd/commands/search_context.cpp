// RFC 5267 update contexts in a session; see search_context.h.
#include "imapd/commands/search_context.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "common/log.h"
#include "imapd/commands/search_response.h"
#include "imapd/commands/search_run.h"
#include "imapd/commands/sort_keys.h"
#include "imapd/search/match.h"
#include "imapd/session_impl.h"

namespace mail::imapd {
namespace {

using search::UpdateContext;

// "* ESEARCH (TAG "t") [UID]": the start of every update (section 4.3).
imap::ResponseWriter& begin_update(imap::ResponseWriter& out, const UpdateContext& ctx) {
  out.untagged().atom("ESEARCH").open().atom("TAG").string(ctx.tag).close();
  if (ctx.uid) out.atom("UID");
  return out;
}

// One SEARCH update: "ADDTO (0 set)" or "REMOVEFROM (0 set)"; `ids` ascending.
void write_search_update(imap::ResponseWriter& out, const UpdateContext& ctx, std::string_view what,
                         const std::vector<uint32_t>& ids) {
  if (ids.empty()) return;
  begin_update(out, ctx).atom(what).open().number(0).atom(ordered_set(ids)).close().end();
}

// One SORT update: an ADDTO or REMOVEFROM item (position, id) per message, in order.
void write_sort_update(imap::ResponseWriter& out, const UpdateContext& ctx, std::string_view what,
                       const std::vector<std::pair<size_t, uint32_t>>& items) {
  if (items.empty()) return;
  begin_update(out, ctx);
  for (const auto& [position, id] : items)
    out.atom(what).open().number(position).number(id).close();
  out.end();
}

void end_all(Session& s, std::string_view why) {
  for (const UpdateContext& ctx : s.update_contexts().contexts()) {
    s.out().untagged().status(imap::Status::No).begin_code("NOUPDATE").string(ctx.tag);
    s.out().end_code().text(why);
  }
  s.update_contexts().clear();
}

// The sort values of message `uid` (one read in the snapshot).
Result<SortValues> values_of(MailboxView::Snapshot& snap, const UpdateContext& ctx, uint32_t uid) {
  SortValues v;
  const store::UidRange one{uid, uid};
  const unsigned parts = sort_needs_summary(ctx.sort) ? kSummaryParts : 0u;
  auto walked = snap.for_each({&one, 1}, parts, [&](const MailboxView::Snapshot::Message& m) {
    if (m.message) v = sort_values(ctx.sort, *m.message);
    return false;
  });
  if (!walked) return std::move(walked.error());
  return v;
}

// Where a message with `values` and `uid` goes in a SORT result: the index of the first
// member that sorts after it (ties by mailbox order, RFC 5256 section 3). O(log n) reads.
Result<size_t> insertion_index(MailboxView::Snapshot& snap, const UpdateContext& ctx,
                               const SortValues& values, uint32_t uid) {
  size_t lo = 0, hi = ctx.uids.size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    auto other = values_of(snap, ctx, ctx.uids[mid]);
    if (!other) return std::move(other.error());
    int cmp = compare_sort_values(ctx.sort, *other, values);
    if (cmp == 0) cmp = ctx.uids[mid] < uid ? -1 : 1;
    if (cmp < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

void erase_sorted(std::vector<uint32_t>& ascending, uint32_t uid) {
  auto it = std::lower_bound(ascending.begin(), ascending.end(), uid);
  if (it != ascending.end() && *it == uid) ascending.erase(it);
}

// Re-evaluates `ctx` on the messages `ranges` name (one UID each) and reports the change.
Result<void> update_context(Session& s, MailboxView::Snapshot& snap,
                            const search::SessionFacts& facts, UpdateContext& ctx,
                            const std::vector<store::UidRange>& ranges) {
  search::Matcher matcher(ctx.program, facts);
  unsigned parts = matcher.parts();
  if (ctx.is_sort() && sort_needs_summary(ctx.sort)) parts |= kSummaryParts;
  std::vector<std::pair<uint32_t, bool>> evaluated;
  std::unordered_map<uint32_t, uint32_t> seq_of;
  std::vector<std::pair<uint32_t, SortValues>> joining;  // SORT: new members' values
  auto walked = snap.for_each(ranges, parts, [&](const MailboxView::Snapshot::Message& m) {
    if (!m.message) return true;  // expunged: leaves the result with its EXPUNGE
    const bool match = matcher.matches(*m.message, m.seq);
    evaluated.emplace_back(m.uid, match);
    seq_of[m.uid] = m.seq;
    if (ctx.is_sort() && match && !ctx.contains(m.uid))
      joining.emplace_back(m.uid, sort_values(ctx.sort, *m.message));
    return true;
  });
  if (!walked) return walked;
  const auto id = [&](uint32_t uid) { return ctx.uid ? uid : seq_of[uid]; };
  if (!ctx.is_sort()) {
    search::SearchDelta d = search::apply_search_changes(ctx.uids, evaluated);
    std::vector<uint32_t> ids;
    for (uint32_t u : d.removed) ids.push_back(id(u));
    write_search_update(s.out(), ctx, "REMOVEFROM", ids);
    ids.clear();
    for (uint32_t u : d.added) ids.push_back(id(u));
    write_search_update(s.out(), ctx, "ADDTO", ids);
    return {};
  }
  std::vector<std::pair<size_t, uint32_t>> items;
  for (const auto& [uid, match] : evaluated) {
    if (match || !ctx.contains(uid)) continue;
    auto at = std::find(ctx.uids.begin(), ctx.uids.end(), uid);
    items.emplace_back(static_cast<size_t>(at - ctx.uids.begin()) + 1, id(uid));
    ctx.uids.erase(at);
    erase_sorted(ctx.sorted_uids, uid);
  }
  write_sort_update(s.out(), ctx, "REMOVEFROM", items);
  items.clear();
  for (const auto& [uid, values] : joining) {
    auto index = insertion_index(snap, ctx, values, uid);
    if (!index) return std::move(index.error());
    ctx.uids.insert(ctx.uids.begin() + static_cast<ptrdiff_t>(*index), uid);
    ctx.sorted_uids.insert(std::lower_bound(ctx.sorted_uids.begin(), ctx.sorted_uids.end(), uid),
                           uid);
    items.emplace_back(*index + 1, id(uid));
  }
  write_sort_update(s.out(), ctx, "ADDTO", items);
  return {};
}

}  // namespace

bool may_keep_update(Session& s, const imap::Command& c) {
  if (!s.update_contexts().has(c.tag)) return true;
  s.bad(c.tag, "Duplicate search update tag");
  return false;
}

void keep_update_context(Session& s, const imap::Command& c, const search::Program& program,
                         std::vector<search::SortCriterion> sort, std::vector<uint32_t> uids) {
  auto& contexts = s.update_contexts();
  if (contexts.size() >= static_cast<size_t>(std::max(0, s.config().max_update_contexts))) {
    // Section 4.2: the result is still returned; only the updates are refused.
    s.out().untagged().status(imap::Status::No).begin_code("NOUPDATE").string(c.tag);
    s.out().end_code().text("Too many update contexts");
    return;
  }
  UpdateContext ctx;
  ctx.tag = c.tag;
  ctx.uid = c.uid;
  ctx.program = program;
  ctx.sort = std::move(sort);
  ctx.uids = std::move(uids);
  contexts.add(std::move(ctx));
}

void report_expunged_results(Session& s, std::span<const std::pair<uint32_t, uint32_t>> expunges) {
  if (!s.is_selected() || expunges.empty() || s.update_contexts().empty()) return;
  std::unordered_map<uint32_t, uint32_t> seq_of;
  std::vector<uint32_t> uids;
  for (const auto& [seq, uid] : expunges) {
    seq_of[uid] = seq;
    uids.push_back(uid);
  }
  for (UpdateContext& ctx : s.update_contexts().contexts()) {
    const auto id = [&](uint32_t uid) { return ctx.uid ? uid : seq_of[uid]; };
    if (!ctx.is_sort()) {
      std::vector<uint32_t> ids;
      for (uint32_t u : search::remove_from_result(ctx.uids, uids)) ids.push_back(id(u));
      write_search_update(s.out(), ctx, "REMOVEFROM", ids);
      continue;
    }
    std::vector<std::pair<size_t, uint32_t>> items;
    for (uint32_t uid : uids) {
      if (!ctx.contains(uid)) continue;
      auto at = std::find(ctx.uids.begin(), ctx.uids.end(), uid);
      items.emplace_back(static_cast<size_t>(at - ctx.uids.begin()) + 1, id(uid));
      ctx.uids.erase(at);
      erase_sorted(ctx.sorted_uids, uid);
    }
    write_sort_update(s.out(), ctx, "REMOVEFROM", items);
  }
}

void report_result_changes(Session& s, uint64_t since) {
  if (!s.is_selected() || s.update_contexts().empty()) return;
  const size_t limit = static_cast<size_t>(s.config().max_update_changes);
  bool too_many = false;
  auto done = s.read_view([&](MailboxView::Snapshot& snap) -> Result<void> {
    auto changes = snap.store().changes_since(since);
    if (!changes) return std::move(changes.error());
    // Only messages the client knows: a newer one joins after its EXISTS.
    const uint32_t known_end = snap.view().uid_next();
    std::vector<store::UidRange> ranges;
    for (const auto& m : changes->changed)
      if (m.uid < known_end) ranges.push_back({m.uid, m.uid});
    if (ranges.empty()) return {};
    if (ranges.size() > limit) {
      too_many = true;
      return {};
    }
    std::sort(ranges.begin(), ranges.end(),
              [](const store::UidRange& a, const store::UidRange& b) { return a.first < b.first; });
    ranges.erase(std::unique(ranges.begin(), ranges.end(),
                             [](const store::UidRange& a, const store::UidRange& b) {
                               return a.first == b.first;
                             }),
                 ranges.end());
    const search::SessionFacts facts = session_facts(s, snap);
    for (UpdateContext& ctx : s.update_contexts().contexts()) {
      auto updated = update_context(s, snap, facts, ctx, ranges);
      if (!updated) return updated;
    }
    return {};
  });
  if (too_many) end_all(s, "Too many changes at once");
  if (!done) {
    log::warn("search_update_failed").kv("error", done.error().message);
    end_all(s, "Search update failed");
  }
}

bool cancel_updates(Session& s, std::span<const std::string> tags) {
  auto& contexts = s.update_contexts();
  for (const std::string& t : tags)
    if (!contexts.has(t)) return false;
  for (const std::string& t : tags) contexts.cancel(t);
  return true;
}

}  // namespace mail::imapd
