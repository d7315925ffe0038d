// Base64 (RFC 4648) for SASL exchanges in SMTP AUTH, IMAP AUTHENTICATE and POP3 AUTH.
// decode() takes untrusted client text and refuses anything that is not canonical base64.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mail {

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace mail
