// IMAP string syntax (RFC 9051 section 4.3) for the FETCH data this library renders.
// The choices between quoted string and literal follow Dovecot 2.3 byte for byte, so the
// stored ENVELOPE and BODYSTRUCTURE equal what clients got from it:
// - a string is quoted unless it has CR, LF or 8-bit bytes, or more than four '"' / '\'
//   (then a literal is shorter);
// - "nolf" strings (dates, ids, descriptions) have CR/LF removed, with a space put in
//   where a line break was not followed by whitespace;
// - strings for humans (subject, display names) have each run of whitespace (CR, LF and
//   TAB included) collapsed to one space and trimmed at both ends; when anything had to
//   change, or there are 8-bit bytes, '"' or '\', they are sent as a literal (Dovecot's
//   choice: a literal needs no escaping).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mail::mime {

void append_imap_string(std::string& out, std::string_view s);
void append_imap_nstring(std::string& out, const std::optional<std::string>& s);
void append_imap_nstring_nolf(std::string& out, const std::optional<std::string>& s);
void append_imap_string_for_humans(std::string& out, std::string_view s);

}  // namespace mail::mime
