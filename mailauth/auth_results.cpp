// Authentication-Results (RFC 8601 2.2) writer and parser; see auth_results.h.
#include "mailauth/auth_results.h"

#include "mailauth/header_block.h"

namespace mail::mailauth {
namespace {

constexpr size_t kFoldAt = 78;  // RFC 5322 2.1.1: SHOULD be no more than 78
constexpr int kMaxCommentDepth = 32;

bool is_ctl(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

// RFC 2045 5.1 token characters: US-ASCII except SPACE, CTLs and tspecials.
bool is_token_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  switch (c) {
    case '(':
    case ')':
    case '<':
    case '>':
    case '@':
    case ',':
    case ';':
    case ':':
    case '\\':
    case '"':
    case '/':
    case '[':
    case ']':
    case '?':
    case '=':
      return false;
    default:
      return true;
  }
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_token_char(c)) return false;
  return true;
}

bool is_let_dig(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 8601 Keyword = ldh-str: letters, digits and inner hyphens.
bool is_keyword(std::string_view s) {
  if (s.empty() || !is_let_dig(s.front()) || !is_let_dig(s.back())) return false;
  for (char c : s)
    if (!is_let_dig(c) && c != '-') return false;
  return true;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// A value as RFC 8601 writes it: a token, local-part@domain, or a quoted-string.
std::string value_text(std::string_view raw, bool address_form) {
  std::string v = sanitized_value(raw);
  if (is_token(v)) return v;
  if (address_form) {
    size_t at = v.rfind('@');
    if (at != std::string::npos) {
      std::string_view local = std::string_view(v).substr(0, at);
      std::string_view domain = std::string_view(v).substr(at + 1);
      if ((local.empty() || is_token(local)) && is_token(domain)) return v;
    }
  }
  return quoted(v);
}

std::string comment_text(std::string_view raw) {
  std::string v = sanitized_value(raw);
  if (v.size() > kMaxCommentLength) {
    size_t cut = kMaxCommentLength;
    while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xc0) == 0x80) --cut;  // UTF-8
    v.resize(cut);
    v += "...";
  }
  std::string out = "(";
  for (char c : v) {
    if (c == '(' || c == ')' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back(')');
  return out;
}

// Builds folded lines: pieces separated by a space, or by CRLF TAB when the line is full.
class Folder {
 public:
  explicit Folder(std::string start) : out_(std::move(start)), line_(out_.size()) {}
  void piece(std::string_view p) {
    if (line_ + 1 + p.size() > kFoldAt && line_ > 1) {
      out_ += "\r\n\t";
      line_ = 1;
    } else {
      out_ += ' ';
      ++line_;
    }
    out_ += p;
    line_ += p.size();
  }
  void new_line() {
    out_ += "\r\n\t";
    line_ = 1;
  }
  void raw(std::string_view p) {
    out_ += p;
    line_ += p.size();
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  size_t line_;
};

// ---- parsing ----

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  // Skips whitespace, line breaks of folding and comments; false on a broken comment.
  bool cfws() {
    for (;;) {
      while (pos_ < s_.size() &&
             (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\r' || s_[pos_] == '\n'))
        ++pos_;
      if (pos_ >= s_.size() || s_[pos_] != '(') return true;
      if (!comment()) return false;
    }
  }
  bool at_end() const { return pos_ >= s_.size(); }
  bool peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool take(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }
  std::optional<std::string> token() {
    size_t start = pos_;
    while (pos_ < s_.size() && is_token_char(s_[pos_])) ++pos_;
    if (pos_ == start) return std::nullopt;
    return std::string(s_.substr(start, pos_ - start));
  }
  std::optional<std::string> keyword() {
    size_t start = pos_;
    while (pos_ < s_.size() && (is_let_dig(s_[pos_]) || s_[pos_] == '-')) ++pos_;
    std::string_view k = s_.substr(start, pos_ - start);
    if (!is_keyword(k)) return std::nullopt;
    return std::string(k);
  }
  // RFC 2045 value: token / quoted-string.
  std::optional<std::string> value() {
    if (peek('"')) return quoted_string();
    return token();
  }

 private:
  bool comment() {
    int depth = 0;
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '\\') {
        if (pos_ >= s_.size()) return false;
        ++pos_;
      } else if (c == '(') {
        if (++depth > kMaxCommentDepth) return false;
      } else if (c == ')') {
        if (--depth == 0) return true;
      }
    }
    return false;
  }
  std::optional<std::string> quoted_string() {
    ++pos_;  // the opening quote
    std::string out;
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '"') return out;
      if (c == '\\') {
        if (pos_ >= s_.size()) return std::nullopt;
        out.push_back(s_[pos_++]);
      } else if (c == '\r' || c == '\n') {
        continue;  // folding inside the string
      } else {
        out.push_back(c);
      }
    }
    return std::nullopt;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS]
std::optional<std::string> pvalue(Lexer& lx) {
  if (!lx.cfws()) return std::nullopt;
  std::string out;
  if (!lx.peek('@')) {
    auto v = lx.value();
    if (!v) return std::nullopt;
    out = *v;
    if (!lx.cfws()) return std::nullopt;
  }
  if (lx.take('@')) {
    if (!lx.cfws()) return std::nullopt;
    auto domain = lx.token();
    if (!domain) return std::nullopt;
    out += "@" + *domain;
  }
  return out;
}

std::optional<ResultInfo> resinfo(Lexer& lx) {
  ResultInfo r;
  if (!lx.cfws()) return std::nullopt;
  auto method = lx.keyword();
  if (!method) return std::nullopt;
  r.method = *method;
  if (!lx.cfws()) return std::nullopt;
  if (lx.take('/')) {  // method-version
    if (!lx.cfws() || !lx.keyword() || !lx.cfws()) return std::nullopt;
  }
  if (!lx.take('=') || !lx.cfws()) return std::nullopt;
  auto result = lx.keyword();
  if (!result) return std::nullopt;
  r.result = *result;
  for (;;) {
    if (!lx.cfws()) return std::nullopt;
    if (lx.at_end() || lx.peek(';')) return r;
    auto word = lx.keyword();
    if (!word || !lx.cfws()) return std::nullopt;
    if (lx.take('=')) {
      if (!iequals(*word, "reason") || !lx.cfws()) return std::nullopt;
      auto v = lx.value();
      if (!v) return std::nullopt;
      r.reason = *v;
      continue;
    }
    if (!lx.take('.') || !lx.cfws()) return std::nullopt;
    auto property = lx.keyword();
    if (!property || !lx.cfws() || !lx.take('=')) return std::nullopt;
    auto v = pvalue(lx);
    if (!v) return std::nullopt;
    r.properties.push_back(Property{*word, *property, *v});
  }
}

}  // namespace

std::string sanitized_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value)
    if (!is_ctl(static_cast<unsigned char>(c))) out.push_back(c);
  return out;
}

std::string write_auth_results(const AuthResults& results) {
  Folder f("Authentication-Results: " + value_text(results.authserv_id, false) + ";");
  bool any = false;
  for (const ResultInfo& r : results.results) {
    if (!is_keyword(r.method) || !is_keyword(r.result)) continue;
    if (any) f.raw(";");
    any = true;
    f.new_line();
    f.raw(r.method + "=" + r.result);
    if (!r.comment.empty()) f.piece(comment_text(r.comment));
    if (!r.reason.empty() && r.reason.size() <= kMaxValueLength)
      f.piece("reason=" + quoted(sanitized_value(r.reason)));
    for (const Property& p : r.properties) {
      if (!is_keyword(p.ptype) || !is_keyword(p.property) || p.value.size() > kMaxValueLength)
        continue;
      f.piece(p.ptype + "." + p.property + "=" + value_text(p.value, true));
    }
  }
  if (!any) f.piece("none");
  f.raw("\r\n");
  return f.take();
}

std::optional<AuthResults> parse_auth_results(std::string_view value) {
  Lexer lx(value);
  AuthResults out;
  if (!lx.cfws()) return std::nullopt;
  auto id = lx.value();
  if (!id) return std::nullopt;
  out.authserv_id = *id;
  if (!lx.cfws()) return std::nullopt;
  if (!lx.peek(';')) {  // authres-version
    auto version = lx.token();
    if (!version || version->find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    if (!lx.cfws()) return std::nullopt;
  }
  if (!lx.take(';')) return std::nullopt;
  {
    // no-result: "; none" and nothing after it.
    Lexer probe = lx;
    if (probe.cfws()) {
      auto word = probe.keyword();
      if (word && iequals(*word, "none") && probe.cfws() && probe.at_end()) return out;
    }
  }
  for (;;) {
    auto r = resinfo(lx);
    if (!r) return std::nullopt;
    out.results.push_back(std::move(*r));
    if (lx.at_end()) return out;
    if (!lx.take(';')) return std::nullopt;
    if (!lx.cfws()) return std::nullopt;
    if (lx.at_end()) return out;  // a trailing ";" (lenient, as common writers emit)
  }
}

std::optional<std::string> authserv_id_of(std::string_view value) {
  Lexer lx(value);
  if (!lx.cfws()) return std::nullopt;
  return lx.value();
}

}  // namespace mail::mailauth
