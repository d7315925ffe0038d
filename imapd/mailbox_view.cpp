// MailboxView: see mailbox_view.h.
#include "imapd/mailbox_view.h"

#include <algorithm>
#include <iterator>

#include "imapd/message_flags.h"

namespace mail::imapd {
namespace {

bool by_uid(const store::MessageInfo& m, uint32_t uid) {
  return m.uid < uid;
}

}  // namespace

MailboxView::MailboxView(store::MailboxInfo info, bool read_only,
                         std::vector<store::MessageInfo> messages)
    : info_(std::move(info)), read_only_(read_only), messages_(std::move(messages)) {}

std::optional<uint32_t> MailboxView::seq_of_uid(uint32_t uid) const {
  auto it = std::lower_bound(messages_.begin(), messages_.end(), uid, by_uid);
  if (it == messages_.end() || it->uid != uid) return std::nullopt;
  return static_cast<uint32_t>(it - messages_.begin()) + 1;
}

std::optional<uint32_t> MailboxView::first_unseen() const {
  auto it = std::find_if(messages_.begin(), messages_.end(), [](const store::MessageInfo& m) {
    return !(m.flags.system & store::kSeen);
  });
  if (it == messages_.end()) return std::nullopt;
  return static_cast<uint32_t>(it - messages_.begin()) + 1;
}

bool MailboxView::expunge_pending(uint32_t seq) const {
  return std::binary_search(pending_expunges_.begin(), pending_expunges_.end(), uid(seq));
}

std::optional<std::vector<uint32_t>> MailboxView::resolve(const imap::SequenceSet& set,
                                                          bool uid) const {
  std::vector<uint32_t> out;
  if (uid) {
    for (const auto& range : set.normalized(max_uid())) {
      // Messages are in UID order: find the start of each range, walk to its end.
      auto it = std::lower_bound(messages_.begin(), messages_.end(), range.first, by_uid);
      for (; it != messages_.end() && it->uid <= range.last; ++it)
        out.push_back(static_cast<uint32_t>(it - messages_.begin()) + 1);
    }
    return out;
  }
  if (exists() == 0 || !set.within(exists())) return std::nullopt;
  set.for_each(exists(), [&](uint32_t n) {
    out.push_back(n);
    return true;
  });
  return out;
}

std::optional<uint32_t> MailboxView::update(const store::MessageInfo& changed) {
  auto seq = seq_of_uid(changed.uid);
  if (seq) messages_[*seq - 1] = changed;
  return seq;
}

Result<MailboxView::Changes> MailboxView::read_changes(store::MailStore& store) const {
  // Today: the whole list, compared with the view in one merge walk. The store's
  // changes-since-MODSEQ call will replace this with a read of what changed only.
  auto fresh = store.messages(info_.id);
  if (!fresh) return std::move(fresh.error());
  Changes changes;
  const uint32_t known_max = max_uid();
  size_t j = 0;
  for (const auto& known : messages_) {
    while (j < fresh->size() && (*fresh)[j].uid < known.uid) ++j;
    if (j == fresh->size() || (*fresh)[j].uid != known.uid) {
      changes.expunged.push_back(known.uid);
      continue;
    }
    if (!((*fresh)[j].flags == known.flags)) changes.flag_changes.push_back((*fresh)[j]);
  }
  auto first_new =
      std::upper_bound(fresh->begin(), fresh->end(), known_max,
                       [](uint32_t uid, const store::MessageInfo& m) { return uid < m.uid; });
  changes.added.assign(std::make_move_iterator(first_new), std::make_move_iterator(fresh->end()));
  return changes;
}

void MailboxView::apply(Changes changes, bool allow_expunge, imap::ResponseWriter& out) {
  std::vector<uint32_t> gone;
  std::set_union(pending_expunges_.begin(), pending_expunges_.end(), changes.expunged.begin(),
                 changes.expunged.end(), std::back_inserter(gone));
  if (allow_expunge && !gone.empty()) {
    // Highest sequence number first: each EXPUNGE then leaves the numbers still to be
    // reported unchanged (RFC 9051 section 7.5.1).
    for (size_t i = messages_.size(); i-- > 0;) {
      if (std::binary_search(gone.begin(), gone.end(), messages_[i].uid))
        out.untagged().number(i + 1).atom("EXPUNGE").end();
    }
    std::erase_if(messages_, [&](const store::MessageInfo& m) {
      return std::binary_search(gone.begin(), gone.end(), m.uid);
    });
    gone.clear();
  }
  pending_expunges_ = std::move(gone);
  for (const auto& changed : changes.flag_changes) {
    auto seq = seq_of_uid(changed.uid);
    if (!seq || expunge_pending(*seq) || messages_[*seq - 1].flags == changed.flags) continue;
    messages_[*seq - 1] = changed;
    out.untagged().number(*seq).atom("FETCH").open().atom("FLAGS");
    write_flags(out, changed.flags);
    out.close().end();
  }
  if (!changes.added.empty()) {
    for (auto& m : changes.added)
      if (m.uid > max_uid()) messages_.push_back(std::move(m));
    out.untagged().number(exists()).atom("EXISTS").end();
  }
}

}  // namespace mail::imapd
