// The forms of a message part URLFETCH returns besides its octets (RFC 5524 section 3):
// BINARY (the part with its content transfer encoding undone) and BODYPARTSTRUCTURE (the
// part's BODYSTRUCTURE), both as Dovecot 2.3 answers, whose replies imaptest expects:
// - BINARY of a leaf part is its decoded content (as FETCH BINARY[n]). BINARY of a
//   message/rfc822 or multipart part (or of the whole message) is its octets with every
//   base64 leaf below it decoded and that leaf's Content-Transfer-Encoding field
//   rewritten to "binary" (Dovecot's istream-binary-converter converts base64 only).
// - BODYPARTSTRUCTURE describes the part as if it were a message of its own (its MIME
//   header, then its body); asked together with BINARY, it describes the BINARY form:
//   sizes and lines of the decoded content, encodings as written.
// Input: a stored message and its summary (trusted; ranges are clamped by mime/section.h).
#pragma once

#include <string>
#include <string_view>

#include "mime/summary.h"

namespace mail::imapd::urlauth {

// REQUIRES: 0 <= index < summary.parts.size().
std::string binary_form(std::string_view message, const mime::MessageSummary& summary, int index);
std::string part_structure(std::string_view message, const mime::MessageSummary& summary, int index,
                           bool binary);

}  // namespace mail::imapd::urlauth
