// The results of SEARCH, SORT and THREAD's siblings on the wire: "* SEARCH 1 2 3 (MODSEQ
// n)" and "* SORT ..." (RFC 3501 section 7.2.5, RFC 5256 section 4, RFC 7162 section
// 3.1.5) or "* ESEARCH (TAG "t") UID MIN n MAX n ALL set COUNT n MODSEQ n" (RFC 4731
// section 3.1, RFC 5267 ESORT, RFC 9051 section 7.3.4), and which matches a SAVE keeps
// (RFC 5182 section 2.4). Pure: writes through a ResponseWriter.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "imapd/protocol/response_writer.h"
#include "imapd/search/query.h"

namespace mail::imapd {

// One result: its number on the wire (UID or sequence number) and its MODSEQ.
struct ResultEntry {
  uint32_t id = 0;
  uint64_t modseq = 0;
};

// "* SEARCH ..." or "* SORT ...": every id in order, then (MODSEQ n), the highest MODSEQ
// of the results, when `with_modseq` and there is a result.
void write_plain_result(imap::ResponseWriter& out, std::string_view name,
                        std::span<const ResultEntry> results, bool with_modseq);

// "* ESEARCH ..." for `ret`; `results` in result order (ascending for SEARCH, sort order
// for SORT: MIN is then the first, MAX the last, and ALL keeps the order). Nothing at all
// when SAVE is the only option (RFC 5182 section 2.4).
void write_esearch(imap::ResponseWriter& out, std::string_view tag, bool uid,
                   const search::ReturnOptions& ret, std::span<const ResultEntry> results,
                   bool with_modseq);

// A sequence set in the given order: runs of consecutive ascending numbers folded
// ("3:4,2"); empty for no numbers.
std::string ordered_set(std::span<const uint32_t> ids);

// The indexes into `count` results that PARTIAL `range` names (RFC 5267 section 4.4).
std::vector<size_t> partial_entries(const search::PartialRange& range, size_t count);

// The indexes into `results` a SAVE keeps: all of them, or only the MIN and MAX ones when
// those are asked for without ALL or COUNT.
std::vector<size_t> saved_entries(const search::ReturnOptions& ret, size_t count);

}  // namespace mail::imapd
