// The header section of a message as DKIM and Authentication-Results see it (RFC 5322
// 2.2): each field exactly as it arrived (folding kept, so that a signature computed over
// it still verifies), where the body starts, and the relaxed canonical form of a field
// (RFC 6376 3.4.2). Pure; input is untrusted message bytes, lines ending in CRLF (or bare
// LF: BDAT with BODY=BINARYMIME does not insist).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mail::mailauth {

// One header field.
struct RawField {
  std::string_view name;  // as written, without whitespace before the colon; "" when the
                          // line has no colon (malformed) or starts with whitespace
  std::string_view raw;   // the whole field from its name to the end of its last line,
                          // continuation lines included, without the final line ending
  size_t begin = 0;       // byte range in the message, the final line ending included
  size_t end = 0;
};

struct HeaderBlock {
  std::vector<RawField> fields;
  size_t body_offset = 0;  // first byte of the body; the message's size when there is none
  bool truncated = false;  // more than max_fields fields: the rest are not listed
};

// At most this many fields are listed (a message with more is malformed or hostile).
inline constexpr size_t kMaxHeaderFields = 10000;

HeaderBlock split_header(std::string_view message, size_t max_fields = kMaxHeaderFields);

// Case-insensitive ASCII comparison of field names (and other protocol tokens).
bool iequals(std::string_view a, std::string_view b);
std::string lower_ascii(std::string_view s);

// The field's value after the colon with line breaks of folding removed (RFC 5322 2.2.3),
// whitespace otherwise as written. Empty for a field without a colon.
std::string unfolded_value(const RawField& field);

// RFC 6376 3.4.2 "relaxed" header canonicalisation of one field: name in lower case,
// unfolded, every run of whitespace one space, none at the end of the value nor around
// the colon. "name:value", without the CRLF the signer appends.
std::string relaxed_header(std::string_view raw_field);

// The message without the fields for which `drop` returns true.
template <typename Drop>
std::string without_fields(std::string_view message, const HeaderBlock& header, Drop drop) {
  std::string out;
  out.reserve(message.size());
  size_t copied = 0;
  for (const RawField& f : header.fields) {
    if (!drop(f)) continue;
    out.append(message.substr(copied, f.begin - copied));
    copied = f.end;
  }
  out.append(message.substr(copied));
  return out;
}

}  // namespace mail::mailauth

namespace mail::mailauth {

// Length of the body after RFC 6376 body canonicalisation: "simple" (3.4.3: trailing
// empty lines removed, one CRLF at the end, "\r\n" for an empty body) or "relaxed" (3.4.4:
// whitespace at line ends removed, runs of whitespace one space, trailing empty lines
// removed, a CRLF added to a last line without one, an empty body stays empty). What a
// DKIM signature's l= is compared with.
size_t canonical_body_length(std::string_view body, bool relaxed);

// The body after "relaxed" canonicalisation (3.4.4, as above), handed to `out` in pieces
// (a line at a time) so that a signer hashes it without a copy of the body.
void relaxed_body(std::string_view body, const std::function<void(std::string_view)>& out);

}  // namespace mail::mailauth
