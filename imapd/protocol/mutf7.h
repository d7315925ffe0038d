// Modified UTF-7 (RFC 3501 section 5.1.3) for mailbox names exchanged with clients that have
// not enabled UTF8=ACCEPT. Input: untrusted names from clients (decode) or stored UTF-8
// names (encode); both directions validate.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mail::imap {

// UTF-8 -> modified UTF-7; nullopt if the input is not valid UTF-8.
std::optional<std::string> mutf7_encode(std::string_view utf8);

// Modified UTF-7 -> UTF-8; nullopt for bytes outside 0x20-0x7e, an unterminated or malformed
// "&...-" run, bad base64 padding bits, unpaired surrogates, or an encoded run that holds
// printable ASCII (which must appear as itself).
std::optional<std::string> mutf7_decode(std::string_view mutf7);

}  // namespace mail::imap
