// IMAP string writers; see imap_string.h.
#include "mime/imap_string.h"

namespace mail::mime {

namespace {

// Past this many '"' and '\' a literal is shorter than escaping them.
constexpr int kMaxQuotedEscapes = 4;

void append_literal(std::string& out, std::string_view s) {
  out += '{';
  out += std::to_string(s.size());
  out += "}\r\n";
  out.append(s);
}

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

}  // namespace

void append_imap_string(std::string& out, std::string_view s) {
  int escapes = 0;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      if (++escapes > kMaxQuotedEscapes) return append_literal(out, s);
    } else if (c == '\r' || c == '\n' || u >= 0x80 || c == '\0') {
      return append_literal(out, s);
    }
  }
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void append_imap_nstring(std::string& out, const std::optional<std::string>& s) {
  if (!s)
    out += "NIL";
  else
    append_imap_string(out, *s);
}

void append_imap_nstring_nolf(std::string& out, const std::optional<std::string>& s) {
  if (!s || s->find_first_of("\r\n") == std::string::npos) return append_imap_nstring(out, s);
  std::string flat;
  flat.reserve(s->size());
  for (size_t i = 0; i < s->size(); ++i) {
    char c = (*s)[i];
    if (c != '\r' && c != '\n') {
      flat += c;
    } else if (i + 1 < s->size() && !is_ws((*s)[i + 1])) {
      flat += ' ';  // keep words on both sides of a line break apart
    }
  }
  append_imap_string(out, flat);
}

void append_imap_string_for_humans(std::string& out, std::string_view s) {
  bool modify = false, last_ws = true, ws_prefix = true;
  size_t removed = 0;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n' || c == '\t' || c == ' ') {
      if (c != ' ') modify = true;
      if (last_ws) {
        modify = true;
        ++removed;
      }
      last_ws = true;
    } else {
      if (c == '"' || c == '\\' || u >= 0x80 || c == '\0') modify = true;
      last_ws = false;
    }
    if (!last_ws) ws_prefix = false;
  }
  if (last_ws && !s.empty() && !ws_prefix) {
    modify = true;
    ++removed;
  }
  if (!modify) {
    out += '"';
    out.append(s);
    out += '"';
    return;
  }
  if (removed == s.size()) {
    out += "\"\"";  // only whitespace
    return;
  }
  std::string text;
  text.reserve(s.size() - removed);
  last_ws = true;
  ws_prefix = true;
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\t' || c == ' ') {
      if (!last_ws) text += ' ';
      last_ws = true;
    } else {
      text += c == '\0' ? '\x80' : c;
      last_ws = false;
    }
    if (!last_ws) ws_prefix = false;
  }
  if (last_ws && !s.empty() && !ws_prefix) text.pop_back();
  append_literal(out, text);
}

}  // namespace mail::mime
