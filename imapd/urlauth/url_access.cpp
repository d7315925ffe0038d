// URL owners and access identifiers; see url_access.h.
#include "imapd/urlauth/url_access.h"

#include "imapd/protocol/mailbox_name.h"
#include "imapd/protocol/reader.h"

namespace mail::imapd::urlauth {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

std::string url_account(const imap::ImapUrl& url) {
  if (url.user.empty()) return {};
  if (url.user.find('@') != std::string::npos) return lower(url.user);
  return lower(url.user + "@" + url.host);
}

std::optional<std::string> url_mailbox(const imap::ImapUrl& url) {
  auto name = imap::mailbox_from_client(url.mailbox, true);
  if (!name || name->empty()) return std::nullopt;
  return imap::canonical_mailbox(std::move(*name));
}

bool access_allows(const imap::ImapUrl& url, std::string_view account) {
  switch (url.access_kind) {
    case imap::UrlAccess::User:
      return !account.empty() && lower(url.access_user) == account;
    case imap::UrlAccess::AuthUser:
      return !account.empty();
    case imap::UrlAccess::Anonymous:
      return true;
    case imap::UrlAccess::Submit:
    case imap::UrlAccess::None:
      return false;
  }
  return false;
}

}  // namespace mail::imapd::urlauth
