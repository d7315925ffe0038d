// RFC 5322 / RFC 2045 tokens; see rfc822_tokens.h for the contract.
#include "mime/rfc822_tokens.h"

namespace mail::mime {

namespace {

// 0: not atext; 1: atext; 2: atext that is also a MIME token character.
constexpr unsigned char char_class(unsigned char c) {
  if (c >= 0x80) return 2;
  if (c < 0x21 || c == 0x7f) return 0;
  switch (c) {
    case '"':
    case '(':
    case ')':
    case ',':
    case '.':
    case ':':
    case ';':
    case '<':
    case '>':
    case '@':
    case '[':
    case '\\':
    case ']':
      return 0;
    case '/':
    case '=':
    case '?':
      return 1;
    default:
      return 2;
  }
}

bool is_lwsp_or_newline(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

}  // namespace

bool is_atext(unsigned char c) {
  return char_class(c) != 0;
}
bool is_mime_token_char(unsigned char c) {
  return char_class(c) == 2;
}

int Rfc822Tokens::skip_comment() {
  // REQUIRES: peek() == '('. Nested comments; a quoted-pair escapes one byte.
  if (keep_comment_) last_comment_.clear();
  int level = 1;
  size_t start = ++pos_;
  for (; pos_ < data_.size(); ++pos_) {
    char c = data_[pos_];
    if (c == '(') {
      ++level;
    } else if (c == ')') {
      if (--level == 0) {
        if (keep_comment_) last_comment_.append(data_.substr(start, pos_ - start));
        ++pos_;
        return pos_ < data_.size() ? 1 : 0;
      }
    } else if (c == '\n') {
      // Folding whitespace: drop the (CR)LF from the kept text.
      if (!keep_comment_) continue;
      size_t len = pos_ - start;
      if (len > 0 && data_[start + len - 1] == '\r') --len;
      last_comment_.append(data_.substr(start, len));
      start = pos_ + 1;
    } else if (c == '\\') {
      ++pos_;
      if (pos_ >= data_.size()) return -1;
      char e = data_[pos_];
      if (e == '\r' || e == '\n' || e == '\0') {
        --pos_;  // obs-qp: not an escape, keep the byte
        continue;
      }
      if (keep_comment_) last_comment_.append(data_.substr(start, pos_ - start - 1));
      start = pos_;
    }
  }
  return -1;  // missing ')'
}

int Rfc822Tokens::skip_lwsp() {
  while (pos_ < data_.size()) {
    char c = data_[pos_];
    if (is_lwsp_or_newline(c)) {
      ++pos_;
      continue;
    }
    if (c != '(') break;
    if (skip_comment() < 0) return -1;
  }
  return pos_ < data_.size() ? 1 : 0;
}

int Rfc822Tokens::parse_atom(std::string& out) {
  if (pos_ >= data_.size() || !is_atext(data_[pos_])) return -1;
  size_t start = pos_++;
  while (pos_ < data_.size() && is_atext(data_[pos_])) ++pos_;
  out.append(data_.substr(start, pos_ - start));
  if (pos_ >= data_.size()) return 0;
  return skip_lwsp();
}

int Rfc822Tokens::parse_dot_atom(std::string& out) {
  // dot-atom-text with CFWS allowed around "." for RFC 822 compatibility.
  if (pos_ >= data_.size() || !is_atext(data_[pos_])) return -1;
  size_t start = pos_++;
  while (pos_ < data_.size()) {
    if (is_atext(data_[pos_])) {
      ++pos_;
      continue;
    }
    if (start == pos_) return -1;
    out.append(data_.substr(start, pos_ - start));
    int ret = skip_lwsp();
    if (ret <= 0) return ret;
    if (data_[pos_] != '.') return 1;
    ++pos_;
    out.push_back('.');
    if (skip_lwsp() <= 0) return -1;
    start = pos_;
  }
  out.append(data_.substr(start, pos_ - start));
  return 0;
}

int Rfc822Tokens::parse_mime_token(std::string& out) {
  size_t start = pos_;
  while (pos_ < data_.size() && (is_mime_token_char(data_[pos_]) || data_[pos_] == '.')) ++pos_;
  out.append(data_.substr(start, pos_ - start));
  if (pos_ >= data_.size()) return 0;
  return skip_lwsp();
}

int Rfc822Tokens::parse_quoted_string(std::string& out) {
  // REQUIRES: peek() == '"'.
  ++pos_;
  size_t start = pos_;
  for (; pos_ < data_.size(); ++pos_) {
    char c = data_[pos_];
    if (c == '\0') {
      if (replace_nul_) {
        out.append(data_.substr(start, pos_ - start));
        out.append(kReplacementChar);
        start = pos_ + 1;
      }
    } else if (c == '"') {
      out.append(data_.substr(start, pos_ - start));
      ++pos_;
      if (pos_ >= data_.size()) return 0;
      return skip_lwsp();
    } else if (c == '\n') {
      size_t len = pos_ - start;
      if (len > 0 && data_[start + len - 1] == '\r') --len;
      out.append(data_.substr(start, len));
      start = pos_ + 1;
    } else if (c == '\\') {
      ++pos_;
      if (pos_ >= data_.size()) return -1;
      char e = data_[pos_];
      if (e == '\r' || e == '\n' || e == '\0') {
        --pos_;
        continue;
      }
      out.append(data_.substr(start, pos_ - start - 1));
      start = pos_;
    }
  }
  return -1;  // missing '"'
}

int Rfc822Tokens::parse_atom_or_dot(std::string& out) {
  size_t start = pos_;
  while (pos_ < data_.size() && (is_atext(data_[pos_]) || data_[pos_] == '.')) ++pos_;
  out.append(data_.substr(start, pos_ - start));
  if (pos_ >= data_.size()) return 0;
  return skip_lwsp();
}

int Rfc822Tokens::parse_phrase(std::string& out) {
  // phrase = 1*word / obs-phrase; words are joined with one space.
  if (pos_ >= data_.size()) return 0;
  if (data_[pos_] == '.') return -1;
  for (;;) {
    int ret = peek() == '"' ? parse_quoted_string(out) : parse_atom_or_dot(out);
    if (ret <= 0) return ret;
    char c = peek();
    if (!is_atext(c) && c != '"' && c != '.') break;
    out.push_back(' ');
  }
  return skip_lwsp();
}

int Rfc822Tokens::parse_domain_literal(std::string& out) {
  // REQUIRES: peek() == '['. The brackets and any backslashes are kept in the output.
  size_t start = pos_++;
  for (; pos_ < data_.size(); ++pos_) {
    char c = data_[pos_];
    if (c == '\0') {
      if (replace_nul_) {
        out.append(data_.substr(start, pos_ - start));
        out.append(kReplacementChar);
        start = pos_ + 1;
      }
    } else if (c == '[') {
      return -1;
    } else if (c == ']') {
      out.append(data_.substr(start, pos_ - start + 1));
      ++pos_;
      if (pos_ >= data_.size()) return 0;
      return skip_lwsp();
    } else if (c == '\n') {
      size_t len = pos_ - start;
      if (len > 0 && data_[start + len - 1] == '\r') --len;
      out.append(data_.substr(start, len));
      start = pos_ + 1;
    } else if (c == '\\') {
      ++pos_;
      if (pos_ >= data_.size()) return -1;
      char e = data_[pos_];
      if (e == '\r' || e == '\n' || e == '\0') {
        out.append(data_.substr(start, pos_ - start));
        start = pos_;
        --pos_;
      }
    }
  }
  return -1;  // missing ']'
}

int Rfc822Tokens::parse_domain(std::string& out) {
  ++pos_;  // '@'
  if (skip_lwsp() <= 0) return -1;
  if (data_[pos_] == '[') return parse_domain_literal(out);
  return parse_dot_atom(out);
}

int Rfc822Tokens::parse_content_type(std::string& out) {
  size_t start_len = out.size();
  if (skip_lwsp() <= 0) return -1;
  if (parse_mime_token(out) <= 0 || out.size() == start_len) return -1;
  if (peek() != '/') {
    out.resize(start_len);
    return -1;
  }
  ++pos_;
  if (skip_lwsp() <= 0) {
    out.resize(start_len);
    return -1;
  }
  out.push_back('/');
  size_t sub_start = out.size();
  int ret = parse_mime_token(out);
  if (ret < 0 || out.size() == sub_start || (pos_ < data_.size() && data_[pos_] != ';')) {
    out.resize(start_len);
    return -1;
  }
  return ret;
}

int Rfc822Tokens::parse_content_param(std::string& key, std::string& value) {
  key.clear();
  value.clear();
  if (pos_ >= data_.size()) return 0;
  if (data_[pos_] != ';') return -1;
  ++pos_;
  if (skip_lwsp() <= 0) return -1;
  if (parse_mime_token(key) <= 0) return -1;
  if (peek() != '=') return -1;
  ++pos_;
  int ret = skip_lwsp();
  if (ret <= 0) {
    // no value
  } else if (data_[pos_] == '"') {
    ret = parse_quoted_string(value);
  } else if (data_[pos_] == '=') {
    // Broken but common: name==?utf-8?b?...?= (an unquoted encoded word).
    while (pos_ < data_.size() && data_[pos_] != ';' && data_[pos_] != ' ' && data_[pos_] != '\t' &&
           data_[pos_] != '\r' && data_[pos_] != '\n')
      value.push_back(data_[pos_++]);
  } else {
    ret = parse_mime_token(value);
  }
  return ret < 0 ? -1 : 1;
}

}  // namespace mail::mime
