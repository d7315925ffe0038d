// SEARCH text matching; see search.h. The ASCII path compares the key's first and last
// bytes at 16 positions at once (SSE2) and checks the rest of each candidate with a
// case-insensitive compare; the Unicode path folds the text, then searches it.
#include "mime/search.h"

#include <algorithm>
#include <cstring>
#include <functional>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "mime/charset.h"
#include "mime/encoded_words.h"
#include "mime/header.h"
#include "mime/section.h"
#include "mime/unicode.h"

namespace mail::mime {

namespace {

constexpr std::string_view kKelvin = "\xE2\x84\xAA";  // U+212A, folds to "k"
constexpr std::string_view kLongS = "\xC5\xBF";       // U+017F, folds to "s"

inline unsigned char ascii_lower(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}
inline bool is_letter(unsigned char c) {
  return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

bool equal_ascii_icase(const char* a, const char* folded, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (ascii_lower(static_cast<unsigned char>(a[i])) != static_cast<unsigned char>(folded[i]))
      return false;
  return true;
}

bool contains(std::string_view hay, std::string_view needle) {
  return std::search(hay.begin(), hay.end(),
                     std::boyer_moore_horspool_searcher(needle.begin(), needle.end())) != hay.end();
}

// Whether a multi-byte sequence occurs, found by its lead byte with memchr (fast, and
// these lead bytes are rare in most text).
bool contains_sequence(std::string_view hay, std::string_view seq) {
  const char* p = hay.data();
  const char* end = hay.data() + hay.size();
  while ((p = static_cast<const char*>(memchr(p, seq[0], end - p))) != nullptr) {
    if (static_cast<size_t>(end - p) >= seq.size() && memcmp(p, seq.data(), seq.size()) == 0)
      return true;
    ++p;
  }
  return false;
}

}  // namespace

TextMatcher::TextMatcher(std::string_view key) : folded_(fold_case(key)) {
  for (unsigned char c : folded_) {
    if (c >= 0x80) ascii_ = false;
    if (c == 'k') has_k_ = true;
    if (c == 's') has_s_ = true;
  }
}

bool TextMatcher::find_ascii(std::string_view hay) const {
  const size_t n = folded_.size();
  if (n == 0) return true;
  if (hay.size() < n) return false;
  const char* key = folded_.data();
  const unsigned char first = static_cast<unsigned char>(key[0]);
  const unsigned char last = static_cast<unsigned char>(key[n - 1]);
  // A byte b matches a key letter L when (b | 0x20) == L; other key bytes match exactly.
  const unsigned char first_mask = is_letter(first) ? 0x20 : 0;
  const unsigned char last_mask = is_letter(last) ? 0x20 : 0;
  const char* p = hay.data();
  const char* end = hay.data() + hay.size() - n + 1;  // candidate starts are < end
#if defined(__SSE2__)
  const __m128i vf = _mm_set1_epi8(static_cast<char>(first));
  const __m128i vl = _mm_set1_epi8(static_cast<char>(last));
  const __m128i mf = _mm_set1_epi8(static_cast<char>(first_mask));
  const __m128i ml = _mm_set1_epi8(static_cast<char>(last_mask));
  while (end - p >= 16) {
    __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 1));
    __m128i eq = _mm_and_si128(_mm_cmpeq_epi8(_mm_or_si128(a, mf), vf),
                               _mm_cmpeq_epi8(_mm_or_si128(b, ml), vl));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(eq));
    while (mask != 0) {
      unsigned bit = static_cast<unsigned>(__builtin_ctz(mask));
      if (n <= 2 || equal_ascii_icase(p + bit + 1, key + 1, n - 2)) return true;
      mask &= mask - 1;
    }
    p += 16;
  }
#endif
  for (; p < end; ++p) {
    if ((static_cast<unsigned char>(p[0]) | first_mask) == first &&
        (static_cast<unsigned char>(p[n - 1]) | last_mask) == last &&
        (n <= 2 || equal_ascii_icase(p + 1, key + 1, n - 2)))
      return true;
  }
  return false;
}

bool TextMatcher::find_in_ascii_compatible(std::string_view bytes) const {
  return find_ascii(bytes);
}

bool TextMatcher::find_in(std::string_view text) const {
  if (folded_.empty()) return true;
  if (ascii_) {
    if (find_ascii(text)) return true;
    // Only U+212A and U+017F fold into ASCII letters; without them the ASCII pass is exact.
    bool exotic =
        (has_k_ && contains_sequence(text, kKelvin)) || (has_s_ && contains_sequence(text, kLongS));
    if (!exotic) return false;
  }
  return contains(fold_case(text), folded_);
}

namespace {

bool header_block_contains(std::string_view header, const TextMatcher& m) {
  if (header.find("=?") == std::string_view::npos) return m.find_in(header);
  // Encoded words: fields that have one are searched decoded ("Name: value"), the others
  // as they are.
  size_t pos = 0;
  std::string line;
  while (pos < header.size() && !is_header_end_line(header, pos)) {
    HeaderField f = read_header_field(header, pos);
    std::string_view raw = header.substr(f.begin, f.end - f.begin);
    if (raw.find("=?") == std::string_view::npos) {
      if (m.find_in(raw)) return true;
    } else {
      line.assign(f.name);
      line += ": ";
      line += decode_header_utf8(f.value);
      if (m.find_in(line)) return true;
    }
    pos = f.end;
  }
  return false;
}

// Whether a part's content is searched (Dovecot: text/*, message/*, no Content-Type).
bool searchable_content(const PartInfo& p) {
  if (p.is_multipart() || p.first_child >= 0) return false;  // covered by its children
  return p.type == "text" || p.type == "message";
}

bool content_contains(std::string_view message, const PartInfo& p, const TextMatcher& m) {
  std::string_view bytes = part_body(message, p);
  // Decoded octets go to a buffer kept per thread: no allocation per part.
  thread_local std::string decoded;
  if (p.encoding == TransferEncoding::kBase64 || p.encoding == TransferEncoding::kQuotedPrintable) {
    decoded.clear();
    if (p.encoding == TransferEncoding::kBase64)
      decode_base64(bytes, decoded);
    else
      decode_quoted_printable(bytes, decoded);
    bytes = decoded;
  }
  if (charset_is_utf8(p.charset)) return m.find_in(bytes);  // invalid bytes match nothing
  if (m.key_is_ascii() && charset_is_ascii_compatible(p.charset))
    return m.find_in_ascii_compatible(bytes);
  return m.find_in(to_utf8(p.charset, bytes));
}

bool parts_contain(std::string_view message, const MessageSummary& s, const TextMatcher& m,
                   bool headers) {
  for (const PartInfo& p : s.parts) {
    if (headers && header_block_contains(part_header(message, p), m)) return true;
    if (searchable_content(p) && content_contains(message, p, m)) return true;
  }
  return false;
}

}  // namespace

bool message_text_contains(std::string_view message, const MessageSummary& s,
                           const TextMatcher& m) {
  return parts_contain(message, s, m, true);
}

bool message_body_contains(std::string_view message, const MessageSummary& s,
                           const TextMatcher& m) {
  return parts_contain(message, s, m, false);
}

std::vector<std::string> decoded_header_values(std::string_view header, std::string_view name) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < header.size() && !is_header_end_line(header, pos)) {
    HeaderField f = read_header_field(header, pos);
    if (header_name_equals(f.name, name)) out.push_back(decode_header_utf8(f.value));
    pos = f.end;
  }
  return out;
}

bool header_field_contains(std::string_view message, const MessageSummary& s,
                           std::string_view field_name, const TextMatcher& m) {
  if (s.parts.empty()) return false;
  for (const std::string& v : decoded_header_values(part_header(message, s.parts[0]), field_name))
    if (m.find_in(v)) return true;
  return false;
}

std::string decoded_part_text(std::string_view message, const PartInfo& p) {
  std::string_view body = part_body(message, p);
  std::string bytes =
      p.encoding == TransferEncoding::kUnknown ? std::string(body) : decode_body(p.encoding, body);
  return to_utf8(p.charset, bytes);
}

}  // namespace mail::mime
