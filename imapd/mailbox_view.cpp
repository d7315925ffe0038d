// MailboxView: see mailbox_view.h.
#include "imapd/mailbox_view.h"

#include <algorithm>
#include <iterator>

#include "imapd/message_flags.h"

namespace mail::imapd {
namespace {

// Pending expunges below `uid`.
uint32_t pending_below(std::span<const uint32_t> pending, uint32_t uid) {
  return static_cast<uint32_t>(std::lower_bound(pending.begin(), pending.end(), uid) -
                               pending.begin());
}

// Adds the expunged UIDs below `limit` to `pending` (ascending, no repeats).
void merge_expunged(std::vector<uint32_t>& pending, const std::vector<store::ExpungedUid>& gone,
                    uint32_t limit) {
  std::vector<uint32_t> add;
  for (const auto& e : gone)
    if (e.uid < limit) add.push_back(e.uid);  // gone arrives in ascending UID order
  if (add.empty()) return;
  std::vector<uint32_t> merged;
  merged.reserve(pending.size() + add.size());
  std::set_union(pending.begin(), pending.end(), add.begin(), add.end(),
                 std::back_inserter(merged));
  pending = std::move(merged);
}

// A walk that counts store messages in [first, last] without visiting more than `limit`;
// nullopt when there are more (the caller then asks the sequence index instead).
Result<std::optional<uint32_t>> count_in(store::MailboxView& v, uint32_t first, uint32_t last,
                                         uint32_t limit) {
  uint32_t n = 0;
  bool over = false;
  const store::UidRange range{first, last};
  auto walked = v.for_each(std::span(&range, 1), store::kPartInfo, [&](const store::MessageView&) {
    if (++n > limit) {
      over = true;
      return false;
    }
    return true;
  });
  if (!walked) return std::move(walked.error());
  if (over) return std::optional<uint32_t>{};
  return std::optional<uint32_t>{n};
}

// Store positions (messages below each UID) of ascending UIDs: the sequence index for
// distant UIDs, a short walk for near ones (a STORE on a range changes neighbours).
Result<std::vector<uint32_t>> counts_below(store::MailboxView& v,
                                           const std::vector<uint32_t>& ascending) {
  constexpr uint32_t kWalk = 1024;
  std::vector<uint32_t> out;
  out.reserve(ascending.size());
  for (size_t i = 0; i < ascending.size(); ++i) {
    if (i > 0 && ascending[i] - ascending[i - 1] <= kWalk) {
      // Messages in [previous, uid): the previous one (if present) and those between.
      auto between = count_in(v, ascending[i - 1], ascending[i] - 1, kWalk);
      if (!between) return std::move(between.error());
      if (*between) {
        out.push_back(out.back() + **between);
        continue;
      }
    }
    auto below = v.count_below(ascending[i]);
    if (!below) return std::move(below.error());
    out.push_back(*below);
  }
  return out;
}

constexpr std::string_view kSystemFlagNames[] = {"\\Answered", "\\Flagged", "\\Deleted", "\\Seen",
                                                 "\\Draft"};

}  // namespace

MailboxView::MailboxView(const store::MailboxInfo& info, bool read_only)
    : mailbox_id_(info.id),
      name_(info.name),
      uid_validity_(info.uid_validity),
      read_only_(read_only),
      exists_(info.messages),
      uid_next_(info.uid_next),
      modseq_(info.highest_modseq),
      expunge_checked_(info.highest_modseq),
      keywords_(info.keywords) {}

// ---- Snapshot ----------------------------------------------------------------------

bool MailboxView::Snapshot::expunged(uint32_t uid) const {
  return std::binary_search(view_.pending_.begin(), view_.pending_.end(), uid);
}

Result<uint32_t> MailboxView::Snapshot::known_below(uint32_t uid) {
  return store_.count_below(std::min(uid, view_.uid_next_));
}

Result<std::optional<uint32_t>> MailboxView::Snapshot::uid_at(uint32_t seq) {
  if (seq == 0 || seq > exists()) return std::optional<uint32_t>{};
  const auto& p = view_.pending_;
  // The pending expunge at index j has sequence number known_below(p[j]) + j + 1, which
  // grows with j: find the first j whose number is >= seq.
  size_t lo = 0, hi = p.size();
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    auto below = known_below(p[mid]);
    if (!below) return std::move(below.error());
    if (*below + mid + 1 >= seq) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  if (lo < p.size()) {
    auto below = known_below(p[lo]);
    if (!below) return std::move(below.error());
    if (*below + lo + 1 == seq) return std::optional<uint32_t>{p[lo]};
  }
  // A message in the store: `lo` pending expunges come before it.
  return store_.uid_at(seq - static_cast<uint32_t>(lo));
}

Result<std::optional<uint32_t>> MailboxView::Snapshot::seq_of(uint32_t uid) {
  if (uid == 0 || uid >= view_.uid_next_) return std::optional<uint32_t>{};
  const uint32_t pending = pending_below(view_.pending_, uid);
  if (expunged(uid)) {
    auto below = known_below(uid);
    if (!below) return std::move(below.error());
    return std::optional<uint32_t>{*below + pending + 1};
  }
  auto pos = store_.position_of(uid);
  if (!pos) return std::move(pos.error());
  if (!*pos) return std::optional<uint32_t>{};
  return std::optional<uint32_t>{**pos + pending};
}

Result<uint32_t> MailboxView::Snapshot::max_uid() {
  uint32_t best = view_.pending_.empty() ? 0 : view_.pending_.back();
  auto known = known_below(view_.uid_next_);
  if (!known) return std::move(known.error());
  if (*known > 0) {
    auto last = store_.uid_at(*known);
    if (!last) return std::move(last.error());
    if (*last) best = std::max(best, **last);
  }
  return best;
}

Result<std::optional<std::vector<store::UidRange>>> MailboxView::Snapshot::resolve(
    const imap::SequenceSet& set, bool uid) {
  using Out = std::optional<std::vector<store::UidRange>>;
  std::vector<store::UidRange> out;
  if (uid) {
    auto max = max_uid();
    if (!max) return std::move(max.error());
    for (const auto& r : set.normalized(*max)) out.push_back({r.first, r.last});
    return Out{std::move(out)};
  }
  if (exists() == 0 || !set.within(exists())) return Out{};
  for (const auto& r : set.normalized(exists())) {
    auto first = uid_at(r.first);
    if (!first) return std::move(first.error());
    auto last = r.last == r.first ? first : uid_at(r.last);
    if (!last) return std::move(last.error());
    if (!*first || !*last) return make_error(ErrorKind::Corrupt, "sequence numbers out of step");
    out.push_back({**first, **last});
  }
  return Out{std::move(out)};
}

Result<void> MailboxView::Snapshot::for_each(std::span<const store::UidRange> ranges,
                                             unsigned parts, const Visitor& visit) {
  const auto& pending = view_.pending_;
  bool stopped = false;
  for (const store::UidRange& range : ranges) {
    if (range.first >= view_.uid_next_) break;
    const uint32_t last = std::min(range.last, view_.uid_next_ - 1);
    if (range.first > last) continue;
    auto below = known_below(range.first);
    if (!below) return std::move(below.error());
    uint32_t seq = *below + pending_below(pending, range.first);
    auto p = std::lower_bound(pending.begin(), pending.end(), range.first);
    auto emit_pending_before = [&](uint64_t uid) {
      for (; !stopped && p != pending.end() && *p < uid && *p <= last; ++p)
        stopped = !visit(Message{++seq, *p, nullptr});
    };
    const store::UidRange clipped{range.first, last};
    auto walked = store_.for_each(std::span(&clipped, 1), parts, [&](const store::MessageView& m) {
      emit_pending_before(m.info.uid);
      if (stopped) return false;
      stopped = !visit(Message{++seq, m.info.uid, &m});
      return !stopped;
    });
    if (!walked) return walked;
    emit_pending_before(uint64_t{last} + 1);
    if (stopped) break;
  }
  return {};
}

Result<std::optional<uint32_t>> MailboxView::Snapshot::first_unseen() {
  auto uid = store_.first_unseen();
  if (!uid) return std::move(uid.error());
  if (!*uid) return std::optional<uint32_t>{};
  return seq_of(**uid);
}

// ---- MailboxView -------------------------------------------------------------------

Result<void> MailboxView::read(store::MailStore& store,
                               const std::function<Result<void>(Snapshot&)>& fn) {
  return store.read(mailbox_id_, [&](store::MailboxView& v) -> Result<void> {
    const store::MailboxInfo& info = v.info();
    if (info.uid_validity != uid_validity_)
      return make_error(ErrorKind::Invalid, "UIDVALIDITY changed");
    if (info.highest_modseq > expunge_checked_) {
      // Messages expunged since the last look keep their numbers until announced.
      auto changes = v.changes_since(expunge_checked_);
      if (!changes) return std::move(changes.error());
      merge_expunged(pending_, changes->expunged, uid_next_);
      expunge_checked_ = info.highest_modseq;
    }
    if (info.keywords.size() != keywords_.size()) keywords_seen_ = info.keywords;
    Snapshot snapshot(*this, v);
    return fn(snapshot);
  });
}

Result<MailboxView::Refresh> MailboxView::prepare_refresh(store::MailStore& store,
                                                          bool allow_expunge) {
  Refresh r;
  auto done = read(store, [&](Snapshot& s) -> Result<void> {
    store::MailboxView& v = s.store();
    const store::MailboxInfo& info = v.info();
    auto changes = v.changes_since(modseq_);
    if (!changes) return std::move(changes.error());
    std::vector<uint32_t> pending = pending_;
    merge_expunged(pending, changes->expunged, uid_next_);
    if (keywords_seen_ || info.keywords.size() != keywords_.size()) r.keywords = info.keywords;
    if (allow_expunge && !pending.empty()) {
      auto below = counts_below(v, pending);
      if (!below) return std::move(below.error());
      for (size_t j = pending.size(); j-- > 0;)
        r.expunges.emplace_back((*below)[j] + static_cast<uint32_t>(j) + 1, pending[j]);
      pending.clear();
    }
    // Flag changes of messages the client knows, not already told by this session.
    std::vector<const store::MessageInfo*> changed;
    for (const auto& m : changes->changed) {
      if (m.uid >= uid_next_) break;  // new messages: EXISTS says it
      auto told = std::find_if(reported_.begin(), reported_.end(),
                               [&](const auto& e) { return e.first == m.uid; });
      if (told != reported_.end() && told->second >= m.modseq) continue;
      changed.push_back(&m);
    }
    std::vector<uint32_t> uids;
    for (const auto* m : changed) uids.push_back(m->uid);
    auto below = counts_below(v, uids);
    if (!below) return std::move(below.error());
    for (size_t i = 0; i < changed.size(); ++i)
      r.flag_changes.emplace_back((*below)[i] + pending_below(pending, uids[i]) + 1, *changed[i]);
    r.exists = info.messages + static_cast<uint32_t>(pending.size());
    r.uid_next = info.uid_next;
    r.first_recent_uid = info.first_recent_uid;
    r.highest_modseq = info.highest_modseq;
    r.pending = std::move(pending);
    return {};
  });
  if (!done) return std::move(done.error());
  return r;
}

bool MailboxView::announce(Refresh r, const AnnounceOptions& options, imap::ResponseWriter& out) {
  if (r.keywords) {
    keywords_ = std::move(*r.keywords);
    keywords_seen_.reset();
    write_flag_lists(out, keywords_, read_only_);
  }
  if (!r.expunges.empty()) {
    if (options.qresync) {
      // RFC 7162 section 3.2.10: VANISHED replaces EXPUNGE once QRESYNC is enabled.
      std::vector<uint32_t> uids;
      for (auto it = r.expunges.rbegin(); it != r.expunges.rend(); ++it) uids.push_back(it->second);
      out.untagged().atom("VANISHED").sequence_set(uids).end();
    } else {
      // Highest sequence number first: each EXPUNGE leaves the numbers still to be
      // reported unchanged (RFC 9051 section 7.4.1).
      for (const auto& [seq, uid] : r.expunges) out.untagged().number(seq).atom("EXPUNGE").end();
    }
  }
  const uint32_t after_expunges = exists_ - static_cast<uint32_t>(r.expunges.size());
  for (const auto& [seq, m] : r.flag_changes)
    write_flag_update(out, seq, m, true, options.condstore, is_recent(m.uid));
  const bool exists_changed = r.exists != after_expunges;
  if (exists_changed) out.untagged().number(r.exists).atom("EXISTS").end();
  exists_ = r.exists;
  uid_next_ = std::max(uid_next_, r.uid_next);
  modseq_ = std::max(modseq_, r.highest_modseq);
  expunge_checked_ = std::max(expunge_checked_, modseq_);
  pending_ = std::move(r.pending);
  reported_.clear();
  return exists_changed;
}

bool MailboxView::is_recent(uint32_t uid) const {
  for (const auto& r : recent_)
    if (uid >= r.first && uid < r.end) return true;
  return false;
}

void MailboxView::add_recent(const store::RecentClaim& claim) {
  if (claim.first >= claim.end) return;
  // Claims come in ascending UID order (the store's watermark only rises).
  if (!recent_.empty() && recent_.back().end == claim.first) {
    recent_.back().end = claim.end;
  } else {
    recent_.push_back(claim);
  }
}

Result<uint32_t> MailboxView::Snapshot::recent_count() {
  uint32_t n = 0;
  for (const auto& r : view_.recent_) {
    auto below_end = known_below(r.end);
    if (!below_end) return std::move(below_end.error());
    auto below_first = known_below(r.first);
    if (!below_first) return std::move(below_first.error());
    n += *below_end - *below_first;
    // Expunged but not yet announced: the client still counts them.
    n += pending_below(view_.pending_, r.end) - pending_below(view_.pending_, r.first);
  }
  return n;
}

void MailboxView::note_reported(uint32_t uid, uint64_t modseq) {
  for (auto& e : reported_) {
    if (e.first == uid) {
      e.second = std::max(e.second, modseq);
      return;
    }
  }
  // Bounded by what one command reports between two refreshes; a huge STORE keeps the
  // list small by forgetting: a repeated FETCH FLAGS is harmless.
  if (reported_.size() < kMaxReported) reported_.emplace_back(uid, modseq);
}

bool MailboxView::announce_keywords(imap::ResponseWriter& out,
                                    const std::vector<std::string>* keywords) {
  const std::vector<std::string>* fresh = keywords;
  if (!fresh && keywords_seen_) fresh = &*keywords_seen_;
  if (!fresh || fresh->size() == keywords_.size()) {
    keywords_seen_.reset();
    return false;
  }
  keywords_ = *fresh;
  keywords_seen_.reset();
  write_flag_lists(out, keywords_, read_only_);
  return true;
}

bool MailboxView::knows_keywords(const store::Flags& flags) const {
  for (const auto& k : flags.keywords)
    if (std::find(keywords_.begin(), keywords_.end(), k) == keywords_.end()) return false;
  return true;
}

void MailboxView::write_flag_lists(imap::ResponseWriter& out,
                                   const std::vector<std::string>& keywords, bool read_only) {
  out.untagged().atom("FLAGS").open();
  for (std::string_view f : kSystemFlagNames) out.flag(f);
  for (const auto& k : keywords) out.flag(k);
  out.close().end();
  // RFC 9051 section 7.1: PERMANENTFLAGS; "\*": new keywords may be created (while the
  // mailbox has room for them); none in a read-only mailbox.
  out.untagged().status(imap::Status::Ok).begin_code("PERMANENTFLAGS").open();
  if (!read_only) {
    for (std::string_view f : kSystemFlagNames) out.flag(f);
    for (const auto& k : keywords) out.flag(k);
    if (keywords.size() < store::kMaxMailboxKeywords) out.flag("\\*");
  }
  out.close().end_code().text(read_only ? "Read-only mailbox" : "Flags permitted");
}

void write_flag_update(imap::ResponseWriter& out, uint32_t seq, const store::MessageInfo& m,
                       bool with_uid, bool with_modseq, bool recent) {
  out.untagged().number(seq).atom("FETCH").open();
  if (with_uid) out.atom("UID").number(m.uid);
  if (with_modseq) out.atom("MODSEQ").open().number(m.modseq).close();
  out.atom("FLAGS");
  write_flags(out, m.flags, recent);
  out.close().end();
}

}  // namespace mail::imapd
