// Splitting a header section into fields and the RFC 6376 relaxed canonical form (see
// header_block.h).
#include "mailauth/header_block.h"

namespace mail::mailauth {
namespace {

bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}

// End of the line starting at pos: the index of its '\n', or size when unterminated.
size_t line_end(std::string_view s, size_t pos) {
  size_t nl = s.find('\n', pos);
  return nl == std::string_view::npos ? s.size() : nl;
}

// The line [pos, nl) without a CR before the LF.
size_t content_end(std::string_view s, size_t pos, size_t nl) {
  return (nl > pos && nl < s.size() && s[nl - 1] == '\r') ? nl - 1 : nl;
}

// RFC 5322 2.2: field-name = 1*ftext, printable US-ASCII except ':'.
std::string_view field_name(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return {};
  size_t end = colon;
  while (end > 0 && is_wsp(line[end - 1])) --end;  // obs-optional: WSP before the colon
  std::string_view name = line.substr(0, end);
  if (name.empty()) return {};
  for (char c : name)
    if (static_cast<unsigned char>(c) < 33 || static_cast<unsigned char>(c) > 126) return {};
  return name;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

HeaderBlock split_header(std::string_view message, size_t max_fields) {
  HeaderBlock block;
  size_t pos = 0;
  while (pos < message.size()) {
    size_t nl = line_end(message, pos);
    size_t content = content_end(message, pos, nl);
    if (content == pos) {  // the empty line: the body follows
      block.body_offset = nl < message.size() ? nl + 1 : message.size();
      return block;
    }
    // A field: this line and every continuation line (starting with WSP) after it.
    size_t field_begin = pos;
    size_t last_content = content;
    size_t next = nl < message.size() ? nl + 1 : message.size();
    while (next < message.size() && is_wsp(message[next])) {
      size_t nl2 = line_end(message, next);
      last_content = content_end(message, next, nl2);
      next = nl2 < message.size() ? nl2 + 1 : message.size();
    }
    if (block.fields.size() >= max_fields) {
      block.truncated = true;
    } else {
      RawField f;
      f.raw = message.substr(field_begin, last_content - field_begin);
      f.name = is_wsp(message[field_begin]) ? std::string_view{} : field_name(f.raw);
      f.begin = field_begin;
      f.end = next;
      block.fields.push_back(f);
    }
    pos = next;
  }
  block.body_offset = message.size();
  return block;
}

std::string unfolded_value(const RawField& field) {
  if (field.name.empty()) return {};
  std::string_view v = field.raw.substr(field.raw.find(':') + 1);
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\n' || (v[i] == '\r' && i + 1 < v.size() && v[i + 1] == '\n')) continue;
    out.push_back(v[i]);
  }
  return out;
}

std::string relaxed_header(std::string_view raw_field) {
  size_t colon = raw_field.find(':');
  std::string_view name = raw_field.substr(0, colon == std::string_view::npos ? 0 : colon);
  std::string_view value =
      colon == std::string_view::npos ? raw_field : raw_field.substr(colon + 1);
  std::string out;
  out.reserve(raw_field.size());
  // The name: lower case, whitespace around it removed (RFC 6376 3.4.2, last two steps).
  for (char c : name) {
    if (is_wsp(c) || c == '\r' || c == '\n') continue;
    out.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c);
  }
  out.push_back(':');
  // The value: unfold, runs of WSP to one SP, none at either end.
  bool pending_space = false;
  bool started = false;
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\n') continue;  // a line break of folding (CRLF, or a bare LF)
    if (c == '\r' && i + 1 < value.size() && value[i + 1] == '\n') continue;
    if (is_wsp(c)) {
      pending_space = started;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    started = true;
    out.push_back(c);
  }
  return out;
}

}  // namespace mail::mailauth

namespace mail::mailauth {

void relaxed_body(std::string_view body, const std::function<void(std::string_view)>& out) {
  size_t pending = 0;  // empty lines seen since the last non-empty one
  size_t pos = 0;
  std::string line_out;
  while (pos < body.size()) {
    size_t nl = body.find("\r\n", pos);
    bool terminated = nl != std::string_view::npos;
    if (!terminated) nl = body.size();
    std::string_view line = body.substr(pos, nl - pos);
    pos = terminated ? nl + 2 : body.size();
    line_out.clear();
    bool space = false;
    for (char c : line) {
      if (c == ' ' || c == '\t') {  // a run of whitespace becomes one space...
        space = true;
        continue;
      }
      if (space) line_out.push_back(' ');
      space = false;
      line_out.push_back(c);
    }
    // ...unless it ends the line: a `space` still pending is dropped.
    if (line_out.empty()) {
      ++pending;  // written only if a non-empty line follows
      continue;
    }
    for (; pending > 0; --pending) out("\r\n");
    line_out += "\r\n";  // also added to an unterminated last line
    out(line_out);
  }
}

size_t canonical_body_length(std::string_view body, bool relaxed) {
  if (!relaxed) {
    size_t e = body.size();
    while (e >= 2 && body[e - 2] == '\r' && body[e - 1] == '\n') e -= 2;
    return e + 2;
  }
  size_t total = 0;
  relaxed_body(body, [&](std::string_view chunk) { total += chunk.size(); });
  return total;
}

}  // namespace mail::mailauth
