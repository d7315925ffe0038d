// UTF-8 folding and the i;unicode-casemap canonical form; see unicode.h.
#include "mime/unicode.h"

#include <algorithm>

#include "mime/unicode_data.h"

namespace mail::mime {

namespace ud = unicode_data;

namespace {

uint32_t lookup(const ud::CodePointMap* table, size_t count, uint32_t cp) {
  const ud::CodePointMap* end = table + count;
  const ud::CodePointMap* it = std::lower_bound(
      table, end, cp, [](const ud::CodePointMap& m, uint32_t v) { return m.from < v; });
  return it != end && it->from == cp ? it->to : cp;
}

void append_decomposed(std::string& out, uint32_t cp) {
  // Hangul syllables decompose algorithmically (Unicode section 3.12).
  constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
  constexpr uint32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount;
  if (cp >= kSBase && cp < kSBase + kLCount * kNCount) {
    uint32_t s = cp - kSBase;
    append_utf8(out, kLBase + s / kNCount);
    append_utf8(out, kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) append_utf8(out, kTBase + s % kTCount);
    return;
  }
  const ud::Decomposition* end = ud::kDecompositions + ud::kDecompositionCount;
  const ud::Decomposition* it =
      std::lower_bound(ud::kDecompositions, end, cp,
                       [](const ud::Decomposition& d, uint32_t v) { return d.code_point < v; });
  if (it == end || it->code_point != cp) {
    append_utf8(out, cp);
    return;
  }
  for (uint32_t i = 0; i < it->length; ++i)
    append_utf8(out, ud::kDecompositionPool[it->offset + i]);
}

}  // namespace

uint32_t next_code_point(std::string_view s, size_t& pos) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = b(pos);
  if (c < 0x80) {
    ++pos;
    return c;
  }
  size_t n;
  uint32_t cp, min;
  if ((c & 0xe0) == 0xc0) {
    n = 2, cp = c & 0x1f, min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3, cp = c & 0x0f, min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4, cp = c & 0x07, min = 0x10000;
  } else {
    ++pos;
    return 0xfffd;
  }
  if (pos + n > s.size()) {
    ++pos;
    return 0xfffd;
  }
  for (size_t i = 1; i < n; ++i) {
    if ((b(pos + i) & 0xc0) != 0x80) {
      ++pos;
      return 0xfffd;
    }
    cp = (cp << 6) | (b(pos + i) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    ++pos;
    return 0xfffd;
  }
  pos += n;
  return cp;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

uint32_t simple_fold(uint32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  return lookup(ud::kSimpleFold, ud::kSimpleFoldCount, cp);
}

uint32_t simple_titlecase(uint32_t cp) {
  if (cp < 0x80) return (cp >= 'a' && cp <= 'z') ? cp - 32 : cp;
  return lookup(ud::kSimpleTitle, ud::kSimpleTitleCount, cp);
}

std::string fold_case(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[pos]);
    if (c < 0x80) {
      out += static_cast<char>((c >= 'A' && c <= 'Z') ? c + 32 : c);
      ++pos;
      continue;
    }
    append_utf8(out, simple_fold(next_code_point(s, pos)));
  }
  return out;
}

std::string unicode_casemap(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[pos]);
    if (c < 0x80) {
      out += static_cast<char>((c >= 'a' && c <= 'z') ? c - 32 : c);
      ++pos;
      continue;
    }
    append_decomposed(out, simple_titlecase(next_code_point(s, pos)));
  }
  return out;
}

}  // namespace mail::mime
