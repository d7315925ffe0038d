// APPEND CATENATE assembly; see catenate.h. Input: cat-parts from the client (untrusted
// URLs), messages from the store.
#include "imapd/commands/catenate.h"

#include "imapd/commands/fetch_response.h"
#include "imapd/protocol/arguments.h"
#include "imapd/protocol/imap_url.h"
#include "imapd/protocol/parser.h"
#include "imapd/protocol/reader.h"
#include "mime/section.h"

namespace mail::imapd {
namespace {

using Kind = CatenateFailure::Kind;

CatenateFailure bad_url(std::string_view url) {
  return CatenateFailure{Kind::BadUrl, std::string(url), {}};
}

CatenateFailure too_big() {
  return CatenateFailure{Kind::TooBig, {}, {}};
}

// The mailbox (store form) a URL's message is in, or nullopt when the URL is not one
// CATENATE takes. RFC 4469 section 3: only URLs relative to this session, that is
// without a scheme and server ("/mailbox/;UID=n...", or ";UID=n..." for the selected
// mailbox); a message (";UID="), not a mailbox or a search; no URLAUTH (that needs
// GENURLAUTH's authorization, not this session's).
std::optional<std::string> url_mailbox(const imap::ImapUrl& url, const CatenateContext& context) {
  if (url.uid == 0 || url.search || url.has_urlauth() || url.expire) return std::nullopt;
  switch (url.form) {
    case imap::UrlForm::ServerRelative:
      if (url.mailbox.empty()) return std::nullopt;
      return imap::canonical_mailbox(url.mailbox);
    case imap::UrlForm::MailboxRelative:
      return context.selected_mailbox;
    case imap::UrlForm::Absolute:
    case imap::UrlForm::MessageRelative:
      break;
  }
  return std::nullopt;
}

// Appends what one URL names to `out`.
std::optional<CatenateFailure> append_url(store::MailStore& store, const CatenateContext& context,
                                          std::string_view text, uint64_t max_octets,
                                          std::string& out) {
  Result<imap::ImapUrl> url = imap::parse_imap_url(text, context.max_url_length);
  if (!url) return bad_url(text);
  const std::optional<std::string> mailbox = url_mailbox(*url, context);
  if (!mailbox) return bad_url(text);
  std::optional<imap::Section> section;
  if (!url->section.empty()) {
    section = imap::args::parse_section_spec(url->section, false);
    if (!section) return bad_url(text);
  }
  // Only the user's own mailboxes: the name is looked up in their account.
  Result<store::MailboxInfo> info = store.mailbox(context.account, *mailbox);
  if (!info) {
    if (info.error().kind == ErrorKind::NotFound || info.error().kind == ErrorKind::Invalid)
      return bad_url(text);
    return CatenateFailure{Kind::Store, {}, info.error()};
  }
  // RFC 5092 section 6: a UIDVALIDITY that is not the mailbox's names nothing.
  if (url->uidvalidity && *url->uidvalidity != info->uid_validity) return bad_url(text);

  bool found = false;
  bool over = false;
  const store::UidRange range{url->uid, url->uid};
  const unsigned parts = store::kPartBody | (section ? store::kPartSummary : 0u);
  Result<void> read = store.read(info->id, [&](store::MailboxView& view) -> Result<void> {
    return view.for_each(std::span(&range, 1), parts, [&](const store::MessageView& m) {
      std::string made;
      const std::optional<std::string_view> data =
          section ? body_section(m, *section, made) : std::optional(m.body);
      // RFC 4469 section 4.1: "invalid body part" is a BADURL too.
      if (!data) return false;
      found = true;
      std::string_view piece = *data;
      if (url->partial) {
        piece =
            mime::partial(piece, url->partial->offset, url->partial->length.value_or(piece.size()));
      }
      if (piece.size() > max_octets - std::min<uint64_t>(out.size(), max_octets)) {
        over = true;
      } else {
        out.append(piece);
      }
      return false;
    });
  });
  if (!read) {
    if (read.error().kind == ErrorKind::NotFound) return bad_url(text);
    return CatenateFailure{Kind::Store, {}, read.error()};
  }
  if (!found) return bad_url(text);  // no such UID (or expunged since)
  if (over) return too_big();
  return std::nullopt;
}

}  // namespace

std::optional<CatenateFailure> catenate_message(store::MailStore& store,
                                                const CatenateContext& context,
                                                std::span<const imap::CatenatePart> parts,
                                                uint64_t max_octets, std::string& out) {
  // RFC 4469 section 4.1: the BADURL names the first URL that failed, so the URLs are
  // resolved in order and the first failure ends the message; a TOOBIG found earlier
  // ends it too (nothing after it could be stored either).
  for (const imap::CatenatePart& part : parts) {
    if (part.kind == imap::CatenatePart::Kind::Url) {
      if (auto failure = append_url(store, context, part.data, max_octets, out)) return failure;
      continue;
    }
    if (part.data.size() > max_octets - std::min<uint64_t>(out.size(), max_octets))
      return too_big();
    out.append(part.data);
  }
  return std::nullopt;
}

}  // namespace mail::imapd
