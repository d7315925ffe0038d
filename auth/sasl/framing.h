// The base64 framing every protocol wraps SASL in (SMTP AUTH RFC 4954 section 4, IMAP
// AUTHENTICATE RFC 9051 section 6.2.2, POP3 AUTH RFC 5034 section 4): challenges go out in
// base64, each client line is base64 or "*" to cancel, and an initial response of "="
// means "present but empty". The daemons keep their own prefixes ("334 ", "+ ").
// Pure; input is untrusted client text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace mail::auth::sasl {

struct Cancelled {};  // the client sent "*"
struct BadBase64 {};  // not canonical base64

using ClientLine = std::variant<std::string, Cancelled, BadBase64>;

// A line the client sent in answer to a challenge (CRLF already removed).
ClientLine decode_response(std::string_view line);

// The initial response argument of AUTH/AUTHENTICATE: "=" is an empty response (RFC 4954,
// RFC 4959, RFC 5034); anything else is base64 ("*" is not allowed here and is BadBase64).
std::variant<std::string, BadBase64> decode_initial_response(std::string_view argument);

// A challenge as base64 text (empty for an empty challenge: the daemon sends "+ " or "334 ").
std::string encode_challenge(std::string_view challenge);

}  // namespace mail::auth::sasl
