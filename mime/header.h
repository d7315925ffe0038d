// RFC 5322 section 2.2 header fields: splitting a header block into fields, unfolding,
// and looking fields up by name. Input: untrusted message bytes; CRLF or bare LF line
// ends, 8-bit bytes and NULs are all accepted.
//
// A field's value is what Dovecot hands to its own parsers (so that ENVELOPE strings
// match): the whitespace after the colon is skipped (all of it, or one byte when the
// value is only whitespace), continuation lines are joined with "\n" and keep their
// leading whitespace, and the CR of each CRLF is dropped. A line without a colon, or
// with a name over kMaxHeaderNameLength, is a field with an empty name.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mail::mime {

inline constexpr size_t kMaxHeaderNameLength = 1000;  // RFC 5322 section 2.1.1 line limit

struct HeaderField {
  std::string_view name;  // without the whitespace before the colon
  std::string value;      // unfolded as described above
  size_t begin = 0;       // byte range of the whole field (continuations and newline included)
  size_t end = 0;
  size_t newline_size = 0;  // 0, 1 (LF) or 2 (CRLF) at the end of the field's last line
};

// True when the line at pos is the empty line ending a header ("\n" or "\r\n").
bool is_header_end_line(std::string_view msg, size_t pos);
// Reads the field whose first line starts at pos. REQUIRES: pos < msg.size() and the
// line at pos is not the empty line.
HeaderField read_header_field(std::string_view msg, size_t pos);

// Every field of a header block (which may include the empty line that ends it; anything
// after that line is ignored).
std::vector<HeaderField> parse_header_block(std::string_view header);

// The value of the first / last field named `name` (case-insensitive), unfolded.
std::optional<std::string> find_first_field(std::string_view header, std::string_view name);
std::optional<std::string> find_last_field(std::string_view header, std::string_view name);

// Case-insensitive ASCII equality of header names.
bool header_name_equals(std::string_view a, std::string_view b);

// Offset just past the header section starting at `begin` (after the empty line that
// ends it, or the end of msg when there is none).
size_t header_section_end(std::string_view msg, size_t begin = 0);

}  // namespace mail::mime
