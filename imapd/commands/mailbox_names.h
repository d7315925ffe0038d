// Mailbox arguments of the mailbox commands (CREATE, DELETE, RENAME, SUBSCRIBE,
// UNSUBSCRIBE, STATUS, APPEND, SELECT ...): from the client's form to the store's, and the
// NO answers for the store's errors, in one place so every command answers alike.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "imapd/protocol/command.h"
#include "store/mail_store.h"

namespace mail::imapd {

class Session;

// The store's form of a mailbox name the client sent (modified UTF-7 or UTF-8, by what the
// session enabled); nullopt after answering NO [CANNOT] when it is not valid in that form.
std::optional<std::string> mailbox_argument(Session& s, const imap::Command& c,
                                            std::string_view name);

// mailbox_argument() for a name a command creates (CREATE, the new name of RENAME): a
// trailing delimiter is dropped ("a/" is "a", RFC 9051 section 6.3.4); an empty level, a
// leading delimiter or wildcard characters are refused with NO [CANNOT].
std::optional<std::string> new_mailbox_argument(Session& s, const imap::Command& c,
                                                std::string_view name);

// "tag NO [code] text" for a store error: NotFound NONEXISTENT, Exists ALREADYEXISTS,
// Invalid CANNOT, OverQuota OVERQUOTA, Denied NOPERM, Temporary UNAVAILABLE, Corrupt
// SERVERBUG (RFC 5530 response codes).
void no_for_store_error(Session& s, const imap::Command& c, const Error& error);

// The SPECIAL-USE attribute (RFC 6154) of a mailbox in LIST responses, or null for none.
const char* special_use_attribute(store::SpecialUse use);

}  // namespace mail::imapd
