// Pieces of the command parser shared between parser.cpp and parse_fetch.cpp / parse_append.cpp.
// Not a public API. Input: untrusted bytes via Reader.
#pragma once

#include <optional>

#include "imapd/protocol/command.h"
#include "imapd/protocol/reader.h"

namespace mail::imap::detail {

// sequence-set at the reader's position.
std::optional<SequenceSet> read_sequence_set(Reader& r);

// Arguments after the command name (each starts by reading its leading SP).
bool parse_fetch(Reader& r, Command& cmd);
bool parse_store(Reader& r, Command& cmd);
bool parse_append(Reader& r, Command& cmd);

// date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
std::optional<DateTime> read_date_time(Reader& r);

}  // namespace mail::imap::detail
