// Tag=value lists (RFC 6376 3.2): the syntax of DKIM-Signature fields, DKIM key records
// and (RFC 7489 6.4) DMARC records. Pure; input is untrusted text (an unfolded or
// relaxed field value, or a TXT record).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mail::mailauth {

struct Tag {
  std::string name;   // as written (tag names are case-sensitive, RFC 6376 3.2)
  std::string value;  // leading and trailing whitespace removed, inner whitespace kept
};

// nullopt when the list is malformed: a tag name that is not ALPHA *(ALPHA / DIGIT / "_"),
// a missing "=", a value with characters outside VALCHAR and whitespace, or a tag given
// twice (RFC 6376 3.2: "Tags with duplicate names MUST NOT occur"). An empty list is valid.
std::optional<std::vector<Tag>> parse_tag_list(std::string_view text);

// The value of `name`, or nullopt.
std::optional<std::string> tag_value(const std::vector<Tag>& tags, std::string_view name);

// `value` without any whitespace (base64 tags such as b=, bh= and p= may be folded).
std::string without_whitespace(std::string_view value);

}  // namespace mail::mailauth
