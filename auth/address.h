// Syntax checks and canonical form for the directory's keys: domains and local@domain
// addresses. Deliberately narrower than RFC 5321 (no quoted local parts, no address
// literals): these are names an administrator creates. Internationalized domains (RFC
// 5890) are keyed by their A-label form, so "bücher.example" and "xn--bcher-kva.example"
// are one domain; UTF-8 local parts (RFC 6531) are kept as they are. Input is untrusted.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace mail::auth {

// RFC 5321 section 4.5.3.1: local part 64 octets, domain 255, path 256 with the brackets.
inline constexpr size_t kMaxLocalPart = 64;
inline constexpr size_t kMaxDomain = 255;
inline constexpr size_t kMaxAddress = 254;

// ASCII lower-casing; bytes >= 0x80 (UTF-8) pass through unchanged.
std::string to_lower_ascii(std::string_view s);

// Lower-cased domain, U-labels converted to A-labels (IDNA2008 with UTS #46 mapping, by
// libidn2), or Invalid: empty, too long, a leading/trailing dot, an empty label, a space,
// control character or '@', or a label IDNA refuses.
Result<std::string> normalize_domain(std::string_view domain);

// Lower-cased address, or Invalid: not exactly one '@', an empty or too long local part, a
// space or control character, or a bad domain.
Result<std::string> normalize_address(std::string_view address);

// The text after the last '@', or empty when there is none. No validation.
std::string_view domain_of(std::string_view address);

// True when a local part (as sent in SMTP, quotes included) carries the routing syntax of
// older mail systems: '%' (the "percent hack", user%other@relay), '!' (UUCP bang paths,
// host!user) or '@' (inside a quoted string). A system that re-parses such a local part
// would send the message on to another host, so from an unauthenticated client it is a
// relay attempt (as Postfix's allow_untrusted_routing = no treats it).
bool has_routing_syntax(std::string_view local_part);

}  // namespace mail::auth
