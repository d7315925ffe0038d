// BODYSTRUCTURE -> BODY; see body_from_structure.h. A small reader of the IMAP syntax
// our renderer produces: lists, quoted strings, literals, atoms (NIL, numbers).
#include "mime/body_from_structure.h"

#include <strings.h>

namespace mail::mime {

namespace {

constexpr int kMaxNesting = 4096;  // far beyond what the parser's depth limit allows

class StructureReader {
 public:
  explicit StructureReader(std::string_view s) : s_(s) {}

  // Copies the body at pos_ ("(" ... ")") to out without extension data.
  bool copy_body(std::string& out, int depth) {
    if (depth > kMaxNesting || !expect('(')) return false;
    out += '(';
    if (peek() == '(') {  // multipart: bodies, then the subtype
      while (peek() == '(')
        if (!copy_body(out, depth + 1)) return false;
      if (!expect(' ')) return false;
      out += ' ';
      if (!copy_value(out)) return false;
    } else {
      std::string type, subtype;
      if (!copy_value(out, &type) || !expect_space(out) || !copy_value(out, &subtype)) return false;
      for (int i = 0; i < 5; ++i)  // params, id, description, encoding, size
        if (!expect_space(out) || !copy_value(out)) return false;
      bool message =
          iequal(type, "message") && (iequal(subtype, "rfc822") || iequal(subtype, "global"));
      if (iequal(type, "text")) {
        if (!expect_space(out) || !copy_value(out)) return false;  // lines
      } else if (message && peek() == ' ') {
        if (!expect_space(out) || !copy_value(out)) return false;  // envelope
        if (!expect_space(out) || !copy_body(out, depth + 1)) return false;
        if (!expect_space(out) || !copy_value(out)) return false;  // lines
      }
    }
    // Extension data up to the closing parenthesis is dropped.
    while (peek() == ' ') {
      ++pos_;
      if (!skip_value(depth)) return false;
    }
    if (!expect(')')) return false;
    out += ')';
    return true;
  }

  bool at_end() const { return pos_ == s_.size(); }

 private:
  static bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool expect(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  bool expect_space(std::string& out) {
    if (!expect(' ')) return false;
    out += ' ';
    return true;
  }

  // One value: a list, a quoted string, a literal or an atom. `text` gets a string's
  // content when asked for.
  bool value_end(size_t& end, std::string* text, int depth) {
    size_t p = pos_;
    if (p >= s_.size()) return false;
    char c = s_[p];
    if (c == '(') {
      if (depth > kMaxNesting) return false;
      size_t save = pos_;
      pos_ = p + 1;
      bool first = true;
      while (peek() != ')') {
        // Elements are separated by a space, except lists of lists ("(...)(...)", as in
        // address lists), which follow each other directly.
        if (!first && peek() == ' ') ++pos_;
        first = false;
        size_t e;
        if (!value_end(e, nullptr, depth + 1)) return false;
        pos_ = e;
      }
      end = pos_ + 1;
      pos_ = save;
      return true;
    }
    if (c == '"') {
      std::string t;
      for (++p; p < s_.size() && s_[p] != '"'; ++p) {
        if (s_[p] == '\\' && ++p >= s_.size()) return false;
        t += s_[p];
      }
      if (p >= s_.size()) return false;
      if (text) *text = std::move(t);
      end = p + 1;
      return true;
    }
    if (c == '{') {
      size_t close = s_.find('}', p);
      if (close == std::string_view::npos || close == p + 1 || close - p > 12) return false;
      size_t n = 0;
      for (size_t i = p + 1; i < close; ++i) {
        if (s_[i] < '0' || s_[i] > '9') return false;
        n = n * 10 + static_cast<size_t>(s_[i] - '0');
      }
      if (s_.compare(close + 1, 2, "\r\n") != 0 || close + 3 + n > s_.size()) return false;
      if (text) text->assign(s_.substr(close + 3, n));
      end = close + 3 + n;
      return true;
    }
    while (p < s_.size() && s_[p] != ' ' && s_[p] != '(' && s_[p] != ')' && s_[p] != '"') ++p;
    if (p == pos_) return false;
    if (text) text->assign(s_.substr(pos_, p - pos_));
    end = p;
    return true;
  }

  bool copy_value(std::string& out, std::string* text = nullptr) {
    size_t end;
    if (!value_end(end, text, 0)) return false;
    out.append(s_.substr(pos_, end - pos_));
    pos_ = end;
    return true;
  }
  bool skip_value(int depth) {
    size_t end;
    if (!value_end(end, nullptr, depth)) return false;
    pos_ = end;
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<std::string> body_from_bodystructure(std::string_view bodystructure) {
  StructureReader r(bodystructure);
  std::string out;
  if (!r.copy_body(out, 0) || !r.at_end()) return std::nullopt;
  return out;
}

}  // namespace mail::mime
