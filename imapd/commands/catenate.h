// The message an APPEND CATENATE (RFC 4469 section 3) describes: its TEXT parts as the
// client sent them and its URL parts (RFC 5092 IMAP URLs, relative to this session)
// copied, unchanged, from messages of the user's own mailboxes, in order. A URL that does
// not name an existing message or part is refused with the URL (BADURL), a result over
// the size limit with TOOBIG (RFC 4469 section 4), before anything is stored.
// Input: cat-parts from the parser (syntactically valid, URLs not yet parsed); the store's
// messages (trusted). Runs on the worker pool: it reads the store.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "imapd/protocol/command.h"
#include "store/mail_store.h"

namespace mail::imapd {

// Whose mailboxes URLs may name, and what a relative URL is relative to (RFC 4469 section
// 3: "imap://user@server/" with no mailbox selected, the selected mailbox otherwise).
struct CatenateContext {
  std::string account;
  std::optional<std::string> selected_mailbox;  // store form; nullopt when none is selected
  size_t max_url_length = 0;                    // longer URLs are BADURL
};

struct CatenateFailure {
  enum class Kind {
    BadUrl,  // NO [BADURL url] (RFC 4469 section 4.1)
    TooBig,  // NO [TOOBIG] (RFC 4469 section 4.2)
    Store,   // the store failed (not the client's doing): `error`
  };
  Kind kind = Kind::BadUrl;
  std::string url;  // BadUrl: the URL as the client sent it
  Error error;      // Store
};

// Appends the message the parts make to `out`. Fails, leaving `out` unspecified, when a URL
// cannot be resolved or when the message would be over `max_octets` octets (checked
// before each part is copied, so no more than `max_octets` is ever held).
// REQUIRES: not on an event loop (reads the store).
std::optional<CatenateFailure> catenate_message(store::MailStore& store,
                                                const CatenateContext& context,
                                                std::span<const imap::CatenatePart> parts,
                                                uint64_t max_octets, std::string& out);

}  // namespace mail::imapd
