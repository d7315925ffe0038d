// SEARCH support (RFC 9051 section 6.4.4): decoded text of header fields and body parts,
// and a fast case-insensitive substring matcher over it. Input: stored messages with
// their summaries, and a UTF-8 search key.
//
// Like Dovecot (without a full-text index), TEXT looks at the header fields of every part
// and at the content of text/* and message/* parts (and of parts without Content-Type);
// BODY only at that content. Header values are RFC 2047-decoded; contents are
// transfer-decoded and converted to UTF-8. To go fast, nothing is decoded that need not
// be: an identity-encoded part in an ASCII-compatible charset is searched in place when
// the key is ASCII, and header blocks without "=?" are searched as they are.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mime/summary.h"

namespace mail::mime {

// Case-insensitive substring search: ASCII case and Unicode simple case folding
// (CaseFolding.txt C + S) in UTF-8 text.
class TextMatcher {
 public:
  explicit TextMatcher(std::string_view key_utf8);

  // Whether the folded key occurs in `text` (UTF-8; invalid bytes match nothing but
  // themselves... via U+FFFD).
  bool find_in(std::string_view text) const;
  // The same over bytes in an ASCII-compatible charset that need not be UTF-8: exact
  // when the key is ASCII. REQUIRES: key_is_ascii().
  bool find_in_ascii_compatible(std::string_view bytes) const;

  bool key_is_ascii() const { return ascii_; }
  bool empty() const { return folded_.empty(); }
  const std::string& folded_key() const { return folded_; }

 private:
  bool find_ascii(std::string_view hay) const;
  std::string folded_;
  bool ascii_ = true;
  // An ASCII key with "k" or "s" also matches U+212A KELVIN SIGN / U+017F LONG S.
  bool has_k_ = false, has_s_ = false;
};

// SEARCH TEXT (headers of all parts and text contents) and SEARCH BODY (contents only).
bool message_text_contains(std::string_view message, const MessageSummary& s, const TextMatcher& m);
bool message_body_contains(std::string_view message, const MessageSummary& s, const TextMatcher& m);
// SEARCH HEADER name key, FROM, TO, CC, BCC, SUBJECT: a field of the message's own header
// whose decoded value contains the key. An empty key matches any message having the field.
bool header_field_contains(std::string_view message, const MessageSummary& s,
                           std::string_view field_name, const TextMatcher& m);

// The decoded values (RFC 2047 to UTF-8, unfolded) of every `name` field in a header.
std::vector<std::string> decoded_header_values(std::string_view header, std::string_view name);
// A part's content, transfer-decoded and converted from its charset to UTF-8 (unknown
// transfer encodings are taken as they are).
std::string decoded_part_text(std::string_view message, const PartInfo& part);

}  // namespace mail::mime
