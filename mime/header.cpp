// Header block parsing; see header.h.
#include "mime/header.h"

#include <strings.h>

#include <cstring>

namespace mail::mime {

namespace {

bool is_lwsp(char c) {
  return c == ' ' || c == '\t';
}

}  // namespace

bool header_name_equals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool is_header_end_line(std::string_view msg, size_t pos) {
  if (pos >= msg.size()) return false;
  if (msg[pos] == '\n') return true;
  return msg[pos] == '\r' && pos + 1 < msg.size() && msg[pos + 1] == '\n';
}

HeaderField read_header_field(std::string_view msg, size_t pos) {
  HeaderField f;
  f.begin = pos;
  bool first = true;
  size_t colon = std::string_view::npos;
  for (;;) {
    const char* lf = static_cast<const char*>(memchr(msg.data() + pos, '\n', msg.size() - pos));
    size_t line_end = lf ? static_cast<size_t>(lf - msg.data()) : msg.size();
    size_t content_end = line_end;
    f.newline_size = 0;
    if (lf) {
      f.newline_size = 1;
      if (content_end > pos && msg[content_end - 1] == '\r') {
        --content_end;
        f.newline_size = 2;
      }
    }
    std::string_view line = msg.substr(pos, content_end - pos);
    if (first) {
      // The name ends at the first ':' (a LF would end the line first).
      colon = line.find(':');
      if (colon == std::string_view::npos) {
        f.value.assign(line);
      } else {
        size_t name_end = colon;
        while (name_end > 0 && is_lwsp(line[name_end - 1])) --name_end;
        std::string_view value = line.substr(colon + 1);
        size_t skip = 0;
        while (skip < value.size() && is_lwsp(value[skip])) ++skip;
        if (skip == value.size() && !value.empty()) skip = 1;  // only whitespace: drop one
        if (name_end > kMaxHeaderNameLength) {
          f.value.assign(line);  // absurd name: the whole line is value
        } else {
          f.name = line.substr(0, name_end);
          f.value.assign(value.substr(skip));
        }
      }
      first = false;
    } else {
      f.value.push_back('\n');
      f.value.append(line);
    }
    pos = lf ? line_end + 1 : msg.size();
    if (pos >= msg.size() || !is_lwsp(msg[pos])) break;  // no continuation line follows
  }
  f.end = pos;
  return f;
}

std::vector<HeaderField> parse_header_block(std::string_view header) {
  std::vector<HeaderField> fields;
  size_t pos = 0;
  while (pos < header.size() && !is_header_end_line(header, pos)) {
    fields.push_back(read_header_field(header, pos));
    pos = fields.back().end;
  }
  return fields;
}

std::optional<std::string> find_first_field(std::string_view header, std::string_view name) {
  size_t pos = 0;
  while (pos < header.size() && !is_header_end_line(header, pos)) {
    HeaderField f = read_header_field(header, pos);
    if (header_name_equals(f.name, name)) return std::move(f.value);
    pos = f.end;
  }
  return std::nullopt;
}

std::optional<std::string> find_last_field(std::string_view header, std::string_view name) {
  std::optional<std::string> found;
  size_t pos = 0;
  while (pos < header.size() && !is_header_end_line(header, pos)) {
    HeaderField f = read_header_field(header, pos);
    if (header_name_equals(f.name, name)) found = std::move(f.value);
    pos = f.end;
  }
  return found;
}

size_t header_section_end(std::string_view msg, size_t begin) {
  size_t pos = begin;
  while (pos < msg.size()) {
    if (msg[pos] == '\n') return pos + 1;
    if (msg[pos] == '\r' && pos + 1 < msg.size() && msg[pos + 1] == '\n') return pos + 2;
    const char* lf = static_cast<const char*>(memchr(msg.data() + pos, '\n', msg.size() - pos));
    if (!lf) return msg.size();
    pos = static_cast<size_t>(lf - msg.data()) + 1;
  }
  return msg.size();
}

}  // namespace mail::mime
