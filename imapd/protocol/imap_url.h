// IMAP URLs (RFC 5092) as URLAUTH (RFC 4467), URLFETCH (RFC 5524) and CATENATE (RFC 4469
// section 5) take them: the absolute form
//   imap://[enc-user[;AUTH=type]@]host[:port]/mailbox[;UIDVALIDITY=n][?search]
//          [/;UID=n[/;SECTION=s][/;PARTIAL=o[.l]]][;EXPIRE=date-time][;URLAUTH=access[:mech:token]]
// and the relative references of RFC 5092 section 7.2 ("/INBOX/;UID=20/;SECTION=1" relative
// to the server, ";UID=20/;SECTION=1" relative to the selected mailbox, ";SECTION=1.MIME" and
// ";PARTIAL=0.100" relative to a message). Pure: no sockets, no store.
// Input: URLs from the client (untrusted). Keys (";UID=", "imap://") match case-insensitively;
// components are percent-decoded; the mailbox comes out as UTF-8 bytes exactly as decoded
// (RFC 5092 section 3.3), which the caller still validates as a mailbox name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace mail::imap {

// How much of the URL is written out (RFC 5092 section 7).
enum class UrlForm {
  Absolute,         // imap://server/mailbox...
  ServerRelative,   // /mailbox... (the server of the base URL or the session)
  MailboxRelative,  // ;UID=n... (the selected mailbox, or the base URL's)
  MessageRelative,  // ;SECTION=s... or ;PARTIAL=o.l (the base URL's message)
};

// RFC 5092 ipartial: <offset> or <offset.length> octets of the part.
struct UrlPartial {
  uint32_t offset = 0;
  std::optional<uint32_t> length;  // nz-number when present
  bool operator==(const UrlPartial&) const = default;
};

// RFC 4467 section 3 access identifiers.
enum class UrlAccess {
  None,       // no ;URLAUTH=
  Submit,     // submit+<user>: the submission server acting for <user>
  User,       // user+<user>: only <user>, once logged in
  AuthUser,   // authuser: any user authenticated to this server
  Anonymous,  // anonymous: anyone, logged in or not
};

struct ImapUrl {
  UrlForm form = UrlForm::Absolute;
  bool absolute = true;   // form == Absolute
  std::string user;       // enc-user, decoded; empty when absent
  std::string auth_type;  // ;AUTH= value ("*" or a SASL mechanism); empty when absent
  std::string host;       // decoded; "[v6]" literals kept with their brackets
  std::optional<uint16_t> port;
  std::string mailbox;  // decoded UTF-8; empty for message-relative forms
  std::optional<uint32_t> uidvalidity;
  std::optional<std::string> search;  // "?" query, decoded (imessagelist only)
  uint32_t uid = 0;                   // 0: no ;UID= (a mailbox URL)
  std::string section;                // decoded; empty: the whole message
  std::optional<UrlPartial> partial;
  // URLAUTH (RFC 4467 section 2.1).
  std::optional<std::string> expire;   // ;EXPIRE= as written (RFC 3339 date-time)
  std::optional<int64_t> expire_unix;  // the same in seconds since the epoch (UTC)
  UrlAccess access_kind = UrlAccess::None;
  std::string access;       // ;URLAUTH= value as written ("user+fred", "authuser"...)
  std::string access_user;  // <user> of submit+ / user+, decoded
  std::string mechanism;    // after the access, e.g. "INTERNAL"; empty for a rump
  std::string token;        // enc-urlauth: 32 or more hex digits, as written
  size_t rump_length = 0;   // octets up to the end of ";URLAUTH=<access>"; 0 without URLAUTH

  bool has_urlauth() const { return access_kind != UrlAccess::None; }
  bool is_rump() const { return has_urlauth() && mechanism.empty(); }
};

// Parses an absolute or relative IMAP URL of at most max_length octets (imapd.max_url_length).
// Error kinds: Invalid (syntax, a number out of range, a bad escape), or Invalid with
// "too long" when the URL is over max_length.
Result<ImapUrl> parse_imap_url(std::string_view url, size_t max_length);

// The URLAUTH rump of an absolute URL with ";URLAUTH=<access>" (RFC 4467 section 2.1): the
// URL up to the end of the access identifier, without ":<mechanism>:<token>". The part the
// token authorizes (section 7); GENURLAUTH receives it, URLFETCH recomputes over it.
Result<std::string_view> urlauth_rump(std::string_view url, size_t max_length);

// The absolute URL a relative one names, taking what it leaves out from base (RFC 5092
// section 7.2, RFC 3986 section 5.2): a mailbox-relative URL keeps base's server and
// mailbox, a message-relative one base's UID too. An absolute url is returned unchanged.
ImapUrl resolve_imap_url(const ImapUrl& url, const ImapUrl& base);

// RFC 3339 date-time ("2026-12-06T13:37:00Z", "...T13:37:00.5+02:00") in seconds since the
// epoch; nullopt when malformed. Fractions are dropped.
std::optional<int64_t> parse_rfc3339(std::string_view text);

}  // namespace mail::imap
