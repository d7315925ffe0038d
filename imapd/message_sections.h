// The parts of a stored message that FETCH BODY[section] names (RFC 9051 section 6.4.5),
// cut from the raw bytes without copying where possible. Pure functions; the message
// comes from the store (trusted to be what was delivered, not to be well-formed).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mail::imapd {

// The header section including the blank line that ends it (header_size from the store).
std::string_view header_section(std::string_view message, uint32_t header_size);
// Everything after the header section.
std::string_view text_section(std::string_view message, uint32_t header_size);

// HEADER.FIELDS (names) or, with exclude, HEADER.FIELDS.NOT: the matching header fields
// (continuation lines included) followed by the blank line. Names match case-insensitively.
std::string header_fields(std::string_view header, const std::vector<std::string>& names,
                          bool exclude);

// <offset.length>: the substring, empty when offset is beyond the end.
std::string_view partial(std::string_view data, uint32_t offset, uint32_t length);

// RFC 9051 date-time: "01-Dec-2026 13:06:10 +0000".
std::string internal_date(int64_t unix_seconds);

}  // namespace mail::imapd
