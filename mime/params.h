// Content-Type, Content-Disposition, Content-Transfer-Encoding and Content-Language
// values (RFC 2045 section 5, RFC 2183, RFC 3282) with RFC 2231 parameter continuations.
// Input: an unfolded header value (any bytes). Nothing fails: broken input yields what
// could be read, the way Dovecot reads it, because BODYSTRUCTURE must show the same.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/rfc822_tokens.h"

namespace mail::mime {

struct Param {
  std::string name;
  std::string value;
  bool operator==(const Param&) const = default;
};

// The parameters after the cursor (";" name "=" value ...). RFC 2231 continuations
// (name*0, name*1*, ...) are merged into one "name" or "name*" parameter whose extended
// value stays charset'language'percent-encoded (as BODYSTRUCTURE shows it); plain
// parameters come first in their order, merged ones after, sorted by name. Returns false
// when something was skipped as broken.
bool parse_params(Rfc822Tokens& tokens, std::vector<Param>& out);

struct ContentType {
  std::string type;     // as written ("TEXT" stays upper case); "" when unreadable
  std::string subtype;  // "" when missing
  std::vector<Param> params;
  bool valid = false;  // "type/subtype" followed by nothing or ";"
};
ContentType parse_content_type(std::string_view value);

struct Disposition {
  std::string value;  // may be "" (Dovecot keeps an empty token)
  std::vector<Param> params;
};
// nullopt when the value is unreadable (an unclosed comment).
std::optional<Disposition> parse_content_disposition(std::string_view value);
// The single token of a Content-Transfer-Encoding value; nullopt if anything else follows.
std::optional<std::string> parse_content_transfer_encoding(std::string_view value);
// Content-Language: 1#Language-tag, as atoms.
std::vector<std::string> parse_content_language(std::string_view value);

// The multipart boundary of a Content-Type value, truncated to kMaxBoundaryLength.
inline constexpr size_t kMaxBoundaryLength = 80;

// A parameter's value for display or matching, in UTF-8: "name*" (RFC 2231 extended:
// charset'language'%XX) is decoded and converted; a plain "name" value has RFC 2047
// encoded words decoded (common in the wild for filenames). nullopt when absent.
std::optional<std::string> param_value_utf8(const std::vector<Param>& params,
                                            std::string_view name);

}  // namespace mail::mime
