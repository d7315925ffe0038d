// FETCH and UID FETCH (RFC 9051 section 6.4.5, RFC 3501 section 6.4.5) with CONDSTORE's
// MODSEQ item and CHANGEDSINCE modifier and QRESYNC's VANISHED modifier (RFC 7162
// sections 3.1.4 and 3.2.6). Messages are read through the session's MailboxView in
// snapshots (zero-copy views of the store's mapped file, on the event loop); each snapshot
// writes responses until kOutputFlushThreshold octets are queued, the output drains, and
// the next one resumes at the next UID. So a FETCH holds at most the threshold plus one
// message's response, whatever it asks for (items were deduplicated by the parser).
#include <algorithm>

#include "imapd/commands/handlers.h"
#include "imapd/message_flags.h"
#include "imapd/message_sections.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {
namespace {

using imap::FetchAttr;
using imap::FetchItem;
using imap::Section;

bool needs_content(const FetchItem& item) {
  switch (item.attr) {
    case FetchAttr::Rfc822:
    case FetchAttr::Rfc822Header:
    case FetchAttr::Rfc822Text:
    case FetchAttr::BodySection:
      return true;
    default:
      return false;
  }
}

// Fetching a body section without PEEK marks the message \Seen (RFC 9051 section 6.4.5).
bool sets_seen(const FetchItem& item) {
  return (item.attr == FetchAttr::Rfc822 || item.attr == FetchAttr::Rfc822Text ||
          item.attr == FetchAttr::BodySection) &&
         !item.peek;
}

bool supported(const FetchItem& item) {
  switch (item.attr) {
    case FetchAttr::Envelope:
    case FetchAttr::Body:
    case FetchAttr::BodyStructure:
    case FetchAttr::Binary:
    case FetchAttr::BinarySize:
      return false;  // come with the stored MIME structure (imapfetch)
    default:
      return true;
  }
}

bool is_multipart(std::string_view header) {
  std::string content_type = header_fields(header, {"Content-Type"}, false);
  std::transform(content_type.begin(), content_type.end(), content_type.begin(),
                 [](unsigned char ch) { return std::tolower(ch); });
  return content_type.find("multipart/") != std::string::npos;
}

// The octets an item names: a view into the message, or text made from it (HEADER.FIELDS),
// or nothing (NIL: a part that cannot be addressed yet).
struct ItemData {
  std::optional<std::string_view> bytes;
  std::string made;
};

ItemData section_data(const FetchItem& item, std::string_view message, uint32_t header_size) {
  const std::string_view header = header_section(message, header_size);
  const std::string_view text = text_section(message, header_size);
  ItemData d;
  switch (item.attr) {
    case FetchAttr::Rfc822:
      d.bytes = message;
      return d;
    case FetchAttr::Rfc822Header:
      d.bytes = header;
      return d;
    case FetchAttr::Rfc822Text:
      d.bytes = text;
      return d;
    default:
      break;
  }
  const Section& s = item.section;
  if (!s.part.empty()) {
    // Part 1 of a message that is not multipart is its body (RFC 9051 section 6.4.5);
    // deeper parts need the stored MIME structure.
    if (s.part.size() == 1 && s.part[0] == 1 && s.text == Section::Text::None &&
        !is_multipart(header))
      d.bytes = text;
    return d;
  }
  switch (s.text) {
    case Section::Text::None:
      d.bytes = message;
      break;
    case Section::Text::Header:
      d.bytes = header;
      break;
    case Section::Text::HeaderFields:
    case Section::Text::HeaderFieldsNot:
      d.made = header_fields(header, s.fields, s.text == Section::Text::HeaderFieldsNot);
      d.bytes = d.made;
      break;
    case Section::Text::Text:
      d.bytes = text;
      break;
    case Section::Text::Mime:
      break;
  }
  if (d.bytes && item.partial)
    d.bytes = partial(*d.bytes, item.partial->offset, item.partial->length);
  return d;
}

// Writes "* n FETCH (...)" for one message into the output queue (inside a snapshot:
// the literals' octets are copied from the store's mapped file).
void write_message(Session& s, uint32_t seq, const store::MessageInfo& m,
                   std::string_view message, const std::vector<FetchItem>& items,
                   bool add_flags) {
  auto& out = s.out();
  out.untagged().number(seq).atom("FETCH").open();
  for (const auto& item : items) {
    out.fetch_item_name(item);
    switch (item.attr) {
      case FetchAttr::Flags:
        write_flags(out, m.flags);
        break;
      case FetchAttr::Uid:
        out.number(m.uid);
        break;
      case FetchAttr::InternalDate:
        out.string(internal_date(m.internal_date));
        break;
      case FetchAttr::Rfc822Size:
        out.number(m.size);
        break;
      case FetchAttr::ModSeq:  // RFC 7162 section 3.1.4.1
        out.open().number(m.modseq).close();
        break;
      default: {
        ItemData d = section_data(item, message, m.header_size);
        if (!d.bytes) {
          out.nil();
          break;
        }
        out.literal_header(d.bytes->size());
        s.connection().send(*d.bytes);
        break;
      }
    }
  }
  // A \Seen set by this FETCH is reported even when FLAGS was not asked for.
  if (add_flags) {
    out.atom("FLAGS");
    write_flags(out, m.flags);
  }
  out.close().end();
}

bool has(const std::vector<FetchItem>& items, FetchAttr attr) {
  return std::any_of(items.begin(), items.end(),
                     [attr](const FetchItem& i) { return i.attr == attr; });
}

// The ranges from `from` on.
std::vector<store::UidRange> from_uid(const std::vector<store::UidRange>& ranges, uint32_t from) {
  std::vector<store::UidRange> out;
  for (const auto& r : ranges) {
    if (r.last < from) continue;
    out.push_back({std::max(r.first, from), r.last});
  }
  return out;
}

}  // namespace

net::awaitable<void> fetch(Session& s, const imap::Command& c) {
  imap::FetchArgs args = std::get<imap::FetchArgs>(c.args);
  for (const auto& item : args.items) {
    if (!supported(item)) {
      s.bad(c.tag, "FETCH item not supported yet");
      co_return;
    }
  }
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
  const bool content = std::any_of(args.items.begin(), args.items.end(), needs_content);
  const bool has_flags = has(args.items, FetchAttr::Flags);
  auto& store = s.context().store;
  MailboxView& view = s.view();
  const uint64_t mailbox_id = view.mailbox_id();

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

  // Mark \Seen first, in one transaction, so the responses carry the new flags.
  std::vector<uint32_t> newly_seen;  // UIDs, ascending
  if (!view.read_only() && std::any_of(args.items.begin(), args.items.end(), sets_seen)) {
    auto known = from_uid(*ranges, 1);
    for (auto& r : known) r.last = std::min(r.last, view.uid_next() - 1);
    std::vector<uint32_t> unseen;
    auto listed = s.read_view([&](MailboxView::Snapshot& snap) -> Result<void> {
      auto u = snap.store().unseen_uids(known);
      if (!u) return std::move(u.error());
      unseen = std::move(*u);
      return {};
    });
    if (listed && !unseen.empty()) {
      const store::Flags seen{store::kSeen, {}};
      auto updated = co_await s.blocking(
          [&] { return store.store_flags(mailbox_id, unseen, store::FlagOp::Add, seen); });
      if (updated)
        for (const auto& u : *updated) {
          newly_seen.push_back(u.uid);
          s.view().note_reported(u.uid, u.modseq);
        }
    }
  }

  // The walk, in batches: each snapshot writes responses until kOutputFlushThreshold is
  // queued, then the output drains and the next snapshot resumes at the next UID.
  const unsigned parts = content ? store::kPartBody : store::kPartInfo;
  bool expunged = false;
  uint32_t from = 1;
  for (;;) {
    const std::vector<store::UidRange> rest = from_uid(*ranges, from);
    bool more = false, wrote = false;
    auto walked = s.read_view([&](MailboxView::Snapshot& snap) -> Result<void> {
      return snap.for_each(rest, parts, [&](const MailboxView::Snapshot::Message& m) {
        if (!m.message) {
          expunged = true;  // expunged by another session, not yet announced
          return true;
        }
        const store::MessageInfo& info = m.message->info;
        if (args.changed_since && info.modseq <= *args.changed_since) return true;
        if (wrote && s.connection().pending_output() > kOutputFlushThreshold) {
          from = m.uid;
          more = true;
          return false;
        }
        const bool add_flags =
            !has_flags && std::binary_search(newly_seen.begin(), newly_seen.end(), info.uid);
        write_message(s, m.seq, info, m.message->body, args.items, add_flags);
        wrote = true;
        return true;
      });
    });
    if (!walked) {
      s.no(c, "SERVERBUG", "Cannot read the mailbox");
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
    // What Dovecot answers (and imaptest expects): RFC 5530 EXPUNGEISSUED.
    s.no(c, "EXPUNGEISSUED", "Some of the requested messages no longer exist");
    co_return;
  }
  s.completed(c);
}

}  // namespace mail::imapd::commands
