// iconv-based conversion to UTF-8; see charset.h. iconv descriptors are cached per thread
// (opening one costs a gconv module lookup) and reset before each use.
#include "mime/charset.h"

#include <errno.h>
#include <iconv.h>
#include <strings.h>

#include <array>
#include <cstring>

#include "mime/rfc822_tokens.h"

namespace mail::mime {

namespace {

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}
bool istarts(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

// Length of the valid UTF-8 sequence at s[0], or 0 when it is invalid (overlongs,
// surrogates and code points above U+10FFFF are invalid, RFC 3629).
size_t utf8_sequence_length(std::string_view s) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = b(0);
  if (c < 0x80) return 1;
  size_t n;
  unsigned min;
  unsigned cp;
  if ((c & 0xe0) == 0xc0) {
    n = 2, cp = c & 0x1f, min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3, cp = c & 0x0f, min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

struct CachedConverter {
  std::string charset;
  iconv_t cd = reinterpret_cast<iconv_t>(-1);
};

// A handful of descriptors per thread; the least recently opened one is replaced.
constexpr size_t kConverterCacheSize = 8;

iconv_t converter_for(std::string_view charset) {
  thread_local struct Cache {
    std::array<CachedConverter, kConverterCacheSize> slots;
    size_t next = 0;
    ~Cache() {
      for (auto& s : slots)
        if (s.cd != reinterpret_cast<iconv_t>(-1)) iconv_close(s.cd);
    }
  } cache;
  for (auto& s : cache.slots) {
    if (s.cd != reinterpret_cast<iconv_t>(-1) && iequal(s.charset, charset)) {
      iconv(s.cd, nullptr, nullptr, nullptr, nullptr);  // reset shift state
      return s.cd;
    }
  }
  std::string name(charset);
  if (name.find('\0') != std::string::npos || name.size() > 64)
    return reinterpret_cast<iconv_t>(-1);
  iconv_t cd = iconv_open("UTF-8", name.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return cd;
  auto& slot = cache.slots[cache.next];
  cache.next = (cache.next + 1) % kConverterCacheSize;
  if (slot.cd != reinterpret_cast<iconv_t>(-1)) iconv_close(slot.cd);
  slot.charset = name;
  slot.cd = cd;
  return cd;
}

}  // namespace

bool charset_is_utf8(std::string_view charset) {
  return iequal(charset, "utf-8") || iequal(charset, "utf8") || iequal(charset, "us-ascii") ||
         iequal(charset, "ascii") || charset.empty();
}

bool charset_is_ascii_compatible(std::string_view charset) {
  return charset_is_utf8(charset) || istarts(charset, "iso-8859-") ||
         istarts(charset, "iso8859-") || istarts(charset, "windows-125") ||
         istarts(charset, "cp125") || istarts(charset, "koi8-") || iequal(charset, "latin1");
}

bool is_valid_utf8(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size();) {
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t n = utf8_sequence_length(bytes.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void append_valid_utf8(std::string& out, std::string_view bytes) {
  size_t start = 0;
  for (size_t i = 0; i < bytes.size();) {
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t n = utf8_sequence_length(bytes.substr(i));
    if (n != 0) {
      i += n;
      continue;
    }
    out.append(bytes.substr(start, i - start));
    out.append(kReplacementChar);
    start = ++i;
  }
  out.append(bytes.substr(start));
}

std::string to_utf8(std::string_view charset, std::string_view bytes) {
  std::string out;
  if (charset_is_utf8(charset)) {
    append_valid_utf8(out, bytes);
    return out;
  }
  iconv_t cd = converter_for(charset);
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    append_valid_utf8(out, bytes);
    return out;
  }
  out.reserve(bytes.size() + bytes.size() / 2);
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char buf[4096];
  while (in_left > 0) {
    char* o = buf;
    size_t o_left = sizeof buf;
    size_t r = iconv(cd, &in, &in_left, &o, &o_left);
    out.append(buf, o - buf);
    if (r != static_cast<size_t>(-1)) continue;
    if (errno == E2BIG) continue;
    // EILSEQ or EINVAL (truncated sequence at the end): replace one byte and go on.
    out.append(kReplacementChar);
    ++in;
    --in_left;
    iconv(cd, nullptr, nullptr, nullptr, nullptr);
  }
  char* o = buf;
  size_t o_left = sizeof buf;
  iconv(cd, nullptr, nullptr, &o, &o_left);  // flush shift sequences (ISO-2022-JP)
  out.append(buf, o - buf);
  // glibc ignores stray bytes in charset names ("UtF\xd28" opens as UTF-8) and its UTF-8
  // to UTF-8 path passes some invalid sequences through: the result is checked, not trusted.
  if (!is_valid_utf8(out)) {
    std::string valid;
    append_valid_utf8(valid, out);
    return valid;
  }
  return out;
}

}  // namespace mail::mime
