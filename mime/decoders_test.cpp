// Transfer decoders, charset conversion and RFC 2047 encoded words: tables of input and
// expected output.
#include <gtest/gtest.h>

#include "mime/charset.h"
#include "mime/encoded_words.h"
#include "mime/transfer_encoding.h"

namespace mail::mime {
namespace {

struct DecoderCase {
  const char* in;
  const char* out;
};

TEST(Base64, DecodesToleratingJunkAndLineBreaks) {
  const DecoderCase cases[] = {
      {"SGVsbG8=", "Hello"},
      {"SGVs\r\nbG8=\r\n", "Hello"},
      {"SG Vs*bG8", "Hello"},  // junk skipped, missing padding
      {"SGk=SGk=", "HiHi"},    // concatenated encodings
      {"", ""},
      {"S", ""},  // a lone sextet holds no octet
      {"QUJD\nREVG\n", "ABCDEF"},
      {"!!!", ""},
  };
  for (const DecoderCase& c : cases) {
    std::string out;
    decode_base64(c.in, out);
    EXPECT_EQ(out, c.out) << c.in;
    EXPECT_EQ(base64_decoded_size(c.in), out.size()) << c.in;
  }
}

TEST(QuotedPrintable, DecodesEscapesAndSoftBreaks) {
  const DecoderCase cases[] = {
      {"Caf=E9", "Caf\xE9"},
      {"caf=e9", "caf\xE9"},  // lower-case hex accepted
      {"soft=\r\nbreak", "softbreak"},
      {"soft=  \r\nbreak", "softbreak"},  // whitespace after the "="
      {"soft=\nbreak", "softbreak"},      // LF only
      {"trailing   \r\nspace", "trailing\r\nspace"},
      {"a=3Db", "a=b"},
      {"bad=ZZescape", "bad=ZZescape"},  // kept as written
      {"end=", "end"},                   // soft break at the very end
      {"=4", "=4"},
      {"line1\r\nline2\r\n", "line1\r\nline2\r\n"},
  };
  for (const DecoderCase& c : cases) {
    std::string out;
    decode_quoted_printable(c.in, out);
    EXPECT_EQ(out, c.out) << c.in;
  }
}

TEST(TransferEncoding, Classifies) {
  EXPECT_EQ(classify_transfer_encoding(""), TransferEncoding::kSevenBit);
  EXPECT_EQ(classify_transfer_encoding("7BIT"), TransferEncoding::kSevenBit);
  EXPECT_EQ(classify_transfer_encoding("8bit"), TransferEncoding::kEightBit);
  EXPECT_EQ(classify_transfer_encoding("Binary"), TransferEncoding::kBinary);
  EXPECT_EQ(classify_transfer_encoding("BASE64"), TransferEncoding::kBase64);
  EXPECT_EQ(classify_transfer_encoding("quoted-printable"), TransferEncoding::kQuotedPrintable);
  EXPECT_EQ(classify_transfer_encoding("x-uuencode"), TransferEncoding::kUnknown);
  EXPECT_EQ(decode_body(TransferEncoding::kBase64, "SGk="), "Hi");
}

TEST(Charset, ConvertsToUtf8AndReplacesInvalid) {
  EXPECT_EQ(to_utf8("iso-8859-1", "Caf\xE9"), "Caf\xC3\xA9");
  EXPECT_EQ(to_utf8("ISO-8859-15", "\xA4"), "\xE2\x82\xAC");  // euro sign
  EXPECT_EQ(to_utf8("windows-1252", "\x80"), "\xE2\x82\xAC");
  EXPECT_EQ(to_utf8("utf-8", "ok\xFFok"), "ok\xEF\xBF\xBDok");
  EXPECT_EQ(to_utf8("x-unknown-charset", "abc\xE9"), "abc\xEF\xBF\xBD");
  EXPECT_EQ(to_utf8("us-ascii", "plain"), "plain");
  EXPECT_EQ(to_utf8("shift_jis", "\x82\xA0"), "\xE3\x81\x82");          // HIRAGANA A
  EXPECT_EQ(to_utf8("utf-8", "\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
  EXPECT_TRUE(is_valid_utf8("\xE2\x9C\x93"));
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));  // surrogate
  EXPECT_TRUE(charset_is_ascii_compatible("ISO-8859-2"));
  EXPECT_FALSE(charset_is_ascii_compatible("iso-2022-jp"));
}

TEST(EncodedWords, DecodesRfc2047) {
  const DecoderCase cases[] = {
      {"=?UTF-8?B?SsO8cmdlbg==?=", "J\xC3\xBCrgen"},
      {"=?iso-8859-1?Q?Andr=E9?=", "Andr\xC3\xA9"},
      {"=?utf-8?q?a_b?=", "a b"},
      // Whitespace between adjacent encoded words disappears (RFC 2047 section 6.2).
      {"=?utf-8?q?a?= =?utf-8?q?b?=", "ab"},
      {"=?utf-8?q?a?=\n =?utf-8?q?b?=", "ab"},
      // ... but not between an encoded word and text.
      {"Hello =?utf-8?q?World?= !", "Hello World !"},
      // A multi-byte character split across two words of one charset.
      {"=?UTF-8?B?ww==?= =?UTF-8?B?hA==?=", "\xC3\x84"},
      // Invalid ones stay as written.
      {"=?bogus?X?abc?=", "=?bogus?X?abc?="},
      {"=?utf-8?q?unterminated", "=?utf-8?q?unterminated"},
      {"a =? b", "a =? b"},
      // RFC 2231 section 5 language suffix.
      {"=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore"},
      // 8-bit text outside encoded words passes as UTF-8; invalid bytes become U+FFFD.
      {"Gr\xC3\xBC\xC3\x9F"
       "e",
       "Gr\xC3\xBC\xC3\x9F"
       "e"},
      {"bad \xFF byte", "bad \xEF\xBF\xBD byte"},
      {"=?utf-8?b?w6k=?=\t=?iso-8859-1?q?=E9?=", "\xC3\xA9\xC3\xA9"},
      {"", ""},
  };
  for (const DecoderCase& c : cases) EXPECT_EQ(decode_header_utf8(c.in), c.out) << c.in;
}

// Found by mime_decoder_fuzz: glibc opens a charset named "UtF\xD28" as UTF-8 and its
// UTF-8 to UTF-8 conversion let invalid sequences through.
TEST(EncodedWords, ConvertedTextIsAlwaysValidUtf8) {
  const std::string in(
      "=?UtF\3228?B?S\214=ut\n-5#26en%2; nam3\003=?=\345=Te-?u8F?B?S2\214\214O?= x");
  EXPECT_TRUE(is_valid_utf8(decode_header_utf8(in)));
  EXPECT_TRUE(is_valid_utf8(to_utf8("UtF\3228", "\xED\xA0\x80 \xF4\x90\x80\x80 \xC0\xAF")));
}

}  // namespace
}  // namespace mail::mime
