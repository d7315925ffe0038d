// URLFETCH (RFC 4467 section 6.3, RFC 5524 URLAUTH=BINARY): returns the data of URLs made
// by GENURLAUTH, possibly for another user of this server: the URL names its owner's
// mailbox, which is read through the same store calls as one's own (MailStore::mailbox,
// read); the INTERNAL token, checked against the owner's mailbox access key, is what
// authorizes it. A URL that does not parse, has expired, is not for this user, names a
// missing mailbox or message, or whose key was reset gets NIL, never an error (RFC 4467
// section 6.3): the command itself fails only for bad syntax.
#include <ctime>
#include <vector>

#include "imapd/commands/fetch_response.h"
#include "imapd/commands/handlers.h"
#include "imapd/protocol/arguments.h"
#include "imapd/session_impl.h"
#include "imapd/urlauth/access_token.h"
#include "imapd/urlauth/part_forms.h"
#include "imapd/urlauth/url_access.h"
#include "mime/section.h"

namespace mail::imapd::commands {
namespace {

// One URL of the command and what RFC 5524 section 3 asks for it.
struct UrlRequest {
  std::string_view url;
  bool extended = false;   // "(" url *(SP param) ")" form
  bool structure = false;  // BODYPARTSTRUCTURE
  bool binary = false;     // BINARY
  bool body = false;       // BODY
};

// What a URL yields; nullopt for NIL.
struct UrlData {
  std::string octets;
  std::string structure;
};

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

std::optional<UrlRequest> read_request(const imap::Arg& arg) {
  UrlRequest r;
  if (arg.kind != imap::Arg::Kind::List) {
    r.url = arg.value;
    r.body = true;
    return r;
  }
  if (arg.list.empty() || arg.list[0].kind == imap::Arg::Kind::List) return std::nullopt;
  r.extended = true;
  r.url = arg.list[0].value;
  for (size_t i = 1; i < arg.list.size(); ++i) {
    const imap::Arg& p = arg.list[i];
    if (p.kind != imap::Arg::Kind::Atom) return std::nullopt;
    if (iequal(p.value, "BODYPARTSTRUCTURE"))
      r.structure = true;
    else if (iequal(p.value, "BINARY"))
      r.binary = true;
    else if (iequal(p.value, "BODY"))
      r.body = true;
    else
      return std::nullopt;
  }
  if (r.binary && r.body) return std::nullopt;  // RFC 5524 section 3: one of the two
  return r;
}

// Checks the URL's authorization and reads its data (short store reads on the loop).
std::optional<UrlData> fetch_url(Session& s, const UrlRequest& req) {
  auto url = imap::parse_imap_url(req.url, static_cast<size_t>(s.config().max_url_length));
  if (!url || !url->absolute || !url->has_urlauth() || url->is_rump() || url->uid == 0)
    return std::nullopt;
  if (!iequal(url->mechanism, urlauth::kInternalMechanism)) return std::nullopt;
  if (url->expire_unix && *url->expire_unix <= static_cast<int64_t>(std::time(nullptr)))
    return std::nullopt;  // RFC 4467 section 2.1: expired
  if (!urlauth::access_allows(*url, s.account())) return std::nullopt;
  const std::string owner = urlauth::url_account(*url);
  const std::optional<std::string> name = urlauth::url_mailbox(*url);
  if (owner.empty() || !name) return std::nullopt;
  auto& store = s.context().store;
  auto info = store.mailbox(owner, *name);
  if (!info) return std::nullopt;
  if (url->uidvalidity && *url->uidvalidity != info->uid_validity) return std::nullopt;
  auto key = store.urlauth_key(info->id, std::nullopt);
  if (!key) return std::nullopt;  // never made, or reset (RESETKEY)
  if (!urlauth::token_matches(*key, req.url.substr(0, url->rump_length), url->token))
    return std::nullopt;

  // BINARY and BODYPARTSTRUCTURE name a part (part numbers only); BODY any section.
  const bool part_only = req.binary || req.structure;
  imap::Section section;
  if (!url->section.empty()) {
    auto parsed = imap::args::parse_section_spec(url->section, part_only);
    if (!parsed) return std::nullopt;
    section = std::move(*parsed);
  }
  std::optional<UrlData> data;
  const store::UidRange range{url->uid, url->uid};
  auto read = store.read(info->id, [&](store::MailboxView& view) -> Result<void> {
    return view.for_each(
        std::span(&range, 1), store::kPartBody | store::kPartSummary,
        [&](const store::MessageView& m) {
          const mime::MessageSummary summary = message_summary(m);
          int part = 0;
          if (part_only && !section.part.empty()) {
            part = mime::find_part(summary, section.part);
            if (part < 0) return false;
          }
          UrlData d;
          std::string made;
          if (req.binary)
            d.octets = urlauth::binary_form(m.body, summary, part);
          else if (req.body)
            d.octets = std::string(section_octets(
                m, [&]() -> const mime::MessageSummary& { return summary; }, section, made));
          if (url->partial) {
            const auto& p = *url->partial;
            d.octets =
                std::string(mime::partial(d.octets, p.offset, p.length.value_or(UINT64_MAX)));
          }
          if (req.structure)
            d.structure = urlauth::part_structure(m.body, summary, part, req.binary);
          data = std::move(d);
          return false;
        });
  });
  if (!read) return std::nullopt;
  return data;
}

}  // namespace

// RFC 4467 section 6.3: URLFETCH 1*(SP url); RFC 5524 section 3 adds
// "(" url *(SP ("BODYPARTSTRUCTURE" / "BINARY" / "BODY")) ")". One untagged URLFETCH per
// URL, in order; at most imapd.max_urlfetch_urls URLs.
net::awaitable<void> urlfetch(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::GenericArgs>(c.args).args;
  if (args.empty()) {
    s.bad(c.tag, "URLFETCH needs a URL");
    co_return;
  }
  if (args.size() > static_cast<size_t>(s.config().max_urlfetch_urls)) {
    s.bad(c.tag, "Too many URLs");
    co_return;
  }
  std::vector<UrlRequest> requests;
  for (const imap::Arg& a : args) {
    auto r = read_request(a);
    if (!r) {
      s.bad(c.tag, "Invalid URLFETCH argument");
      co_return;
    }
    requests.push_back(*r);
  }
  auto& out = s.out();
  for (const UrlRequest& r : requests) {
    const std::optional<UrlData> data = fetch_url(s, r);
    out.untagged().atom("URLFETCH").string(r.url);
    if (!data) {
      out.nil().end();
      continue;
    }
    if (r.extended) {
      out.open();
      if (r.structure) out.atom("BODYPARTSTRUCTURE").preformatted(data->structure);
      if (r.binary || r.body) {
        out.atom(r.binary ? "BINARY" : "BODY");
        // RFC 5524 section 3 / RFC 3516 4.2: literal8 only when the data holds NUL.
        if (r.binary && data->octets.find('\0') != std::string::npos)
          out.literal8_header(data->octets.size());
        else
          out.literal_header(data->octets.size());
        if (!co_await s.send_octets(data->octets)) co_return;
      }
      out.close();
    } else {
      out.literal_header(data->octets.size());
      if (!co_await s.send_octets(data->octets)) co_return;
    }
    out.end();
    if (!co_await s.drain()) co_return;
  }
  s.completed(c);
}

}  // namespace mail::imapd::commands
