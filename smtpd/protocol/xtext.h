// xtext (RFC 3461 section 4), the encoding of ESMTP parameter values that may hold any
// ASCII (ENVID, ORCPT, and AUTH= of RFC 4954), and the "utf-8" address forms of RFC 6533
// section 3 for ORCPT. Pure functions over untrusted bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mail::smtp {

// xtext = *( xchar / hexchar ); xchar = "!".."~" except "+" and "="; hexchar = "+" and two
// upper-case hex digits. Nothing (nullopt) when `text` is not valid xtext.
std::optional<std::string> xtext_decode(std::string_view text);

// The xtext form of any octets: "+" "=", controls, space and octets >= 0x80 become +XX.
std::string xtext_encode(std::string_view octets);

// The value of ORCPT=utf-8;<address> (RFC 6533 3): utf-8-addr-xtext without SMTPUTF8,
// utf-8-addr-unitext (raw UTF-8 allowed) with it. Both may carry "\x{HEX}" escapes (a
// Unicode scalar value, written out as UTF-8 here) and, for xtext, +XX hexchars. Nothing
// when the value is malformed, holds a control character, or decodes to invalid UTF-8.
std::optional<std::string> utf8_address_decode(std::string_view text, bool unitext);

}  // namespace mail::smtp
