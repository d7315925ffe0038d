#include "imapd/message_sections.h"

#include <algorithm>
#include <cctype>
#include <ctime>

namespace mail::imapd {

std::string_view header_section(std::string_view message, uint32_t header_size) {
  return message.substr(0, std::min<size_t>(header_size, message.size()));
}

std::string_view text_section(std::string_view message, uint32_t header_size) {
  return message.substr(std::min<size_t>(header_size, message.size()));
}

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string header_fields(std::string_view header, const std::vector<std::string>& names,
                          bool exclude) {
  std::string out;
  size_t pos = 0;
  bool keep = false;  // whether the field being walked (with its continuations) is kept
  while (pos < header.size()) {
    size_t eol = header.find('\n', pos);
    size_t next = eol == std::string_view::npos ? header.size() : eol + 1;
    std::string_view line = header.substr(pos, next - pos);
    if (line == "\r\n" || line == "\n") break;  // the blank line ending the header
    if (line[0] == ' ' || line[0] == '\t') {
      if (keep) out.append(line);
    } else {
      size_t colon = line.find(':');
      std::string_view name =
          colon == std::string_view::npos ? std::string_view() : line.substr(0, colon);
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      bool listed = std::any_of(names.begin(), names.end(),
                                [&](const std::string& n) { return iequals(n, name); });
      keep = !name.empty() && (listed != exclude);
      if (keep) out.append(line);
    }
    pos = next;
  }
  out.append("\r\n");
  return out;
}

std::string_view partial(std::string_view data, uint32_t offset, uint32_t length) {
  if (offset >= data.size()) return {};
  return data.substr(offset, length);
}

std::string internal_date(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02d-%s-%04d %02d:%02d:%02d +0000", tm.tm_mday, months[tm.tm_mon],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

}  // namespace mail::imapd
