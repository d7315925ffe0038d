// Reader: the lexical layer of the IMAP command parser (RFC 9051 section 9 ABNF): atoms,
// quoted strings, literals, astrings, numbers and generic parenthesised lists, read from one
// fully assembled command (lines, CRLFs and literal octets exactly as on the wire).
// Input: untrusted bytes. Every read is bounds-checked; on failure the first error message is
// kept and the position is unspecified (callers stop at the first failure).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "imapd/protocol/command.h"

namespace mail::imap {

// Parenthesised lists nested deeper than this are a parse error (bounds recursion).
inline constexpr int kMaxListDepth = 64;

bool is_atom_char(unsigned char c);     // ATOM-CHAR
bool is_astring_char(unsigned char c);  // ASTRING-CHAR = ATOM-CHAR / "]"
std::string to_upper(std::string_view s);

class Reader {
 public:
  explicit Reader(std::string_view wire) : in_(wire) {}

  bool at_end() const { return pos_ >= in_.size(); }
  // The next byte, or '\0' at the end (NUL is never valid where a caller looks for syntax).
  char peek() const { return at_end() ? '\0' : in_[pos_]; }
  bool consume(char c);
  bool expect(char c, const char* what);  // consume(c) or fail(what)
  bool sp() { return expect(' ', "expected SP"); }
  // Accepts an optional final CRLF and requires the end of input.
  bool end();

  // 1*ATOM-CHAR.
  std::optional<std::string> atom();
  // Letters, digits and '.', upper-cased: command names, FETCH attribute names.
  std::optional<std::string> keyword();
  // 1*(ASTRING-CHAR except "+") (RFC 9051 "tag").
  std::optional<std::string> tag();
  // quoted / literal; `allow_literal8` also accepts ~{n} and reports it in *binary.
  std::optional<std::string> string(bool allow_literal8 = false, bool* binary = nullptr);
  std::optional<std::string> astring();
  // nstring: NIL gives an engaged optional holding nullopt.
  std::optional<std::optional<std::string>> nstring();
  // mailbox = "INBOX" / astring, INBOX compared case-insensitively.
  std::optional<std::string> mailbox();
  // list-mailbox = 1*list-char / string (list-char adds '*' and '%').
  std::optional<std::string> list_mailbox();
  std::optional<uint32_t> number();     // number: fits in 32 bits
  std::optional<uint32_t> nz_number();  // non-zero
  std::optional<uint64_t> number64();   // fits in 63 bits
  // A generic token: atom-like run (ASTRING-CHAR, '*', '%'), string or "(" list ")".
  std::optional<Arg> generic(int depth = 0);
  // "(" [generic *(SP generic)] ")", `depth` counting the list being opened.
  std::optional<std::vector<Arg>> generic_list(int depth);
  // flag-list = "(" [flag *(SP flag)] ")"; flag = "\" atom / atom (system flags
  // canonicalised, e.g. "\SEEN" -> "\Seen").
  std::optional<std::vector<std::string>> flag_list();
  std::optional<std::string> flag();

  // The longest run of bytes satisfying pred (possibly empty).
  std::string_view take_while(bool (*pred)(unsigned char));

  bool fail(std::string message);
  const std::string& error() const { return error_; }
  size_t position() const { return pos_; }

 private:
  std::optional<std::string> quoted();
  std::optional<std::string> literal(bool allow_literal8, bool* binary);

  std::string_view in_;
  size_t pos_ = 0;
  std::string error_;
};

// "INBOX" in any case becomes "INBOX" (RFC 9051 section 5.1); other names are unchanged.
std::string canonical_mailbox(std::string name);

}  // namespace mail::imap
