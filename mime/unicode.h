// UTF-8 text transformations for comparing strings the way IMAP asks: simple case
// folding (SEARCH, RFC 9051 section 6.4.4 "case-insensitive") and the RFC 5051
// i;unicode-casemap canonical form (titlecase, then compatibility decomposition) that
// RFC 5256 SORT and THREAD compare base subjects in. Input: any bytes; invalid UTF-8
// sequences become U+FFFD.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mail::mime {

// Decodes the code point at s[pos] and advances pos; U+FFFD (one byte) when invalid.
uint32_t next_code_point(std::string_view s, size_t& pos);
void append_utf8(std::string& out, uint32_t cp);

uint32_t simple_fold(uint32_t cp);
uint32_t simple_titlecase(uint32_t cp);

// Every code point replaced by its simple case folding (ASCII is lower-cased).
std::string fold_case(std::string_view utf8);
// RFC 5051 section 2: titlecase each code point, then decompose fully (NFKD).
std::string unicode_casemap(std::string_view utf8);

}  // namespace mail::mime
