// libFuzzer entry for the decoders: transfer encodings, RFC 2047 words, charset
// conversion (charset name taken from the input), RFC 2231 parameters, addresses, dates,
// message ids, Unicode folding, the IMAP string writers and the summary blob reader.
// Input: arbitrary bytes. Crashes, sanitizer reports and broken invariants are failures.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mime/address.h"
#include "mime/base_subject.h"
#include "mime/charset.h"
#include "mime/date.h"
#include "mime/encoded_words.h"
#include "mime/imap_string.h"
#include "mime/params.h"
#include "mime/summary.h"
#include "mime/transfer_encoding.h"
#include "mime/unicode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mail::mime;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  std::string out;
  decode_base64(in, out);
  if (out.size() != base64_decoded_size(in)) std::abort();
  out.clear();
  decode_quoted_printable(in, out);
  if (out.size() > in.size()) std::abort();
  out.clear();
  decode_q(in, out);

  if (!is_valid_utf8(decode_header_utf8(in))) std::abort();
  size_t nl = in.find('\n');
  if (nl != std::string_view::npos && nl < 40) {
    std::string converted = to_utf8(in.substr(0, nl), in.substr(nl + 1));
    if (!is_valid_utf8(converted)) std::abort();
  }

  (void)parse_content_type(in);
  (void)parse_content_disposition(in);
  (void)parse_content_transfer_encoding(in);
  (void)parse_content_language(in);
  Rfc822Tokens t(in);
  std::vector<Param> params;
  parse_params(t, params);
  (void)param_value_utf8(params, "filename");
  (void)parse_address_list(in, 100);
  (void)parse_date(in);
  (void)parse_message_ids(in);
  (void)base_subject(in);
  if (!is_valid_utf8(fold_case(in)) || !is_valid_utf8(unicode_casemap(in))) std::abort();

  std::string imap;
  append_imap_string(imap, in);
  append_imap_string_for_humans(imap, in);
  append_imap_nstring_nolf(imap, std::string(in));

  (void)decode_summary(in);
  return 0;
}
