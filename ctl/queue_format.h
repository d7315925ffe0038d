// How mailctl shows queued messages: one line per message for `queue list`, a block for
// `queue show`, and JSON objects for --json (nlohmann::json). Envelope text (addresses,
// remote replies, headers) is untrusted: in text output control bytes are masked so a
// hostile reply cannot drive the administrator's terminal; JSON escapes them and replaces
// invalid UTF-8.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "queue/spool.h"

namespace mail::ctl {

std::string printable(std::string_view s);
// "45s", "12m", "3h04m", "2d05h": the two largest units.
std::string format_age(int64_t seconds);
// "812B", "1.2K", "3.4M".
std::string format_size(uint64_t bytes);
// "2026-12-01 13:40:00Z", or "-" for 0.
std::string format_time(int64_t epoch);
const char* state_name(queue::Recipient::State state);

// 661E... 45s 1.2K <a@example.org> -> b@example.net (pending, 2 attempts, "451 ...")
std::string list_line(const queue::Envelope& e, int64_t now);
// Several lines: the envelope, each recipient, then the header section of the content.
std::string show_text(const queue::Envelope& e, std::string_view headers, int64_t now);
// The envelope as JSON (the same object in list and show); show adds "headers".
nlohmann::json envelope_json(const queue::Envelope& e, int64_t now);
// The dump of `j` with invalid UTF-8 replaced (never throws on hostile bytes).
std::string dump_json(const nlohmann::json& j);

// The header section of a message: everything before the first empty line.
std::string_view header_section(std::string_view content);

}  // namespace mail::ctl
