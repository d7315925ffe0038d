// FETCH BODY derived from FETCH BODYSTRUCTURE: the same structure without the extension
// data (RFC 9051 section 7.5.2: body-ext-1part / body-ext-mpart). Lets the summary blob
// keep one of the two strings. Input: a BODYSTRUCTURE value as render_body_structure
// writes it (but anything else only makes this return nullopt).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mail::mime {

std::optional<std::string> body_from_bodystructure(std::string_view bodystructure);

}  // namespace mail::mime
