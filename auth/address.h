// Syntax checks and canonical form for the directory's keys: domains and local@domain
// addresses. Deliberately narrower than RFC 5321 (no quoted local parts, no address
// literals): these are names an administrator creates. Input is untrusted.
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

// Lower-cased domain, or Invalid: empty, too long, a leading/trailing dot, an empty label,
// or a space, control character or '@'.
Result<std::string> normalize_domain(std::string_view domain);

// Lower-cased address, or Invalid: not exactly one '@', an empty or too long local part, a
// space or control character, or a bad domain.
Result<std::string> normalize_address(std::string_view address);

// The text after the last '@', or empty when there is none. No validation.
std::string_view domain_of(std::string_view address);

}  // namespace mail::auth
