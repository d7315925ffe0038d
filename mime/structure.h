// The MIME structure of a message (RFC 2045, RFC 2046 section 5, RFC 5322): every part
// with the byte ranges of its header and body, its Content-* data, and, for the message
// and every message/rfc822 (or message/global) part's inner message, its envelope fields.
// Input: an untrusted message, any bytes. Parsing never fails; hostile input is bounded
// by Limits (nesting depth and part count), beyond which parts stay unparsed bodies.
//
// The part boundaries are found the way Dovecot 2.3 finds them, because FETCH answers
// (sizes, line counts, BODY[n]) must match what clients see from it:
// - a boundary line is "--" followed by the boundary of any enclosing multipart
//   (innermost first; a prefix match counts, the longest match wins), and "--" after it
//   closes that multipart; a closing or reappearing outer boundary also ends the inner
//   multiparts whose own closing line is missing;
// - the CRLF (or LF) before a boundary line belongs to the boundary, not to the part;
// - a boundary line also ends a part's header (its last newline then goes with the
//   boundary);
// - a multipart without a boundary parameter, or whose header has no empty line, has no
//   children; Content-* fields count only with MIME-Version or Content-Type (except in a
//   multipart's children, which are always MIME);
// - a part of a multipart/digest without Content-Type is message/rfc822.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/address.h"
#include "mime/params.h"

namespace mail::mime {

// Bounds for hostile input (Dovecot's defaults). Parts beyond them are not split further.
struct Limits {
  unsigned max_depth = 100;    // nesting of multiparts and messages
  unsigned max_parts = 10000;  // parts in one message
};

// What the Content-* fields of a part say (absent fields are nullopt / empty).
struct Content {
  std::optional<std::string> type;  // main type as written; nullopt without Content-Type
  std::string subtype;
  std::vector<Param> type_params;
  std::optional<std::string> id, description, transfer_encoding, md5, location;
  std::optional<std::string> disposition;
  std::vector<Param> disposition_params;
  std::vector<std::string> language;
};

// The envelope fields of RFC 9051 section 7.5.2 as written in the header. Strings are
// the raw unfolded values (NUL replaced by U+FFFD); the last Date, Subject, In-Reply-To
// and Message-ID field wins; address fields of the same name are concatenated.
struct Envelope {
  std::optional<std::string> date, subject, in_reply_to, message_id;
  std::vector<Address> from, sender, reply_to, to, cc, bcc;
};

enum PartFlags : uint16_t {
  kPartMultipart = 1 << 0,
  kPartMessage = 1 << 1,   // message/rfc822 or message/global with a parsed inner message
  kPartText = 1 << 2,      // text/*, or the text/plain default
  kPartMime = 1 << 3,      // its Content-* fields count
  kPartDigest = 1 << 4,    // multipart/digest
  kPartOverflow = 1 << 5,  // a limit stopped parsing inside this part
  kPartGlobal = 1 << 6,    // the message part is message/global (RFC 6532)
};

struct Part {
  int parent = -1;       // index in ParsedMessage::parts
  int first_child = -1;  // multipart children, or the inner message of a message part
  int next_sibling = -1;
  uint16_t flags = 0;
  unsigned depth = 0;

  // Byte ranges in the message. header_end <= body_begin; they differ only when a
  // boundary line ended the header, whose last newline then belongs to the boundary.
  size_t header_begin = 0, header_end = 0, body_begin = 0, body_end = 0;

  Content content;
  std::optional<Envelope> envelope;  // the message root and inner messages only

  bool is_multipart() const { return flags & kPartMultipart; }
  bool is_message() const { return flags & kPartMessage; }
  bool is_text() const { return flags & kPartText; }
};

struct ParsedMessage {
  std::string_view message;
  std::vector<Part> parts;  // parts[0] is the message itself; pre-order

  // Sizes as IMAP reports them: octets with every bare LF counted as CRLF (the form
  // the message has on the wire), and lines.
  uint64_t header_size(const Part& p) const;
  uint64_t body_size(const Part& p) const;
  uint32_t body_lines(const Part& p) const;
  uint32_t header_lines(const Part& p) const;
};

// REQUIRES: message outlives the result (which refers into it).
ParsedMessage parse_message(std::string_view message, const Limits& limits = {});

// Wire size (bare LF counted as CRLF) and line count of msg[begin, end).
uint64_t wire_size(std::string_view msg, size_t begin, size_t end);
uint32_t count_lines(std::string_view msg, size_t begin, size_t end);

}  // namespace mail::mime
