// Mailbox names between the form a client uses and the form the store keeps (UTF-8, '/'
// between levels). A client that has enabled neither UTF8=ACCEPT (RFC 6855 section 3) nor
// IMAP4rev2 (RFC 9051 section 5.1) exchanges names in modified UTF-7 (RFC 3501 section
// 5.1.3); the others in UTF-8. ResponseWriter::mailbox() is the other direction.
// Input: names and LIST patterns from the client (untrusted).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mail::imap {

// The store's form of a name (or LIST pattern) as the client sent it; nullopt when it is
// not valid in the client's form (malformed modified UTF-7, invalid UTF-8) or holds a
// control character (U+0000-U+001F, U+007F), which no mailbox name may contain.
std::optional<std::string> mailbox_from_client(std::string_view name, bool utf8);

}  // namespace mail::imap
