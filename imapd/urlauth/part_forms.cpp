// BINARY and BODYPARTSTRUCTURE forms of a part for URLFETCH; see part_forms.h.
#include "imapd/urlauth/part_forms.h"

#include "mime/imap_render.h"
#include "mime/section.h"
#include "mime/structure.h"

namespace mail::imapd::urlauth {
namespace {

bool is_leaf(const mime::PartInfo& p) {
  return !p.is_multipart() && !p.is_message();
}

bool is_descendant(const mime::MessageSummary& s, int part, int ancestor) {
  for (int p = s.parts[part].parent; p >= 0; p = s.parts[p].parent)
    if (p == ancestor) return true;
  return false;
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// A MIME header with its Content-Transfer-Encoding field (continuation lines included)
// replaced by "Content-Transfer-Encoding: binary".
std::string rewrite_cte(std::string_view header) {
  std::string out;
  size_t pos = 0;
  while (pos < header.size()) {
    size_t eol = header.find('\n', pos);
    eol = eol == std::string_view::npos ? header.size() : eol + 1;
    const std::string_view line = header.substr(pos, eol - pos);
    if (!starts_with_ci(line, "content-transfer-encoding:")) {
      out += line;
      pos = eol;
      continue;
    }
    while (eol < header.size() && (header[eol] == ' ' || header[eol] == '\t')) {
      const size_t next = header.find('\n', eol);
      eol = next == std::string_view::npos ? header.size() : next + 1;
    }
    const bool crlf = line.size() >= 2 && line[line.size() - 2] == '\r';
    out += crlf ? "Content-Transfer-Encoding: binary\r\n" : "Content-Transfer-Encoding: binary\n";
    pos = eol;
  }
  return out;
}

// The octets of part `index` ([body] of a part, the whole message for parts[0]) with the
// base64 leaves below it decoded; `rewrite` also rewrites their CTE fields.
std::string convert(std::string_view message, const mime::MessageSummary& s, int index,
                    bool rewrite) {
  const mime::PartInfo& top = s.parts[index];
  if (is_leaf(top)) {
    const std::string_view body = mime::part_body(message, top);
    return top.encoding == mime::TransferEncoding::kBase64 ||
                   top.encoding == mime::TransferEncoding::kQuotedPrintable
               ? mime::decode_body(top.encoding, body)
               : std::string(body);
  }
  const std::string_view whole = index == 0 ? message : mime::part_body(message, top);
  const size_t begin = static_cast<size_t>(whole.data() - message.data());
  const size_t end = begin + whole.size();
  std::string out;
  size_t pos = begin;
  for (size_t j = static_cast<size_t>(index) + 1; j < s.parts.size(); ++j) {
    if (!is_descendant(s, static_cast<int>(j), index)) break;  // pre-order: a subtree is contiguous
    const mime::PartInfo& p = s.parts[j];
    if (!is_leaf(p) || p.encoding != mime::TransferEncoding::kBase64) continue;
    const std::string_view header = mime::part_header(message, p);
    const std::string_view body = mime::part_body(message, p);
    const size_t header_begin = static_cast<size_t>(header.data() - message.data());
    const size_t body_begin = static_cast<size_t>(body.data() - message.data());
    if (header_begin < pos || body_begin + body.size() > end) continue;  // malformed ranges
    out += message.substr(pos, header_begin - pos);
    if (rewrite)
      out += rewrite_cte(header);
    else
      out += header;
    const size_t header_end = header_begin + header.size();
    out += message.substr(header_end, body_begin - std::min(body_begin, header_end));
    out += mime::decode_body(p.encoding, body);
    pos = body_begin + body.size();
  }
  out += message.substr(pos, end - std::min(end, pos));
  return out;
}

}  // namespace

std::string binary_form(std::string_view message, const mime::MessageSummary& summary, int index) {
  return convert(message, summary, index, true);
}

std::string part_structure(std::string_view message, const mime::MessageSummary& summary, int index,
                           bool binary) {
  if (index == 0 && !binary) return summary.bodystructure;
  std::string entity;
  if (index != 0) {
    // The part's MIME header and the blank line: [header_begin, body_begin).
    const mime::PartInfo& p = summary.parts[index];
    const std::string_view header = mime::part_header(message, p);
    const std::string_view body = mime::part_body(message, p);
    const size_t header_begin = static_cast<size_t>(header.data() - message.data());
    const size_t body_begin = static_cast<size_t>(body.data() - message.data());
    if (body_begin >= header_begin)
      entity = message.substr(header_begin, body_begin - header_begin);
  }
  if (binary)
    entity += convert(message, summary, index, false);
  else
    entity += mime::part_body(message, summary.parts[index]);
  const mime::ParsedMessage parsed = mime::parse_message(entity);
  return mime::render_body_structure(parsed, true);
}

}  // namespace mail::imapd::urlauth
