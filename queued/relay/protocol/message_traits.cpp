#include "queued/relay/protocol/message_traits.h"

#include <cctype>

namespace mail::relay {
namespace {

bool ieq_prefix(std::string_view line, std::string_view name) {
  if (line.size() < name.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  }
  return true;
}

// The field name "Received" followed by optional white space and ':' (RFC 5322 3.6.7
// obs-optional allows WSP before the colon).
bool is_received_field(std::string_view line) {
  if (!ieq_prefix(line, "received")) return false;
  size_t i = 8;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  return i < line.size() && line[i] == ':';
}

}  // namespace

bool is_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

std::string_view header_section(std::string_view content) {
  size_t pos = 0;
  while (pos < content.size()) {
    size_t lf = content.find('\n', pos);
    if (lf == std::string_view::npos) return content;  // no body at all
    std::string_view line = content.substr(pos, lf - pos);
    if (line.empty() || line == "\r") return content.substr(0, pos);
    pos = lf + 1;
  }
  return content;
}

MessageTraits inspect_message(std::string_view content) {
  MessageTraits t;
  const std::string_view headers = header_section(content);
  t.header_size = headers.size();
  t.non_ascii_headers = !is_ascii(headers);
  t.eight_bit = t.non_ascii_headers || !is_ascii(content.substr(headers.size()));
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t lf = headers.find('\n', pos);
    if (lf == std::string_view::npos) lf = headers.size();
    if (is_received_field(headers.substr(pos, lf - pos))) ++t.received_fields;
    pos = lf + 1;
  }
  return t;
}

std::string dot_stuff(std::string_view content) {
  std::string out;
  out.reserve(content.size() + content.size() / 64 + 8);
  bool line_start = true;
  for (size_t i = 0; i < content.size(); ++i) {
    const char c = content[i];
    if (c == '\r' || c == '\n') {
      out += "\r\n";
      if (c == '\r' && i + 1 < content.size() && content[i + 1] == '\n') ++i;
      line_start = true;
      continue;
    }
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = false;
  }
  if (!line_start) out += "\r\n";  // the last line had no end
  out += ".\r\n";
  return out;
}

}  // namespace mail::relay
