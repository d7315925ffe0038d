// Message flags between the store's form (system flags as bits, keywords) and IMAP's
// (RFC 9051 section 2.3.2: "\Seen", "$Junk"): writing them in responses and reading
// them from STORE and APPEND arguments.
// Input: flag names as the parser accepted them (syntactically valid, untrusted).
#pragma once

#include <string>
#include <vector>

#include "imapd/protocol/response_writer.h"
#include "store/mail_store.h"

namespace mail::imapd {

// "(\Answered \Seen $Junk)" for a message's flags; \Recent first when `recent` (a
// session property, RFC 3501 2.3.2).
void write_flags(imap::ResponseWriter& out, const store::Flags& flags, bool recent = false);

// Flag names from the client into store flags (\Recent, session-only, is dropped).
// False, with the name in bad_name, for an unknown system flag.
bool to_store_flags(const std::vector<std::string>& names, store::Flags& out,
                    std::string& bad_name);

}  // namespace mail::imapd
