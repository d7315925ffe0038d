// URL owners and access identifiers; see url_access.h.
#include "imapd/urlauth/url_access.h"

#include "auth/address.h"
#include "imapd/protocol/mailbox_name.h"
#include "imapd/protocol/reader.h"

namespace mail::imapd::urlauth {

std::string url_account(const imap::ImapUrl& url) {
  if (url.user.empty()) return {};
  if (url.user.find('@') != std::string::npos) return auth::to_lower_ascii(url.user);
  return auth::to_lower_ascii(url.user + "@" + url.host);
}

std::optional<std::string> url_mailbox(const imap::ImapUrl& url) {
  auto name = imap::mailbox_from_client(url.mailbox, true);
  if (!name || name->empty()) return std::nullopt;
  return imap::canonical_mailbox(std::move(*name));
}

bool access_allows(const imap::ImapUrl& url, std::string_view account) {
  switch (url.access_kind) {
    case imap::UrlAccess::User:
      return !account.empty() && auth::to_lower_ascii(url.access_user) == account;
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
