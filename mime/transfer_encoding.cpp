// Transfer-encoding decoders; see transfer_encoding.h.
#include "mime/transfer_encoding.h"

#include <array>

#include "common/ascii.h"

namespace mail::mime {

namespace {

constexpr std::array<signed char, 256> make_base64_table() {
  std::array<signed char, 256> t{};
  for (auto& v : t) v = -1;
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i)
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
  return t;
}
constexpr auto kBase64 = make_base64_table();

bool is_space_or_tab(char c) {
  return c == ' ' || c == '\t';
}

}  // namespace

TransferEncoding classify_transfer_encoding(std::string_view token) {
  if (token.empty() || ascii::iequals(token, "7bit")) return TransferEncoding::kSevenBit;
  if (ascii::iequals(token, "8bit")) return TransferEncoding::kEightBit;
  if (ascii::iequals(token, "binary")) return TransferEncoding::kBinary;
  if (ascii::iequals(token, "base64")) return TransferEncoding::kBase64;
  if (ascii::iequals(token, "quoted-printable")) return TransferEncoding::kQuotedPrintable;
  return TransferEncoding::kUnknown;
}

void decode_base64(std::string_view in, std::string& out) {
  out.reserve(out.size() + in.size() / 4 * 3 + 3);
  uint32_t acc = 0;
  int n = 0;
  auto flush_partial = [&] {
    // 2 sextets hold one octet, 3 hold two; a lone sextet holds none.
    if (n == 2) out.push_back(static_cast<char>(acc >> 4));
    if (n == 3) {
      out.push_back(static_cast<char>(acc >> 10));
      out.push_back(static_cast<char>((acc >> 2) & 0xff));
    }
    acc = 0;
    n = 0;
  };
  for (char ch : in) {
    signed char v = kBase64[static_cast<unsigned char>(ch)];
    if (v < 0) {
      if (ch == '=') flush_partial();
      continue;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    if (++n == 4) {
      out.push_back(static_cast<char>(acc >> 16));
      out.push_back(static_cast<char>((acc >> 8) & 0xff));
      out.push_back(static_cast<char>(acc & 0xff));
      acc = 0;
      n = 0;
    }
  }
  flush_partial();
}

size_t base64_decoded_size(std::string_view in) {
  size_t total = 0;
  int n = 0;
  auto flush = [&] {
    if (n >= 2) total += static_cast<size_t>(n - 1);
    n = 0;
  };
  for (char ch : in) {
    if (kBase64[static_cast<unsigned char>(ch)] < 0) {
      if (ch == '=') flush();
      continue;
    }
    if (++n == 4) {
      total += 3;
      n = 0;
    }
  }
  flush();
  return total;
}

void decode_quoted_printable(std::string_view in, std::string& out) {
  out.reserve(out.size() + in.size());
  size_t pos = 0;
  while (pos < in.size()) {
    size_t eol = in.find('\n', pos);
    size_t line_end = eol == std::string_view::npos ? in.size() : eol;
    size_t content_end = line_end;
    if (eol != std::string_view::npos && content_end > pos && in[content_end - 1] == '\r')
      --content_end;
    std::string_view newline =
        in.substr(content_end, line_end - content_end + (eol == std::string_view::npos ? 0 : 1));
    // Transport may have added trailing whitespace: it is not content (section 6.7 rule 3).
    size_t end = content_end;
    while (end > pos && is_space_or_tab(in[end - 1])) --end;
    bool soft_break = false;
    for (size_t i = pos; i < end; ++i) {
      char c = in[i];
      if (c != '=') {
        out.push_back(c);
        continue;
      }
      if (i + 1 == end) {
        soft_break = true;  // "=" at the end of the line
        break;
      }
      int hi, lo;
      if (i + 2 < end && (hi = ascii::hex_value(in[i + 1])) >= 0 &&
          (lo = ascii::hex_value(in[i + 2])) >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
      } else {
        out.push_back('=');  // not an escape: keep it
      }
    }
    if (!soft_break) out.append(newline);
    pos = line_end + (eol == std::string_view::npos ? 0 : 1);
  }
}

void decode_q(std::string_view in, std::string& out) {
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '_') {
      out.push_back(' ');
    } else if (c == '=' && i + 2 < in.size() && ascii::hex_value(in[i + 1]) >= 0 &&
               ascii::hex_value(in[i + 2]) >= 0) {
      out.push_back(
          static_cast<char>(ascii::hex_value(in[i + 1]) * 16 + ascii::hex_value(in[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
}

std::string decode_body(TransferEncoding e, std::string_view body) {
  std::string out;
  switch (e) {
    case TransferEncoding::kBase64:
      decode_base64(body, out);
      break;
    case TransferEncoding::kQuotedPrintable:
      decode_quoted_printable(body, out);
      break;
    default:
      out.assign(body);
      break;
  }
  return out;
}

}  // namespace mail::mime
