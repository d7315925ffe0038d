// FETCH and UID FETCH (RFC 9051 section 6.4.5, RFC 3501 section 6.4.5, RFC 3516 BINARY)
// with CONDSTORE's MODSEQ item and CHANGEDSINCE modifier and QRESYNC's VANISHED modifier
// (RFC 7162 sections 3.1.4 and 3.2.6). Messages are read through the session's
// MailboxView in snapshots (zero-copy views of the store's mapped file, on the event
// loop), and each message's response is written from its record, its stored MIME summary
// and its octets (fetch_response.h). A snapshot writes responses until
// kOutputFlushThreshold octets are queued; the output drains to the socket and the next
// snapshot resumes at the next UID, so a FETCH holds at most the threshold plus one
// message's response whatever it asks for (items were deduplicated by the parser: "RFC822
// RFC822 ..." is one copy), and no transaction is held across network I/O.
#include <algorithm>

#include "imapd/commands/fetch_response.h"
#include "imapd/commands/handlers.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {
namespace {

using imap::FetchAttr;
using imap::FetchItem;

bool has(const std::vector<FetchItem>& items, FetchAttr attr) {
  return std::any_of(items.begin(), items.end(),
                     [attr](const FetchItem& i) { return i.attr == attr; });
}

// The ranges from `from` on.
std::vector<store::UidRange> from_uid(const std::vector<store::UidRange>& ranges, uint32_t from) {
  std::vector<store::UidRange> out;
  for (const auto& r : ranges)
    if (r.last >= from) out.push_back({std::max(r.first, from), r.last});
  return out;
}

// Sets \Seen on the client's messages of `ranges` that lack it (RFC 9051 section 6.4.5),
// in one transaction, before their responses are written so that those carry the new
// flags. Returns the UIDs it changed, ascending.
net::awaitable<std::vector<uint32_t>> mark_seen(Session& s,
                                                const std::vector<store::UidRange>& ranges) {
  auto& store = s.context().store;
  MailboxView& view = s.view();
  auto known = ranges;
  for (auto& r : known) r.last = std::min(r.last, view.uid_next() - 1);
  std::erase_if(known, [](const store::UidRange& r) { return r.first > r.last; });
  std::vector<uint32_t> unseen;
  auto listed = s.read_view([&](MailboxView::Snapshot& snap) -> Result<void> {
    auto u = snap.store().unseen_uids(known);
    if (!u) return std::move(u.error());
    unseen = std::move(*u);
    return {};
  });
  std::vector<uint32_t> changed;
  if (!listed || unseen.empty()) co_return changed;
  const uint64_t mailbox_id = view.mailbox_id();
  const store::Flags seen{store::kSeen, {}};
  auto updated = co_await s.blocking(
      [&] { return store.store_flags(mailbox_id, unseen, store::FlagOp::Add, seen); });
  if (!updated) co_return changed;
  for (const auto& u : *updated) {
    changed.push_back(u.uid);
    s.view().note_reported(u.uid, u.modseq);
  }
  std::sort(changed.begin(), changed.end());
  co_return changed;
}

}  // namespace

net::awaitable<void> fetch(Session& s, const imap::Command& c) {
  imap::FetchArgs args = std::get<imap::FetchArgs>(c.args);
  // RFC 7162 section 3.2.6: VANISHED needs QRESYNC enabled.
  if (args.vanished && !s.enabled(Extension::QResync)) {
    s.bad(c.tag, "VANISHED needs ENABLE QRESYNC");
    co_return;
  }
  // RFC 7162 section 3.1: MODSEQ and CHANGEDSINCE enable CONDSTORE; CHANGEDSINCE implies
  // the MODSEQ item (section 3.1.4.1).
  if (args.changed_since && !has(args.items, FetchAttr::ModSeq))
    args.items.push_back(FetchItem{FetchAttr::ModSeq, false, {}, std::nullopt});
  if (has(args.items, FetchAttr::ModSeq)) s.enable(Extension::CondStore);
  // UID FETCH always reports the UID (RFC 9051 section 6.4.9).
  if (c.uid && !has(args.items, FetchAttr::Uid))
    args.items.insert(args.items.begin(), FetchItem{FetchAttr::Uid, false, {}, std::nullopt});
  MailboxView& view = s.view();

  std::optional<std::vector<store::UidRange>> ranges;
  std::vector<uint32_t> vanished;
  auto resolved = s.read_view([&](MailboxView::Snapshot& snap) -> Result<void> {
    auto r = snap.resolve(args.set, c.uid);
    if (!r) return std::move(r.error());
    ranges = std::move(*r);
    if (args.vanished) {
      // RFC 7162 section 3.2.6: the UIDs of the set expunged after CHANGEDSINCE.
      auto changes = snap.store().changes_since(*args.changed_since);
      if (!changes) return std::move(changes.error());
      for (const auto& e : changes->expunged)
        if (args.set.contains(e.uid, view.uid_next() - 1)) vanished.push_back(e.uid);
    }
    return {};
  });
  if (!resolved) {
    s.no(c, "SERVERBUG", "Cannot read the mailbox");
    co_return;
  }
  if (!ranges) {
    s.bad(c.tag, "Invalid message sequence number");
    co_return;
  }
  auto& out = s.out();
  if (!vanished.empty())
    out.untagged().atom("VANISHED").open().atom("EARLIER").close().sequence_set(vanished).end();

  const FetchNeeds needs = fetch_needs(args.items);
  std::vector<uint32_t> newly_seen;  // UIDs, ascending
  if (needs.sets_seen && !view.read_only() && !ranges->empty())
    newly_seen = co_await mark_seen(s, *ranges);

  ConnectionSink octets(s.connection());
  FetchResponder responder(args.items, out, octets);
  responder.set_recent_from(&view);
  std::optional<std::string_view> refused;
  bool expunged = false;
  uint32_t from = 1;  // the walk resumes at this UID
  for (;;) {
    const std::vector<store::UidRange> rest = from_uid(*ranges, from);
    bool more = false, wrote = false;
    auto walked = s.read_view([&](MailboxView::Snapshot& snap) -> Result<void> {
      return snap.for_each(rest, needs.parts(), [&](const MailboxView::Snapshot::Message& m) {
        if (m.message == nullptr) {
          // Expunged by another session, not yet announced (RFC 2180 section 4.1): the
          // command says some are gone (RFC 5530 EXPUNGEISSUED, as Dovecot answers).
          expunged = true;
          return true;
        }
        const store::MessageView& msg = *m.message;
        if (args.changed_since && msg.info.modseq <= *args.changed_since) return true;
        if (wrote && s.connection().pending_output() > kOutputFlushThreshold) {
          from = m.uid;
          more = true;
          return false;
        }
        if (needs.binary && (refused = responder.refusal(msg))) return false;
        const bool add_flags =
            !needs.flags && std::binary_search(newly_seen.begin(), newly_seen.end(), m.uid);
        responder.write(m.seq, msg, add_flags);
        wrote = true;
        return true;
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
    if (!more) break;
  }
  // No EXPUNGE during FETCH (RFC 9051 section 7.5.1), nor during UID FETCH here; with
  // QRESYNC, VANISHED may come during UID FETCH (RFC 7162 section 3.2.10).
  co_await s.refresh(c.uid && s.enabled(Extension::QResync));
  if (expunged) {
    s.no(c, "EXPUNGEISSUED", "Some of the requested messages no longer exist");
    co_return;
  }
  s.completed(c);
}

}  // namespace mail::imapd::commands
