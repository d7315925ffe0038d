// FETCH and UID FETCH (RFC 9051 section 6.4.5, RFC 3501 section 6.4.5). Bodies are read
// from the store in batches of at most kFetchBatchOctets (a larger body alone) on the
// worker pool, and each message's response is streamed: literal octets go to the socket
// in pieces as the output drains, so a FETCH holds at most one batch of bodies and
// kOutputFlushThreshold of output whatever it asks for (items were deduplicated by the
// parser: "RFC822 RFC822 ..." is one copy).
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
    case FetchAttr::ModSeq:
      return false;  // come with the MIME library (stored structure) and CONDSTORE
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

// Writes "* n FETCH (...)" for one message, streaming each literal's octets.
// `message` is empty when no item needs the content.
net::awaitable<bool> write_message(Session& s, uint32_t seq, const store::MessageInfo& m,
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
      default: {
        ItemData d = section_data(item, message, m.header_size);
        if (!d.bytes) {
          out.nil();
          break;
        }
        out.literal_header(d.bytes->size());
        if (!co_await s.send_octets(*d.bytes)) co_return false;
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
  co_return co_await s.drain();
}

// Consecutive messages (by index into seqs) whose bodies together stay within
// kFetchBatchOctets; at least one.
size_t batch_end(const MailboxView& view, const std::vector<uint32_t>& seqs, size_t start) {
  uint64_t octets = 0;
  size_t end = start;
  while (end < seqs.size()) {
    octets += view.message(seqs[end]).size;
    if (end > start && octets > kFetchBatchOctets) break;
    ++end;
  }
  return end;
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
  MailboxView& view = s.view();
  auto seqs = view.resolve(args.set, c.uid);
  if (!seqs) {
    s.bad(c.tag, "Invalid message sequence number");
    co_return;
  }
  // UID FETCH always reports the UID (RFC 9051 section 6.4.9).
  if (c.uid && std::none_of(args.items.begin(), args.items.end(),
                            [](const FetchItem& i) { return i.attr == FetchAttr::Uid; }))
    args.items.insert(args.items.begin(), FetchItem{FetchAttr::Uid, false, {}, std::nullopt});
  const bool content = std::any_of(args.items.begin(), args.items.end(), needs_content);
  const bool has_flags = std::any_of(args.items.begin(), args.items.end(),
                                     [](const FetchItem& i) { return i.attr == FetchAttr::Flags; });
  auto& store = s.context().store;
  const uint64_t mailbox_id = view.mailbox_id();

  // Mark \Seen first, in one transaction, so the responses carry the new flags.
  std::vector<uint32_t> newly_seen;  // UIDs, ascending
  if (!view.read_only() && std::any_of(args.items.begin(), args.items.end(), sets_seen)) {
    for (uint32_t seq : *seqs)
      if (!(view.message(seq).flags.system & store::kSeen)) newly_seen.push_back(view.uid(seq));
    if (!newly_seen.empty()) {
      const store::Flags seen{store::kSeen, {}};
      auto updated = co_await s.blocking(
          [&] { return store.store_flags(mailbox_id, newly_seen, store::FlagOp::Add, seen); });
      if (updated)
        for (const auto& u : *updated) view.update(u);
    }
  }

  for (size_t start = 0; start < seqs->size();) {
    const size_t end = content ? batch_end(view, *seqs, start) : seqs->size();
    std::vector<std::optional<std::string>> bodies;
    if (content) {
      std::vector<uint32_t> uids;
      for (size_t i = start; i < end; ++i) uids.push_back(view.uid((*seqs)[i]));
      bodies = co_await s.blocking([&] {
        std::vector<std::optional<std::string>> loaded;
        for (uint32_t uid : uids) {
          auto bytes = store.message_bytes(mailbox_id, uid);
          loaded.push_back(bytes ? std::optional<std::string>(std::move(*bytes)) : std::nullopt);
        }
        return loaded;
      });
    }
    for (size_t i = start; i < end; ++i) {
      const uint32_t seq = (*seqs)[i];
      const store::MessageInfo& m = view.message(seq);
      std::string_view message;
      if (content) {
        const auto& body = bodies[i - start];
        if (!body) continue;  // expunged by another session meanwhile
        message = *body;
      }
      const bool add_flags =
          !has_flags && std::binary_search(newly_seen.begin(), newly_seen.end(), m.uid);
      if (!co_await write_message(s, seq, m, message, args.items, add_flags)) {
        s.change_state(Logout{}, "client not reading");
        co_return;
      }
    }
    start = end;
  }
  // No EXPUNGE during FETCH (RFC 9051 section 7.5.1); UID FETCH may have them.
  co_await s.refresh(c.uid);
  s.completed(c);
}

}  // namespace mail::imapd::commands
