// FETCH and UID FETCH (RFC 9051 section 6.4.5, RFC 3501 section 6.4.5, RFC 3516 BINARY,
// RFC 7162 MODSEQ and CHANGEDSINCE). Messages are read through the store's zero-copy view
// (MailStore::read, one short read transaction at a time, on the event loop) and each
// message's response is written from its record, its stored MIME summary and its octets
// (fetch_response.h). A walk stops as soon as kOutputFlushThreshold octets are queued; the
// output drains to the socket and the next walk resumes at the next UID, so a FETCH holds
// at most the threshold plus one message's response whatever it asks for (items were
// deduplicated by the parser: "RFC822 RFC822 ..." is one copy), and no transaction is
// held across network I/O.
#include <algorithm>

#include "imapd/commands/fetch_response.h"
#include "imapd/commands/handlers.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {
namespace {

using imap::FetchAttr;
using imap::FetchItem;

// Literal octets go straight to the connection, after the tokens the writer flushed.
class ConnectionSink final : public imap::ResponseSink {
 public:
  explicit ConnectionSink(net::Connection& c) : c_(c) {}
  void write(std::string_view bytes) override { c_.send(bytes); }

 private:
  net::Connection& c_;
};

bool has(const std::vector<FetchItem>& items, FetchAttr attr) {
  return std::any_of(items.begin(), items.end(),
                     [attr](const FetchItem& i) { return i.attr == attr; });
}

// The UID ranges that hold the messages of ascending sequence numbers `seqs` (a run of
// consecutive numbers is one range: no message the client knows lies between).
std::vector<store::UidRange> uid_ranges(const MailboxView& view,
                                        const std::vector<uint32_t>& seqs) {
  std::vector<store::UidRange> out;
  for (size_t i = 0; i < seqs.size();) {
    size_t j = i;
    while (j + 1 < seqs.size() && seqs[j + 1] == seqs[j] + 1) ++j;
    out.push_back({view.uid(seqs[i]), view.uid(seqs[j])});
    i = j + 1;
  }
  return out;
}

// The ranges from `from` on.
std::vector<store::UidRange> from_uid(const std::vector<store::UidRange>& ranges, uint32_t from) {
  std::vector<store::UidRange> out;
  for (const auto& r : ranges)
    if (r.last >= from) out.push_back({std::max(r.first, from), r.last});
  return out;
}

// Sets \Seen on the messages of `ranges` that lack it (RFC 9051 section 6.4.5), in one
// transaction, before their responses are written so that those carry the new flags.
// Returns the UIDs it changed, ascending.
net::awaitable<std::vector<uint32_t>> mark_seen(Session& s,
                                                const std::vector<store::UidRange>& ranges) {
  auto& store = s.context().store;
  MailboxView& view = s.view();
  std::vector<uint32_t> unseen;
  auto read = store.read(view.mailbox_id(), [&](store::MailboxView& v) -> Result<void> {
    auto uids = v.unseen_uids(ranges);
    if (!uids) return std::move(uids.error());
    unseen = std::move(*uids);
    return {};
  });
  std::vector<uint32_t> changed;
  if (!read || unseen.empty()) co_return changed;
  const store::Flags seen{store::kSeen, {}};
  auto updated = co_await s.blocking(
      [&] { return store.store_flags(view.mailbox_id(), unseen, store::FlagOp::Add, seen); });
  if (!updated) co_return changed;
  for (const auto& u : *updated) {
    view.update(u);
    changed.push_back(u.uid);
  }
  std::sort(changed.begin(), changed.end());
  co_return changed;
}

}  // namespace

net::awaitable<void> fetch(Session& s, const imap::Command& c) {
  imap::FetchArgs args = std::get<imap::FetchArgs>(c.args);
  // RFC 7162 section 3.1.4.1: CHANGEDSINCE implies the MODSEQ item.
  if (args.changed_since && !has(args.items, FetchAttr::ModSeq))
    args.items.push_back(FetchItem{FetchAttr::ModSeq, false, {}, std::nullopt});
  // UID FETCH always reports the UID (RFC 9051 section 6.4.9).
  if (c.uid && !has(args.items, FetchAttr::Uid))
    args.items.insert(args.items.begin(), FetchItem{FetchAttr::Uid, false, {}, std::nullopt});
  MailboxView& view = s.view();
  auto seqs = view.resolve(args.set, c.uid);
  if (!seqs) {
    s.bad(c.tag, "Invalid message sequence number");
    co_return;
  }
  const FetchNeeds needs = fetch_needs(args.items);
  const std::vector<store::UidRange> ranges = uid_ranges(view, *seqs);
  std::vector<uint32_t> newly_seen;  // UIDs, ascending
  if (needs.sets_seen && !view.read_only() && !ranges.empty())
    newly_seen = co_await mark_seen(s, ranges);

  auto& store = s.context().store;
  ConnectionSink octets(s.connection());
  FetchResponder responder(args.items, s.out(), octets);
  // Messages this client still knows that another session expunged (RFC 2180 section
  // 4.1) are absent from the walk: what the session's view holds (flags, UID, sizes,
  // dates) is answered from it as it was, in its place; for anything else the command
  // says some are gone (RFC 9051 section 7.1, EXPUNGEISSUED).
  size_t pos = 0;  // into *seqs: the next message the walk should meet
  bool expunge_issued = false;
  auto answer_missing_before = [&](uint32_t seq_limit) {
    for (; pos < seqs->size() && (*seqs)[pos] < seq_limit; ++pos) {
      const store::MessageInfo& info = view.message((*seqs)[pos]);
      if (args.changed_since && info.modseq <= *args.changed_since) continue;
      if (needs.parts() != 0) {
        expunge_issued = true;
        continue;
      }
      responder.write((*seqs)[pos], store::MessageView{info, {}, {}}, false);
    }
  };

  std::optional<std::string_view> refused;
  uint32_t next = 1;  // the walk resumes at this UID
  bool more = !ranges.empty();
  while (more) {
    more = false;
    auto walked = store.read(view.mailbox_id(), [&](store::MailboxView& v) {
      return v.for_each(from_uid(ranges, next), needs.parts(), [&](const store::MessageView& m) {
        next = m.info.uid + 1;
        const auto seq = view.seq_of_uid(m.info.uid);
        if (!seq) return true;  // not yet announced to this client
        answer_missing_before(*seq);
        if (pos < seqs->size() && (*seqs)[pos] == *seq) ++pos;
        if (args.changed_since && m.info.modseq <= *args.changed_since) return true;
        if (needs.binary && (refused = responder.refusal(m))) return false;
        const bool add_flags =
            !needs.flags && std::binary_search(newly_seen.begin(), newly_seen.end(), m.info.uid);
        responder.write(*seq, m, add_flags);
        if (needs.flags || add_flags) view.update(m.info);
        if (s.connection().pending_output() > kOutputFlushThreshold) more = true;
        return !more;
      });
    });
    if (!walked) {
      s.no(c, "SERVERBUG", "Cannot read the mailbox");
      co_return;
    }
    if (refused) {
      // RFC 3516 section 4.3.
      s.no(c, *refused, "Unknown Content-Transfer-Encoding");
      co_return;
    }
    if (!co_await s.drain()) {
      s.change_state(Logout{}, "client not reading");
      co_return;
    }
  }
  answer_missing_before(UINT32_MAX);
  if (!co_await s.drain()) {
    s.change_state(Logout{}, "client not reading");
    co_return;
  }
  // No EXPUNGE during FETCH (RFC 9051 section 7.5.1); UID FETCH may have them.
  co_await s.refresh(c.uid);
  if (expunge_issued) {
    s.no(c, "EXPUNGEISSUED", "Some of the requested messages no longer exist");
    co_return;
  }
  s.completed(c);
}

}  // namespace mail::imapd::commands
