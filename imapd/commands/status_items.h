// STATUS data items (RFC 9051 section 6.3.11; RFC 3501 section 6.3.10 RECENT; RFC 8438
// SIZE; RFC 7162 section 3.1 HIGHESTMODSEQ; RFC 7889 APPENDLIMIT; RFC 9208 section 4.3
// DELETED-STORAGE), shared by STATUS and LIST's RETURN (STATUS ...) (RFC 5819).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/net/asio.h"
#include "imapd/protocol/response_writer.h"
#include "store/mail_store.h"

namespace mail::imapd {

class Session;

// Whether `item` (upper case) is a STATUS item we answer.
bool known_status_item(std::string_view item);

// Checks the items of a command; on an unknown one answers BAD and returns false. Asking
// for HIGHESTMODSEQ enables CONDSTORE when it is advertised (RFC 7162 section 3.1).
bool accept_status_items(Session& s, std::string_view tag, std::span<const std::string> items);

// "* STATUS name (item value ...)". Most values come from the mailbox record; DELETED-STORAGE
// reads the sizes of the \Deleted messages (O(those)). False when that read failed (nothing
// was written).
// REQUIRES: every item known_status_item().
net::awaitable<bool> write_status(Session& s, const store::MailboxInfo& info,
                                  std::span<const std::string> items);

}  // namespace mail::imapd
