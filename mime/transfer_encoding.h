// Content-Transfer-Encoding decoders (RFC 2045 section 6) and the RFC 2047 "Q" decoding.
// Input: untrusted body bytes. The decoders never fail: junk in base64 is skipped, and
// quoted-printable escapes that are not escapes are kept as written, as mail readers do.
#pragma once

#include <string>
#include <string_view>

namespace mail::mime {

enum class TransferEncoding : unsigned char {
  kSevenBit,  // also when the header is absent
  kEightBit,
  kBinary,
  kBase64,
  kQuotedPrintable,
  kUnknown,  // anything else: FETCH BINARY answers NO [UNKNOWN-CTE] (RFC 3516)
};

// The encoding named by a Content-Transfer-Encoding token (case-insensitive); an absent
// or empty header means 7bit.
TransferEncoding classify_transfer_encoding(std::string_view token);
// True for 7bit, 8bit and binary: the body bytes are the content.
inline bool is_identity(TransferEncoding e) {
  return e == TransferEncoding::kSevenBit || e == TransferEncoding::kEightBit ||
         e == TransferEncoding::kBinary;
}

// Base64 (RFC 2045 section 6.8): characters outside the alphabet (line breaks, spaces,
// junk) are skipped; "=" ends a quantum, so concatenated encodings decode one after the
// other; a trailing partial quantum yields the bytes it holds.
void decode_base64(std::string_view in, std::string& out);
// Octets decode_base64 would produce, without producing them.
size_t base64_decoded_size(std::string_view in);

// Quoted-printable (RFC 2045 section 6.7): "=XX" (either hex case), soft line breaks
// ("=" then optional whitespace then CRLF or LF), trailing whitespace on a line dropped;
// an "=" that starts nothing valid is kept. Line ends are kept as they are in the input.
void decode_quoted_printable(std::string_view in, std::string& out);

// RFC 2047 section 4.2 "Q": "_" is a space, "=XX" an octet, a bad "=" kept as written.
void decode_q(std::string_view in, std::string& out);

// The decoded content of a body in the given encoding (identity encodings: a copy).
// REQUIRES: e != kUnknown.
std::string decode_body(TransferEncoding e, std::string_view body);

}  // namespace mail::mime
