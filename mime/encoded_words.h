// RFC 2047 encoded words in header values, decoded to UTF-8. Input: any header value
// bytes. "=?charset?B|Q?text?=" is decoded (charset may carry an RFC 2231 "*language"),
// whitespace between adjacent encoded words is dropped (RFC 2047 section 6.2), adjacent
// words in one charset are joined before conversion (senders split multi-byte characters
// across words), and anything that is not a well-formed encoded word is kept as written
// (invalid UTF-8 in it replaced by U+FFFD). Like Dovecot, words inside other text are
// decoded too, because real mail has them there.
#pragma once

#include <string>
#include <string_view>

namespace mail::mime {

std::string decode_header_utf8(std::string_view value);

}  // namespace mail::mime
