// MIME header values with RFC 2231 parameters; see params.h.
#include "mime/params.h"

#include <algorithm>

#include "common/ascii.h"
#include "mime/charset.h"
#include "mime/encoded_words.h"

namespace mail::mime {

namespace {

struct Rfc2231Piece {
  std::string key;
  std::string value;
  unsigned index = 0;
  bool extended = false;
};

void append_percent_escaped(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '%')
      out += "%25";
    else
      out.push_back(c);
  }
}

}  // namespace

bool parse_params(Rfc822Tokens& tokens, std::vector<Param>& out) {
  // RFC 2231 section 3: name*<n>[*]=value pieces are collected, then merged per name.
  // A NUL inside a quoted value becomes U+FFFD.
  tokens.replace_nul(true);
  std::vector<Rfc2231Piece> pieces;
  std::string key, value;
  bool broken = false;
  unsigned index = 0;  // deliberately kept across pieces: "name*" reuses the last index
  int ret;
  while ((ret = tokens.parse_content_param(key, value)) != 0) {
    if (ret < 0) {
      broken = true;
      if (tokens.at_end()) break;
      tokens.advance();
      continue;
    }
    size_t star = key.find('*');
    bool piece = false;
    if (star != std::string::npos) {
      size_t p = star;
      if (p + 1 < key.size()) {
        ++p;
        index = 0;
        while (p < key.size() && key[p] >= '0' && key[p] <= '9')
          index = index * 10 + (key[p++] - '0');
      }
      bool extended = p < key.size() && key[p] == '*';
      if (extended) ++p;
      if (p >= key.size()) {
        pieces.push_back({key.substr(0, star), value, index, extended});
        piece = true;
      }
    }
    if (!piece) out.push_back({key, value});
  }
  tokens.replace_nul(false);
  if (pieces.empty()) return !broken;

  std::stable_sort(pieces.begin(), pieces.end(), [](const auto& a, const auto& b) {
    int c = a.key.compare(b.key);
    return c != 0 ? c < 0 : a.index < b.index;
  });
  for (size_t i = 0, next; i < pieces.size(); i = next) {
    bool complete = true, have_extended = false;
    unsigned expect = 0;
    for (next = i; next < pieces.size() && ascii::iequals(pieces[i].key, pieces[next].key);
         ++next) {
      if (pieces[next].index != expect) complete = false;
      if (pieces[next].extended) have_extended = true;
      ++expect;
    }
    if (!complete) {
      // Missing pieces: keep each as it was written.
      for (size_t j = i; j < next; ++j) {
        std::string name = pieces[j].key + "*" + std::to_string(pieces[j].index);
        if (pieces[j].extended) name += "*";
        out.push_back({std::move(name), pieces[j].value});
      }
      continue;
    }
    std::string merged;
    if (!pieces[i].extended && have_extended) merged = "''";
    for (size_t j = i; j < next; ++j) {
      if (!pieces[j].extended && have_extended)
        append_percent_escaped(merged, pieces[j].value);
      else
        merged += pieces[j].value;
    }
    out.push_back({have_extended ? pieces[i].key + "*" : pieces[i].key, std::move(merged)});
  }
  return !broken;
}

ContentType parse_content_type(std::string_view value) {
  ContentType ct;
  Rfc822Tokens tokens(value);
  tokens.skip_lwsp();
  std::string both;
  int ret = tokens.parse_content_type(both);
  size_t slash = both.find('/');
  if (slash == std::string::npos) {
    ct.type = both;
  } else {
    ct.type = both.substr(0, slash);
    ct.subtype = both.substr(slash + 1);
  }
  if (ret < 0) return ct;
  ct.valid = true;
  parse_params(tokens, ct.params);
  return ct;
}

std::optional<Disposition> parse_content_disposition(std::string_view value) {
  Rfc822Tokens tokens(value);
  tokens.skip_lwsp();
  Disposition d;
  if (tokens.parse_mime_token(d.value) < 0) return std::nullopt;
  parse_params(tokens, d.params);
  return d;
}

std::optional<std::string> parse_content_transfer_encoding(std::string_view value) {
  Rfc822Tokens tokens(value);
  tokens.skip_lwsp();
  std::string token;
  if (tokens.parse_mime_token(token) >= 0 && tokens.skip_lwsp() == 0 && !token.empty())
    return token;
  return std::nullopt;
}

std::vector<std::string> parse_content_language(std::string_view value) {
  std::vector<std::string> langs;
  Rfc822Tokens tokens(value);
  tokens.skip_lwsp();
  std::string atom;
  while (tokens.parse_atom(atom) >= 0) {
    langs.push_back(atom);
    atom.clear();
    if (tokens.peek() != ',' || tokens.at_end()) break;
    tokens.advance();
    tokens.skip_lwsp();
  }
  return langs;
}

std::optional<std::string> param_value_utf8(const std::vector<Param>& params,
                                            std::string_view name) {
  for (const Param& p : params) {
    if (p.name.size() == name.size() + 1 && p.name.back() == '*' &&
        ascii::iequals(std::string_view(p.name).substr(0, name.size()), name)) {
      // RFC 2231 section 4: charset'language'value with %XX octets.
      size_t q1 = p.value.find('\'');
      size_t q2 = q1 == std::string::npos ? std::string::npos : p.value.find('\'', q1 + 1);
      if (q2 == std::string::npos) return decode_header_utf8(p.value);
      std::string charset = p.value.substr(0, q1);
      std::string bytes;
      for (size_t i = q2 + 1; i < p.value.size(); ++i) {
        int hi, lo;
        if (p.value[i] == '%' && i + 2 < p.value.size() &&
            (hi = ascii::hex_value(p.value[i + 1])) >= 0 &&
            (lo = ascii::hex_value(p.value[i + 2])) >= 0) {
          bytes.push_back(static_cast<char>(hi * 16 + lo));
          i += 2;
        } else {
          bytes.push_back(p.value[i]);
        }
      }
      return to_utf8(charset.empty() ? std::string_view("us-ascii") : charset, bytes);
    }
  }
  for (const Param& p : params)
    if (ascii::iequals(p.name, name)) return decode_header_utf8(p.value);
  return std::nullopt;
}

}  // namespace mail::mime
