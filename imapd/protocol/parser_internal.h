// Grammar pieces shared by the argument parsers (parse_args.cpp, parse_fetch.cpp,
// parse_append.cpp). Not a public API. Input: untrusted bytes via Reader.
#pragma once

#include <optional>

#include "imapd/protocol/command.h"
#include "imapd/protocol/reader.h"

namespace mail::imap::detail {

// sequence-set at the reader's position.
std::optional<SequenceSet> read_sequence_set(Reader& r);

// fetch-att at the reader's position, appended to `out`; `macros_allowed`: ALL, FAST and
// FULL too (expanded).
bool read_fetch_att(Reader& r, std::vector<FetchItem>& out, bool macros_allowed);

// Keeps the first of each item named more than once (a non-PEEK twin wins over PEEK).
void remove_duplicate_items(std::vector<FetchItem>& items);

// date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
std::optional<DateTime> read_date_time(Reader& r);

}  // namespace mail::imap::detail
