// Conversion of text in a named charset to UTF-8 (glibc iconv). Input: untrusted bytes
// and an untrusted charset name. Invalid sequences become U+FFFD; an unknown charset
// yields the input with every byte that is not valid UTF-8 replaced, so ASCII survives.
#pragma once

#include <string>
#include <string_view>

namespace mail::mime {

// True for the names of UTF-8 and of US-ASCII (a subset of it).
bool charset_is_utf8(std::string_view charset);
// True when the charset is known to encode ASCII as ASCII and nothing else as bytes
// below 0x80 (UTF-8, ISO-8859-*, windows-125*, KOI8-*...): an ASCII needle can be
// searched in such bytes without converting them.
bool charset_is_ascii_compatible(std::string_view charset);

// `bytes` converted from `charset` to UTF-8. An empty charset means US-ASCII.
std::string to_utf8(std::string_view charset, std::string_view bytes);
// Appends `bytes` to out with invalid UTF-8 sequences replaced by U+FFFD.
void append_valid_utf8(std::string& out, std::string_view bytes);
bool is_valid_utf8(std::string_view bytes);

}  // namespace mail::mime
