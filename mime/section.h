// FETCH BODY[section] and BINARY[section] data (RFC 9051 section 6.4.5, RFC 3516) cut
// from a stored message with the part table of its summary, without parsing it again.
// Input: the message bytes as stored and the summary made from them; ranges from a
// summary are clamped to the message, so a mismatched pair cannot read out of bounds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "mime/summary.h"

namespace mail::mime {

enum class SectionText : uint8_t {
  kPart,             // BODY[1.2] (or BODY[] with no part): the part's content
  kHeader,           // BODY[HEADER], BODY[2.HEADER]
  kHeaderFields,     // BODY[HEADER.FIELDS (...)]
  kHeaderFieldsNot,  // BODY[HEADER.FIELDS.NOT (...)]
  kText,             // BODY[TEXT], BODY[2.TEXT]
  kMime,             // BODY[1.2.MIME]
};

struct Section {
  std::vector<uint32_t> part;  // part number, e.g. {1, 2}; empty for the message itself
  SectionText text = SectionText::kPart;
  std::vector<std::string> fields;  // for the HEADER.FIELDS forms
};

// The index in summary.parts of the part a part number names, or -1 when there is none.
// An empty number names the message.
int find_part(const MessageSummary& summary, const std::vector<uint32_t>& number);

// The octets of a section. NotFound when the part does not exist or the text specifier
// does not apply to it (HEADER/TEXT need the message or a message/rfc822 part; MIME
// needs a part number). IMAP answers those with an empty string (RFC 9051 6.4.5).
Result<std::string> fetch_section(std::string_view message, const MessageSummary& summary,
                                  const Section& section);

// HEADER.FIELDS / HEADER.FIELDS.NOT over a header block: the matching fields as written
// (continuation lines included), then the empty line. Names compare case-insensitively.
std::string filter_header_fields(std::string_view header, const std::vector<std::string>& names,
                                 bool exclude);

// BINARY[part]: the part's content with its transfer encoding undone. Invalid with the
// message "UNKNOWN-CTE" when the encoding is not one RFC 2045 defines (NO [UNKNOWN-CTE],
// RFC 3516 section 4.3); NotFound for a missing part.
Result<std::string> fetch_binary(std::string_view message, const MessageSummary& summary,
                                 const std::vector<uint32_t>& part);

// The byte range [begin, end) of a part's header or body, clamped to the message.
std::string_view part_header(std::string_view message, const PartInfo& p);
std::string_view part_body(std::string_view message, const PartInfo& p);

// <origin.length> of FETCH BODY[]<partial>: empty when origin is past the end.
std::string_view partial(std::string_view data, uint64_t origin, uint64_t length);

}  // namespace mail::mime
