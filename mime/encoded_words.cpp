// RFC 2047 decoding; see encoded_words.h.
#include "mime/encoded_words.h"

#include <strings.h>

#include "mime/charset.h"
#include "mime/transfer_encoding.h"

namespace mail::mime {

namespace {

struct EncodedWord {
  std::string_view charset;
  char encoding = 0;
  std::string_view text;
  size_t length = 0;  // of the whole "=?...?=" token
};

// Parses the encoded word starting at s (which begins with "=?").
bool parse_encoded_word(std::string_view s, EncodedWord& w) {
  size_t q1 = s.find('?', 2);
  if (q1 == std::string_view::npos || q1 + 2 >= s.size() || s[q1 + 2] != '?') return false;
  char enc = s[q1 + 1];
  if (enc != 'b' && enc != 'B' && enc != 'q' && enc != 'Q') return false;
  size_t end = s.find("?=", q1 + 3);
  if (end == std::string_view::npos) return false;
  w.charset = s.substr(2, q1 - 2);
  size_t star = w.charset.find('*');  // RFC 2231 section 5: charset*language
  if (star != std::string_view::npos) w.charset = w.charset.substr(0, star);
  w.encoding = enc;
  w.text = s.substr(q1 + 3, end - q1 - 3);
  w.length = end + 2;
  return true;
}

bool only_whitespace(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  return true;
}

bool same_charset(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string decode_header_utf8(std::string_view value) {
  std::string out;
  std::string pending;  // decoded octets of adjacent words in pending_charset
  std::string_view pending_charset;
  auto flush = [&] {
    if (!pending.empty()) out += to_utf8(pending_charset, pending);
    pending.clear();
  };
  size_t start = 0;  // first byte not yet emitted
  size_t pos = 0;
  while (pos + 1 < value.size()) {
    if (value[pos] != '=' || value[pos + 1] != '?') {
      ++pos;
      continue;
    }
    EncodedWord w;
    if (!parse_encoded_word(value.substr(pos), w)) {
      ++pos;
      continue;
    }
    std::string_view between = value.substr(start, pos - start);
    // Whitespace after an encoded word and before the next one is dropped.
    if (!between.empty() && !(start > 0 && only_whitespace(between))) {
      flush();
      append_valid_utf8(out, between);
    }
    if (!pending.empty() && !same_charset(pending_charset, w.charset)) flush();
    pending_charset = w.charset;
    if (w.encoding == 'b' || w.encoding == 'B')
      decode_base64(w.text, pending);
    else
      decode_q(w.text, pending);
    pos += w.length;
    start = pos;
  }
  flush();
  append_valid_utf8(out, value.substr(start));
  return out;
}

}  // namespace mail::mime
