// Who an IMAP URL belongs to and who may fetch through it (RFC 4467 section 3). Shared by
// GENURLAUTH (commands/urlauth.cpp) and URLFETCH (commands/urlfetch.cpp).
// Input: parsed URLs from the client (untrusted) and the session's account.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "imapd/protocol/imap_url.h"

namespace mail::imapd::urlauth {

// The account whose mailbox the URL names, lower-cased: its enc-user when that is a full
// address; else enc-user "@" host, since clients write the login name's local part and
// the mail domain as "imap://u1@example.test/..." (imaptest does). Empty when the URL
// names no user (an anonymous URL that cannot be authorized: RFC 4467 section 2.1 needs
// the owner).
std::string url_account(const imap::ImapUrl& url);

// The store's name of the URL's mailbox (RFC 5092 section 3.3: UTF-8 in URLs; INBOX in
// any case is INBOX); nullopt when it is not a valid mailbox name.
std::optional<std::string> url_mailbox(const imap::ImapUrl& url);

// RFC 4467 section 3: whether a session logged in as `account` (lower-cased; empty
// before login) may use the URL's access identifier. "user+NAME": only NAME; "authuser":
// any logged-in user; "anonymous": anyone; "submit+NAME": only a submission server
// acting for NAME, which authenticates as such an entity: no IMAP session does (there is
// no BURL submission server yet), so never here.
bool access_allows(const imap::ImapUrl& url, std::string_view account);

}  // namespace mail::imapd::urlauth
