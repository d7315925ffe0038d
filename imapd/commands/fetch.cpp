// FETCH and UID FETCH (RFC 9051 section 6.4.5, RFC 3501 section 6.4.5). Bodies are read
// from the store in batches on the worker pool and streamed out: the output is flushed
// as it grows, so a large mailbox never sits in memory twice.
#include <algorithm>

#include "imapd/message_sections.h"
#include "imapd/session_impl.h"

namespace mail::imapd {
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
      return false;  // come with the full IMAP issue (stored MIME structure)
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

// The bytes a BODY[section] names, or nullopt for NIL (a part we cannot address yet).
std::optional<std::string> section_bytes(const Section& s, std::string_view message,
                                         uint32_t header_size) {
  std::string_view header = header_section(message, header_size);
  if (!s.part.empty()) {
    // Part 1 of a message that is not multipart is its body (RFC 9051 section 6.4.5);
    // deeper parts need the stored MIME structure.
    if (s.part.size() == 1 && s.part[0] == 1 && s.text == Section::Text::None &&
        !is_multipart(header))
      return std::string(text_section(message, header_size));
    return std::nullopt;
  }
  switch (s.text) {
    case Section::Text::None:
      return std::string(message);
    case Section::Text::Header:
      return std::string(header);
    case Section::Text::HeaderFields:
      return header_fields(header, s.fields, false);
    case Section::Text::HeaderFieldsNot:
      return header_fields(header, s.fields, true);
    case Section::Text::Text:
      return std::string(text_section(message, header_size));
    case Section::Text::Mime:
      return std::nullopt;
  }
  return std::nullopt;
}

void append_literal(std::string& out, std::string_view data) {
  out += "{" + std::to_string(data.size()) + "}\r\n";
  out.append(data);
}

}  // namespace

net::awaitable<void> Session::fetch(const imap::Command& c) {
  auto args = std::get<imap::FetchArgs>(c.args);
  for (const auto& item : args.items) {
    if (!supported(item)) {
      bad(c.tag, "FETCH item " + imap::fetch_item_name(item) + " not supported yet");
      co_return;
    }
  }
  std::vector<size_t> indexes;
  if (!resolve_set(args.set, c.uid, indexes)) {
    bad(c.tag, "Invalid message sequence number");
    co_return;
  }
  // UID FETCH always reports the UID (RFC 9051 section 6.4.9).
  if (c.uid && std::none_of(args.items.begin(), args.items.end(),
                            [](const FetchItem& i) { return i.attr == FetchAttr::Uid; }))
    args.items.insert(args.items.begin(), FetchItem{FetchAttr::Uid, false, {}, std::nullopt});
  const bool content = std::any_of(args.items.begin(), args.items.end(), needs_content);
  bool mark_seen =
      !selected_->read_only && std::any_of(args.items.begin(), args.items.end(), sets_seen);
  std::vector<bool> flags_changed(indexes.size(), false);

  auto& messages = selected_->messages;
  const uint64_t mailbox_id = selected_->info.id;
  if (mark_seen) {
    std::vector<uint32_t> unseen;
    for (size_t i = 0; i < indexes.size(); ++i) {
      if (!(messages[indexes[i]].flags.system & store::kSeen)) {
        unseen.push_back(messages[indexes[i]].uid);
        flags_changed[i] = true;
      }
    }
    if (!unseen.empty()) {
      store::Flags seen{store::kSeen, {}};
      auto updated = co_await blocking(
          [&] { return ctx_.store.store_flags(mailbox_id, unseen, store::FlagOp::Add, seen); });
      if (updated) {
        for (const auto& u : *updated) {
          auto it = std::lower_bound(
              messages.begin(), messages.end(), u.uid,
              [](const store::MessageInfo& m, uint32_t uid) { return m.uid < uid; });
          if (it != messages.end() && it->uid == u.uid) *it = u;
        }
      }
    }
  }
  const bool has_flags = std::any_of(args.items.begin(), args.items.end(),
                                     [](const FetchItem& i) { return i.attr == FetchAttr::Flags; });

  constexpr size_t kBatch = 64;
  for (size_t start = 0; start < indexes.size(); start += kBatch) {
    size_t end = std::min(indexes.size(), start + kBatch);
    std::vector<std::optional<std::string>> bodies(end - start);
    if (content) {
      std::vector<uint32_t> uids;
      for (size_t i = start; i < end; ++i) uids.push_back(messages[indexes[i]].uid);
      bodies = co_await blocking([&] {
        std::vector<std::optional<std::string>> out;
        for (uint32_t uid : uids) {
          auto bytes = ctx_.store.message_bytes(mailbox_id, uid);
          out.push_back(bytes ? std::optional<std::string>(std::move(*bytes)) : std::nullopt);
        }
        return out;
      });
    }
    for (size_t i = start; i < end; ++i) {
      const store::MessageInfo& m = messages[indexes[i]];
      const std::optional<std::string>& body = bodies[i - start];
      if (content && !body) continue;  // expunged by another session meanwhile
      std::string out = "* " + std::to_string(indexes[i] + 1) + " FETCH (";
      bool first = true;
      auto item_sep = [&] {
        if (!first) out += ' ';
        first = false;
      };
      for (const auto& item : args.items) {
        item_sep();
        switch (item.attr) {
          case FetchAttr::Flags:
            out += "FLAGS " + format_message_flags(m.flags);
            break;
          case FetchAttr::Uid:
            out += "UID " + std::to_string(m.uid);
            break;
          case FetchAttr::InternalDate:
            out += "INTERNALDATE \"" + internal_date(m.internal_date) + "\"";
            break;
          case FetchAttr::Rfc822Size:
            out += "RFC822.SIZE " + std::to_string(m.size);
            break;
          case FetchAttr::Rfc822:
            out += "RFC822 ";
            append_literal(out, *body);
            break;
          case FetchAttr::Rfc822Header:
            out += "RFC822.HEADER ";
            append_literal(out, header_section(*body, m.header_size));
            break;
          case FetchAttr::Rfc822Text:
            out += "RFC822.TEXT ";
            append_literal(out, text_section(*body, m.header_size));
            break;
          case FetchAttr::BodySection: {
            out += imap::fetch_item_name(item) + " ";
            auto bytes = section_bytes(item.section, *body, m.header_size);
            if (!bytes) {
              out += "NIL";
            } else if (item.partial) {
              append_literal(out, partial(*bytes, item.partial->offset, item.partial->length));
            } else {
              append_literal(out, *bytes);
            }
            break;
          }
          default:
            break;
        }
      }
      if (flags_changed[i] && !has_flags) {
        item_sep();
        out += "FLAGS " + format_message_flags(m.flags);
      }
      out += ")\r\n";
      conn_->send(out);
    }
    if (!co_await conn_->flush()) co_return;
  }
  co_await refresh(false);
  ok(c, std::string(c.uid ? "UID " : "") + "FETCH completed");
}

}  // namespace mail::imapd
