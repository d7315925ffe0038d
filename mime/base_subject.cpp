// RFC 5256 section 2.1 steps (1) to (7); see base_subject.h. The text is in canonical
// (titlecase) form, so the ABNF's case-insensitive literals are matched in upper case.
#include "mime/base_subject.h"

#include "mime/encoded_words.h"
#include "mime/unicode.h"

namespace mail::mime {

namespace {

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

// (1) continued: tabs and line breaks are spaces, runs of spaces one space.
std::string pack_whitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool last_space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (!last_space) out += ' ';
      last_space = true;
    } else {
      out += c;
      last_space = false;
    }
  }
  return out;
}

// subj-blob = "[" *BLOBCHAR "]" *WSP; advances s past it.
bool remove_blob(std::string_view& s) {
  if (s.empty() || s[0] != '[') return false;
  size_t i = 1;
  while (i < s.size() && s[i] != '[' && s[i] != ']') ++i;
  if (i >= s.size() || s[i] != ']') return false;
  ++i;
  while (i < s.size() && s[i] == ' ') ++i;
  s.remove_prefix(i);
  return true;
}

// (2) subj-trailer = "(fwd)" / WSP, repeatedly from the end.
void remove_trailers(std::string_view& s, bool& refwd) {
  for (;;) {
    if (!s.empty() && s.back() == ' ') {
      s.remove_suffix(1);
    } else if (s.size() >= 5 && s.substr(s.size() - 5) == "(FWD)") {
      s.remove_suffix(5);
      refwd = true;
    } else {
      return;
    }
  }
}

// (3) subj-leader = (*subj-blob subj-refwd) / WSP
//     subj-refwd  = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
bool remove_leader(std::string_view& s, bool& refwd) {
  if (!s.empty() && s[0] == ' ') {
    s.remove_prefix(1);
    return true;
  }
  std::string_view t = s;
  while (!t.empty() && t[0] == '[')
    if (!remove_blob(t)) return false;
  if (starts_with(t, "RE"))
    t.remove_prefix(2);
  else if (starts_with(t, "FWD"))
    t.remove_prefix(3);
  else if (starts_with(t, "FW"))
    t.remove_prefix(2);
  else
    return false;
  while (!t.empty() && t[0] == ' ') t.remove_prefix(1);
  if (!t.empty() && t[0] == '[' && !remove_blob(t)) return false;
  if (t.empty() || t[0] != ':') return false;
  t.remove_prefix(1);
  s = t;
  refwd = true;
  return true;
}

// (4) a leading subj-blob, unless nothing would be left.
bool remove_blob_when_nonempty(std::string_view& s) {
  std::string_view t = s;
  if (!remove_blob(t) || t.empty()) return false;
  s = t;
  return true;
}

// (6) subj-fwd = "[fwd:" subject "]"
bool remove_fwd_wrapper(std::string_view& s, bool& refwd) {
  if (!starts_with(s, "[FWD:") || s.size() < 6 || s.back() != ']') return false;
  s.remove_prefix(5);
  s.remove_suffix(1);
  refwd = true;
  return true;
}

}  // namespace

BaseSubject base_subject(std::string_view raw) {
  BaseSubject result;
  // (1) decode encoded words to UTF-8; canonical form; whitespace packed.
  std::string text = pack_whitespace(unicode_casemap(decode_header_utf8(raw)));
  std::string_view s = text;
  do {
    remove_trailers(s, result.reply_or_forward);
    bool found;
    do {
      found = remove_leader(s, result.reply_or_forward);
      found = remove_blob_when_nonempty(s) || found;
    } while (found);  // (5)
  } while (remove_fwd_wrapper(s, result.reply_or_forward));
  result.text.assign(s);  // (7)
  return result;
}

}  // namespace mail::mime
