// What the store keeps per message, computed once at delivery or APPEND so that FETCH,
// SEARCH, SORT and THREAD never re-parse: the ENVELOPE / BODY / BODYSTRUCTURE strings,
// the part table (byte ranges into the message, types, encodings, sizes) and the sort and
// thread keys. encode_summary() makes the versioned binary blob the store treats as
// opaque; decode_summary() refuses blobs of unknown versions and truncated ones.
//
// Blob layout, version 1 (integers are LEB128 varints, strings a varint length + bytes):
//   u8 version (1) | envelope | bodystructure | part count | parts... | sort keys
//   (BODY is BODYSTRUCTURE without extension data: derived on decoding, not stored)
//   part: parent+1, flags, header_begin, header length, gap (body_begin - header_end),
//         body length, wire size, lines, decoded size, encoding, type, subtype, charset
//   sort keys: flags (bit 0 has date, bit 1 reply/forward), date (zigzag), zone (zigzag),
//         base subject, from mailbox, from display, to mailbox, to display, cc mailbox,
//         cc display, message id, in-reply-to, reference count, references...
// Fields may be appended in a later version; a reader of version N reads N only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "mime/structure.h"
#include "mime/transfer_encoding.h"

namespace mail::mime {

inline constexpr uint8_t kSummaryVersion = 1;

struct PartInfo {
  int parent = -1;     // index into MessageSummary::parts; parts[0] is the message
  uint16_t flags = 0;  // PartFlags (multipart, message, text, digest, global)
  // Byte ranges in the message. The MIME header of a part (BODY[n.MIME]) is
  // [header_begin, header_end); its body (BODY[n]) is [body_begin, body_end).
  uint64_t header_begin = 0, header_end = 0, body_begin = 0, body_end = 0;
  uint64_t size = 0;          // body octets on the wire (bare LF counted as CRLF)
  uint32_t lines = 0;         // body lines
  uint64_t decoded_size = 0;  // BINARY.SIZE: octets after transfer decoding (RFC 3516)
  TransferEncoding encoding = TransferEncoding::kSevenBit;
  std::string type, subtype;  // lower case; "text"/"plain" by default
  std::string charset;        // lower case; "" when none was given

  // Derived when decoding (not stored): tree links and the IMAP part number.
  int first_child = -1, next_sibling = -1;
  // The part number that names this part in BODY[n] / BODY[n.MIME] ("1.2"), or "" when
  // it has none: a multipart message itself, or a multipart inside a message/rfc822 part
  // (that one's header and text are BODY[n.HEADER] / BODY[n.TEXT] of the message part).
  std::string section;

  bool is_multipart() const { return flags & kPartMultipart; }
  bool is_message() const { return flags & kPartMessage; }
  bool is_text() const { return flags & kPartText; }
};

// RFC 5256 SORT / THREAD and RFC 5957 DISPLAY keys, normalised so that byte-wise
// comparison is the comparison the RFCs ask for.
struct SortKeys {
  bool has_date = false;  // false: SORT DATE falls back to the internal date
  int64_t date = 0;       // Date field in UTC seconds
  int32_t zone_minutes = 0;
  std::string base_subject;  // RFC 5256 2.1, i;unicode-casemap canonical form
  bool reply_or_forward = false;
  // addr-mailbox of the first address (i;ascii-casemap: upper case), "" when none.
  std::string from_mailbox, to_mailbox, cc_mailbox;
  // RFC 5957: decoded display name of the first address, or its addr-spec when it has
  // none, in i;unicode-casemap canonical form (DISPLAYFROM, DISPLAYTO; Cc for symmetry).
  std::string from_display, to_display, cc_display;
  // Message ids as "<...>" without CFWS. in_reply_to is the first id in In-Reply-To.
  std::string message_id, in_reply_to;
  std::vector<std::string> references;
};

struct MessageSummary {
  std::string envelope, body, bodystructure;  // FETCH values, parentheses included
  std::vector<PartInfo> parts;                // pre-order; parts[0] is the message
  SortKeys sort;
};

MessageSummary analyze(std::string_view message, const Limits& limits = {});
// The same from an already parsed message.
MessageSummary summarize(const ParsedMessage& parsed);

std::string encode_summary(const MessageSummary& summary);
Result<MessageSummary> decode_summary(std::string_view blob);
// ENVELOPE and BODYSTRUCTURE as views into an encoded summary, without decoding the rest
// (FETCH of those items alone stays a copy of stored bytes); nullopt when the blob is not
// a summary of this version.
struct StoredFetchStrings {
  std::string_view envelope, bodystructure;
};
std::optional<StoredFetchStrings> stored_fetch_strings(std::string_view blob);

// The message ids ("<...>") in a Message-ID, In-Reply-To or References value, in order;
// comments and anything else between them are skipped.
std::vector<std::string> parse_message_ids(std::string_view value);

}  // namespace mail::mime
