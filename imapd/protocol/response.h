// Reply formatting helpers (RFC 9051 section 7): strings in their safest wire form, flag
// lists, FETCH item names and status responses. Input: server-side values; client-derived
// text (e.g. a tag) is assumed to come from parse_command and so be syntactically valid.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imapd/protocol/command.h"

namespace mail::imap {

// An astring: an atom when every byte is ASTRING-CHAR (and it is not "NIL"), else a quoted
// string when it has no CR, LF or NUL (and no 8-bit bytes unless utf8 is true, RFC 9051
// section 4.3 / RFC 6855), else a literal "{n}\r\n" + bytes.
std::string format_astring(std::string_view s, bool utf8 = false);
// A string: quoted if safe, else a literal; never an atom.
std::string format_string(std::string_view s, bool utf8 = false);
// An nstring: NIL for nullopt.
std::string format_nstring(const std::optional<std::string>& s, bool utf8 = false);

// "(\Seen $Junk)"
std::string format_flags(const std::vector<std::string>& flags);

// The name a FETCH response uses for an item: "BODY[HEADER.FIELDS (From To)]<0>", "UID", ...
// PEEK is dropped and a partial shows only its origin (RFC 9051 section 7.5.2).
std::string fetch_item_name(const FetchItem& item);

enum class Status { Ok, No, Bad, Bye, Preauth };

// "A1 OK [READ-WRITE] SELECT completed\r\n"; an empty code is omitted. code is the text
// inside the brackets.
std::string format_tagged(std::string_view tag, Status status, std::string_view code,
                          std::string_view text);
// "* OK [UIDVALIDITY 3] UIDs valid\r\n"
std::string format_untagged_status(Status status, std::string_view code, std::string_view text);
// "+ text\r\n"
std::string format_continuation(std::string_view text);

}  // namespace mail::imap
