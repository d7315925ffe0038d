// RFC 5322 section 3.2 lexical tokens (CFWS, atoms, dot-atoms, quoted strings, phrases,
// domains) and RFC 2045 section 5.1 MIME tokens, over a byte range. Input: any header
// value bytes (8-bit, NUL, bare CR/LF included); nothing here reads past the range.
//
// The accept/reject decisions mirror Dovecot's lib-mail rfc822-parser on purpose, because
// what ENVELOPE and BODYSTRUCTURE show for malformed input must match what clients already
// get from Dovecot: e.g. 8-bit bytes count as atext, quoted-pair may not escape CR/LF/NUL,
// and "." may appear inside a phrase (RFC 5322 obs-phrase).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mail::mime {

// Character classes of RFC 5322 atext (8-bit bytes included, as RFC 6532 allows).
bool is_atext(unsigned char c);
// RFC 2045 token characters: atext minus the MIME tspecials "/", "?" and "=".
bool is_mime_token_char(unsigned char c);

// UTF-8 U+FFFD, which replaces a NUL inside quoted strings and comments.
inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";

// A cursor over one header value. Functions return 1 when more input follows the token,
// 0 when the token ended the input, -1 on a syntax error (the cursor is then wherever
// the error was noticed, as callers that "try to continue anyway" expect).
class Rfc822Tokens {
 public:
  explicit Rfc822Tokens(std::string_view data) : data_(data) {}

  // Byte at the cursor, or NUL at the end (callers test for specials only).
  char peek() const { return pos_ < data_.size() ? data_[pos_] : '\0'; }
  bool at_end() const { return pos_ >= data_.size(); }
  size_t pos() const { return pos_; }
  void set_pos(size_t p) { pos_ = p; }
  void advance() { ++pos_; }
  std::string_view rest() const { return data_.substr(pos_ < data_.size() ? pos_ : data_.size()); }

  // When set, the text of the last comment skipped is kept (addr-spec "(Name)" form).
  void keep_last_comment(bool keep) { keep_comment_ = keep; }
  std::string& last_comment() { return last_comment_; }
  // Replace NUL inside quoted strings with U+FFFD (address and parameter parsing).
  void replace_nul(bool replace) { replace_nul_ = replace; }

  int skip_comment();
  int skip_lwsp();  // whitespace, CR, LF and comments
  int parse_atom(std::string& out);
  int parse_dot_atom(std::string& out);
  int parse_mime_token(std::string& out);
  int parse_quoted_string(std::string& out);
  int parse_phrase(std::string& out);
  int parse_domain(std::string& out);  // REQUIRES: peek() == '@'

  // "type/subtype" into out (lower/upper case kept). -1 when invalid; out then holds what
  // could be read ("text" for "text", "" for "text/plain junk").
  int parse_content_type(std::string& out);
  // One ";" attribute "=" value. 0 at the end, -1 broken, 1 with key and value set.
  int parse_content_param(std::string& key, std::string& value);

 private:
  int parse_atom_or_dot(std::string& out);
  int parse_domain_literal(std::string& out);

  std::string_view data_;
  size_t pos_ = 0;
  bool keep_comment_ = false;
  bool replace_nul_ = false;
  std::string last_comment_;
};

}  // namespace mail::mime
