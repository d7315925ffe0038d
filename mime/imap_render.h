// FETCH ENVELOPE, BODY and BODYSTRUCTURE (RFC 9051 section 7.5.2, RFC 3501 section 7.4.2)
// rendered from a parsed message, in the exact form Dovecot 2.3 sends (see imap_string.h
// for its string rules). Each result includes its outer parentheses:
// "(" date subject from sender reply-to to cc bcc in-reply-to message-id ")".
//
// Where this differs from Dovecot on purpose:
// - message/global (RFC 6532) is an encapsulated message like message/rfc822, rendered
//   as "message" "global" with envelope, body and lines (RFC 9051 body-type-msg);
//   Dovecot 2.3 treats it as an opaque part.
#pragma once

#include <string>

#include "mime/structure.h"

namespace mail::mime {

std::string render_envelope(const Envelope* envelope);
// BODY (extended = false) or BODYSTRUCTURE (extended = true) of parts[0].
std::string render_body_structure(const ParsedMessage& message, bool extended);

}  // namespace mail::mime
