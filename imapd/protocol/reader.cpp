// Reader: lexical layer of the IMAP parser; see reader.h. Input: untrusted bytes.
#include "imapd/protocol/reader.h"

#include <array>

namespace mail::imap {

bool is_atom_char(unsigned char c) {
  // RFC 9051 section 9: ATOM-CHAR = <any CHAR except atom-specials>.
  if (c <= 0x1f || c >= 0x7f) return false;
  switch (c) {
    case '(':
    case ')':
    case '{':
    case ' ':
    case '%':
    case '*':
    case '"':
    case '\\':
    case ']':
      return false;
    default:
      return true;
  }
}

bool is_astring_char(unsigned char c) {
  return c == ']' || is_atom_char(c);
}

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string canonical_mailbox(std::string name) {
  if (to_upper(name) == "INBOX") return "INBOX";
  return name;
}

bool Reader::fail(std::string message) {
  if (error_.empty()) error_ = std::move(message);
  return false;
}

bool Reader::consume(char c) {
  if (at_end() || in_[pos_] != c) return false;
  ++pos_;
  return true;
}

bool Reader::expect(char c, const char* what) {
  return consume(c) || fail(what);
}

std::string_view Reader::take_while(bool (*pred)(unsigned char)) {
  size_t start = pos_;
  while (!at_end() && pred(static_cast<unsigned char>(in_[pos_]))) ++pos_;
  return in_.substr(start, pos_ - start);
}

bool Reader::end() {
  if (in_.substr(pos_) == "\r\n") pos_ += 2;
  return at_end() || fail("unexpected characters at end of command");
}

std::optional<std::string> Reader::atom() {
  size_t start = pos_;
  while (!at_end() && is_atom_char(static_cast<unsigned char>(in_[pos_]))) ++pos_;
  if (pos_ == start) {
    fail("expected atom");
    return std::nullopt;
  }
  return std::string(in_.substr(start, pos_ - start));
}

std::optional<std::string> Reader::keyword() {
  size_t start = pos_;
  while (!at_end()) {
    char c = in_[pos_];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '=';
    if (!ok) break;
    ++pos_;
  }
  if (pos_ == start) {
    fail("expected keyword");
    return std::nullopt;
  }
  return to_upper(in_.substr(start, pos_ - start));
}

std::optional<std::string> Reader::tag() {
  size_t start = pos_;
  while (!at_end()) {
    unsigned char c = static_cast<unsigned char>(in_[pos_]);
    if (c == '+' || !is_astring_char(c)) break;
    ++pos_;
  }
  if (pos_ == start) return std::nullopt;
  return std::string(in_.substr(start, pos_ - start));
}

std::optional<std::string> Reader::quoted() {
  // quoted = DQUOTE *QUOTED-CHAR DQUOTE; "\" escapes only DQUOTE and "\" (RFC 9051 sec. 9).
  if (!expect('"', "expected quoted string")) return std::nullopt;
  std::string out;
  while (true) {
    if (at_end()) {
      fail("unterminated quoted string");
      return std::nullopt;
    }
    char c = in_[pos_++];
    if (c == '"') return out;
    if (c == '\\') {
      char next = peek();
      if (next != '"' && next != '\\') {
        fail("invalid escape in quoted string");
        return std::nullopt;
      }
      out += next;
      ++pos_;
      continue;
    }
    if (c == '\r' || c == '\n' || c == '\0') {
      fail("invalid character in quoted string");
      return std::nullopt;
    }
    out += c;
  }
}

std::optional<std::string> Reader::literal(bool allow_literal8, bool* binary) {
  // literal = "{" number64 ["+"] "}" CRLF *CHAR8; literal8 = "~{" ... (RFC 3516).
  bool is_binary = consume('~');
  if (is_binary && !allow_literal8) {
    fail("binary literal not allowed here");
    return std::nullopt;
  }
  if (!expect('{', "expected literal")) return std::nullopt;
  size_t start = pos_;
  uint64_t size = 0;
  while (!at_end() && in_[pos_] >= '0' && in_[pos_] <= '9') {
    if (pos_ - start >= 19) {
      fail("literal size too large");
      return std::nullopt;
    }
    size = size * 10 + static_cast<uint64_t>(in_[pos_] - '0');
    ++pos_;
  }
  if (pos_ == start) {
    fail("expected literal size");
    return std::nullopt;
  }
  consume('+');
  if (!expect('}', "malformed literal") || !expect('\r', "expected CRLF after literal") ||
      !expect('\n', "expected CRLF after literal")) {
    return std::nullopt;
  }
  if (size > in_.size() - pos_) {
    fail("truncated literal");
    return std::nullopt;
  }
  std::string_view bytes = in_.substr(pos_, static_cast<size_t>(size));
  if (!is_binary && bytes.find('\0') != std::string_view::npos) {
    fail("NUL in literal (use literal8)");
    return std::nullopt;
  }
  pos_ += static_cast<size_t>(size);
  if (binary != nullptr) *binary = is_binary;
  return std::string(bytes);
}

std::optional<std::string> Reader::string(bool allow_literal8, bool* binary) {
  char c = peek();
  if (c == '"') {
    if (binary != nullptr) *binary = false;
    return quoted();
  }
  if (c == '{' || c == '~') return literal(allow_literal8, binary);
  fail("expected string");
  return std::nullopt;
}

std::optional<std::string> Reader::astring() {
  char c = peek();
  if (c == '"' || c == '{') return string();
  size_t start = pos_;
  while (!at_end() && is_astring_char(static_cast<unsigned char>(in_[pos_]))) ++pos_;
  if (pos_ == start) {
    fail("expected astring");
    return std::nullopt;
  }
  return std::string(in_.substr(start, pos_ - start));
}

std::optional<std::optional<std::string>> Reader::nstring() {
  char c = peek();
  if (c == '"' || c == '{') {
    auto s = string();
    if (!s) return std::nullopt;
    return std::optional<std::string>(std::move(*s));
  }
  auto a = atom();
  if (!a || to_upper(*a) != "NIL") {
    fail("expected string or NIL");
    return std::nullopt;
  }
  return std::optional<std::string>();
}

std::optional<std::string> Reader::mailbox() {
  auto name = astring();
  if (!name) return std::nullopt;
  return canonical_mailbox(std::move(*name));
}

std::optional<std::string> Reader::list_mailbox() {
  char c = peek();
  if (c == '"' || c == '{') return string();
  size_t start = pos_;
  while (!at_end()) {
    unsigned char b = static_cast<unsigned char>(in_[pos_]);
    if (!is_astring_char(b) && b != '%' && b != '*') break;
    ++pos_;
  }
  if (pos_ == start) {
    fail("expected mailbox pattern");
    return std::nullopt;
  }
  return canonical_mailbox(std::string(in_.substr(start, pos_ - start)));
}

std::optional<uint64_t> Reader::number64() {
  size_t start = pos_;
  uint64_t value = 0;
  while (!at_end() && in_[pos_] >= '0' && in_[pos_] <= '9') {
    if (pos_ - start >= 19) {
      fail("number too large");
      return std::nullopt;
    }
    value = value * 10 + static_cast<uint64_t>(in_[pos_] - '0');
    ++pos_;
  }
  if (pos_ == start) {
    fail("expected number");
    return std::nullopt;
  }
  if (value > static_cast<uint64_t>(INT64_MAX)) {
    fail("number too large");
    return std::nullopt;
  }
  return value;
}

std::optional<uint32_t> Reader::number() {
  auto v = number64();
  if (!v) return std::nullopt;
  if (*v > UINT32_MAX) {
    fail("number too large");
    return std::nullopt;
  }
  return static_cast<uint32_t>(*v);
}

std::optional<uint32_t> Reader::nz_number() {
  auto v = number();
  if (v && *v == 0) {
    fail("expected non-zero number");
    return std::nullopt;
  }
  return v;
}

std::optional<std::vector<Arg>> Reader::generic_list(int depth) {
  if (depth > kMaxListDepth) {
    fail("lists nested too deeply");
    return std::nullopt;
  }
  if (!expect('(', "expected '('")) return std::nullopt;
  std::vector<Arg> items;
  if (consume(')')) return items;
  while (true) {
    auto item = generic(depth);
    if (!item) return std::nullopt;
    items.push_back(std::move(*item));
    if (consume(')')) return items;
    if (!expect(' ', "expected SP or ')' in list")) return std::nullopt;
  }
}

std::optional<Arg> Reader::generic(int depth) {
  char c = peek();
  if (c == '(') {
    auto list = generic_list(depth + 1);
    if (!list) return std::nullopt;
    return Arg{Arg::Kind::List, {}, std::move(*list)};
  }
  if (c == '"' || c == '{') {
    auto s = string();
    if (!s) return std::nullopt;
    return Arg{Arg::Kind::String, std::move(*s), {}};
  }
  // An atom-like run: atoms, numbers, sequence sets ("1:*"), flags ("\Seen").
  size_t start = pos_;
  while (!at_end()) {
    unsigned char b = static_cast<unsigned char>(in_[pos_]);
    if (b <= 0x1f || b >= 0x7f || b == ' ' || b == '(' || b == ')' || b == '{' || b == '"') {
      break;
    }
    ++pos_;
  }
  if (pos_ == start) {
    fail(c == ')' ? "unbalanced parentheses" : "expected argument");
    return std::nullopt;
  }
  return Arg{Arg::Kind::Atom, std::string(in_.substr(start, pos_ - start)), {}};
}

std::optional<std::string> Reader::flag() {
  if (consume('\\')) {
    auto name = atom();
    if (!name) return std::nullopt;
    static constexpr std::array<std::string_view, 6> kSystem = {"Answered", "Flagged", "Deleted",
                                                                "Seen",     "Draft",   "Recent"};
    std::string upper = to_upper(*name);
    for (std::string_view s : kSystem) {
      if (to_upper(s) == upper) return "\\" + std::string(s);
    }
    return "\\" + *name;
  }
  return atom();
}

std::optional<std::vector<std::string>> Reader::flag_list() {
  if (!expect('(', "expected flag list")) return std::nullopt;
  std::vector<std::string> flags;
  if (consume(')')) return flags;
  while (true) {
    auto f = flag();
    if (!f) return std::nullopt;
    flags.push_back(std::move(*f));
    if (consume(')')) return flags;
    if (!expect(' ', "expected SP or ')' in flag list")) return std::nullopt;
  }
}

}  // namespace mail::imap
