// ResponseWriter: see response_writer.h. Input: server-side values of any content.
#include "imapd/protocol/response_writer.h"

#include "imapd/protocol/mutf7.h"
#include "imapd/protocol/reader.h"

namespace mail::imap {
namespace {

// RFC 9051 section 4.3: a quoted string holds no CR, LF or NUL, and no 8-bit octets
// unless UTF8=ACCEPT is enabled; long values go as literals too (easier for clients).
constexpr size_t kMaxQuoted = 1024;

bool quotable(std::string_view s, bool utf8) {
  if (s.size() > kMaxQuoted) return false;
  for (unsigned char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
    if (c >= 0x80 && !utf8) return false;
  }
  return true;
}

bool valid_atom(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!is_atom_char(c)) return false;
  return true;
}

bool valid_astring_atom(std::string_view s) {
  if (s.empty() || to_upper(s) == "NIL") return false;
  for (unsigned char c : s)
    if (!is_astring_char(c)) return false;
  return true;
}

const char* status_word(Status s) {
  switch (s) {
    case Status::Ok:
      return "OK";
    case Status::No:
      return "NO";
    case Status::Bad:
      return "BAD";
    case Status::Bye:
      return "BYE";
    case Status::Preauth:
      return "PREAUTH";
  }
  return "BAD";
}

}  // namespace

void ResponseWriter::raw(std::string_view bytes) {
  buf_.append(bytes);
  if (buf_.size() >= kFlushOctets) flush();
}

void ResponseWriter::space() {
  if (need_space_) buf_ += ' ';
  need_space_ = true;
}

void ResponseWriter::flush() {
  if (buf_.empty()) return;
  sink_.write(buf_);
  // An idle session keeps no more than a small buffer (thousands of them may be open).
  if (buf_.capacity() > kKeptCapacity) {
    std::string().swap(buf_);
  } else {
    buf_.clear();
  }
}

ResponseWriter& ResponseWriter::untagged() {
  need_space_ = false;
  space();
  raw("*");
  return *this;
}

ResponseWriter& ResponseWriter::tagged(std::string_view tag) {
  need_space_ = false;
  space();
  raw(tag.empty() ? std::string_view("*") : tag);
  return *this;
}

ResponseWriter& ResponseWriter::atom(std::string_view word) {
  if (!valid_atom(word)) return string(word);
  space();
  raw(word);
  return *this;
}

ResponseWriter& ResponseWriter::number(uint64_t n) {
  space();
  raw(std::to_string(n));
  return *this;
}

void ResponseWriter::quoted(std::string_view s) {
  buf_ += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') buf_ += '\\';
    buf_ += c;
  }
  buf_ += '"';
  if (buf_.size() >= kFlushOctets) flush();
}

ResponseWriter& ResponseWriter::string(std::string_view s) {
  if (!quotable(s, utf8_)) return literal(s);
  space();
  quoted(s);
  return *this;
}

ResponseWriter& ResponseWriter::astring(std::string_view s) {
  if (!valid_astring_atom(s)) return string(s);
  space();
  raw(s);
  return *this;
}

ResponseWriter& ResponseWriter::nstring(std::optional<std::string_view> s) {
  return s ? string(*s) : nil();
}

ResponseWriter& ResponseWriter::mailbox(std::string_view name) {
  if (utf8_) return astring(name);
  // A stored name is valid UTF-8 (the session checks names it creates); should one not
  // be, it goes as it is rather than vanish from the response.
  const std::optional<std::string> encoded = mutf7_encode(name);
  return astring(encoded ? std::string_view(*encoded) : name);
}

ResponseWriter& ResponseWriter::nil() {
  space();
  raw("NIL");
  return *this;
}

ResponseWriter& ResponseWriter::literal(std::string_view s) {
  space();
  raw("{" + std::to_string(s.size()) + "}\r\n");
  raw(s);
  return *this;
}

ResponseWriter& ResponseWriter::literal_header(uint64_t size) {
  space();
  raw("{" + std::to_string(size) + "}\r\n");
  flush();
  return *this;
}

ResponseWriter& ResponseWriter::literal8_header(uint64_t size) {
  space();
  raw("~{" + std::to_string(size) + "}\r\n");
  flush();
  return *this;
}

ResponseWriter& ResponseWriter::preformatted(std::string_view imap_value) {
  space();
  raw(imap_value);
  return *this;
}

ResponseWriter& ResponseWriter::open() {
  space();
  raw("(");
  need_space_ = false;
  return *this;
}

ResponseWriter& ResponseWriter::close() {
  raw(")");
  need_space_ = true;
  return *this;
}

ResponseWriter& ResponseWriter::flag(std::string_view f) {
  // flag = "\Answered" / ... / flag-keyword / flag-extension; "\*" in PERMANENTFLAGS.
  const bool valid =
      f == "\\*" || valid_atom(f) || (f.size() > 1 && f[0] == '\\' && valid_atom(f.substr(1)));
  if (!valid) return *this;
  space();
  raw(f);
  return *this;
}

ResponseWriter& ResponseWriter::sequence_set(std::span<const uint32_t> ascending) {
  space();
  std::string out;
  for (size_t i = 0; i < ascending.size();) {
    size_t j = i;
    while (j + 1 < ascending.size() && ascending[j + 1] == ascending[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(ascending[i]);
    if (j > i) out += ':' + std::to_string(ascending[j]);
    i = j + 1;
    if (out.size() >= kFlushOctets) {
      raw(out);
      out.clear();
    }
  }
  raw(out);
  return *this;
}

void ResponseWriter::section_text(const Section& s) {
  std::string out;
  for (size_t i = 0; i < s.part.size(); ++i) {
    if (i > 0) out += '.';
    out += std::to_string(s.part[i]);
  }
  const char* text = nullptr;
  switch (s.text) {
    case Section::Text::None:
      break;
    case Section::Text::Header:
      text = "HEADER";
      break;
    case Section::Text::HeaderFields:
      text = "HEADER.FIELDS";
      break;
    case Section::Text::HeaderFieldsNot:
      text = "HEADER.FIELDS.NOT";
      break;
    case Section::Text::Text:
      text = "TEXT";
      break;
    case Section::Text::Mime:
      text = "MIME";
      break;
  }
  if (text != nullptr) {
    if (!out.empty()) out += '.';
    out += text;
  }
  raw(out);
  if (!s.fields.empty()) {
    need_space_ = true;
    open();
    for (const auto& field : s.fields) astring(field);
    close();
  }
}

ResponseWriter& ResponseWriter::fetch_item_name(const FetchItem& item) {
  const char* name = nullptr;
  switch (item.attr) {
    case FetchAttr::Flags:
      name = "FLAGS";
      break;
    case FetchAttr::Uid:
      name = "UID";
      break;
    case FetchAttr::InternalDate:
      name = "INTERNALDATE";
      break;
    case FetchAttr::Rfc822Size:
      name = "RFC822.SIZE";
      break;
    case FetchAttr::Rfc822:
      name = "RFC822";
      break;
    case FetchAttr::Rfc822Header:
      name = "RFC822.HEADER";
      break;
    case FetchAttr::Rfc822Text:
      name = "RFC822.TEXT";
      break;
    case FetchAttr::Envelope:
      name = "ENVELOPE";
      break;
    case FetchAttr::Body:
      name = "BODY";
      break;
    case FetchAttr::BodyStructure:
      name = "BODYSTRUCTURE";
      break;
    case FetchAttr::ModSeq:
      name = "MODSEQ";
      break;
    case FetchAttr::BodySection:
    case FetchAttr::Binary:
    case FetchAttr::BinarySize:
      break;
  }
  space();
  if (name != nullptr) {
    raw(name);
    return *this;
  }
  raw(item.attr == FetchAttr::BodySection ? "BODY["
      : item.attr == FetchAttr::Binary    ? "BINARY["
                                          : "BINARY.SIZE[");
  section_text(item.section);
  raw("]");
  if (item.partial) raw("<" + std::to_string(item.partial->offset) + ">");
  need_space_ = true;
  return *this;
}

ResponseWriter& ResponseWriter::status(Status s) {
  space();
  raw(status_word(s));
  return *this;
}

ResponseWriter& ResponseWriter::begin_code(std::string_view name) {
  space();
  raw("[");
  raw(name);
  need_space_ = true;
  return *this;
}

ResponseWriter& ResponseWriter::code_text(std::string_view text) {
  space();
  if (text.empty()) text = "%20";  // url-resp-text is 1*: never an empty token
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : text) {
    const auto octet = static_cast<unsigned char>(c);
    if (octet == 0 || octet == '\r' || octet == '\n' || octet == ']' || octet == 0xff) {
      const char escaped[3] = {'%', kHex[octet >> 4], kHex[octet & 0xf]};
      raw(std::string_view(escaped, 3));
    } else {
      raw(std::string_view(&c, 1));
    }
  }
  return *this;
}

ResponseWriter& ResponseWriter::end_code() {
  raw("]");
  need_space_ = true;
  return *this;
}

void ResponseWriter::text(std::string_view human) {
  space();
  if (human.empty()) human = "done";  // text = 1*TEXT-CHAR
  for (char c : human) buf_ += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
  end();
}

void ResponseWriter::end() {
  buf_ += "\r\n";
  need_space_ = false;
  flush();
}

void ResponseWriter::continuation(std::string_view text) {
  buf_ += "+ ";
  for (char c : text) buf_ += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
  end();
}

std::string format_string(std::string_view s, bool utf8) {
  StringSink sink;
  ResponseWriter w(sink);
  w.set_utf8(utf8);
  w.string(s);
  w.flush();
  return sink.data;
}

}  // namespace mail::imap
