// Reply formatting helpers; see response.h. Input: server-side values.
#include "imapd/protocol/response.h"

#include "imapd/protocol/reader.h"

namespace mail::imap {
namespace {

bool quotable(std::string_view s, bool utf8) {
  for (unsigned char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
    if (c >= 0x80 && !utf8) return false;
  }
  return true;
}

std::string quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string literal(std::string_view s) {
  return "{" + std::to_string(s.size()) + "}\r\n" + std::string(s);
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

std::string status_line(std::string_view prefix, Status status, std::string_view code,
                        std::string_view text) {
  std::string out(prefix);
  out += ' ';
  out += status_word(status);
  if (!code.empty()) {
    out += " [";
    out += code;
    out += ']';
  }
  out += ' ';
  out += text.empty() ? std::string_view("done") : text;  // resp-text needs a text
  out += "\r\n";
  return out;
}

std::string section_text(const Section& s) {
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
  if (!s.fields.empty()) {
    out += " (";
    for (size_t i = 0; i < s.fields.size(); ++i) {
      if (i > 0) out += ' ';
      out += format_astring(s.fields[i]);
    }
    out += ')';
  }
  return out;
}

}  // namespace

std::string format_astring(std::string_view s, bool utf8) {
  bool atom = !s.empty() && to_upper(s) != "NIL";
  for (unsigned char c : s) {
    if (!is_astring_char(c)) {
      atom = false;
      break;
    }
  }
  if (atom) return std::string(s);
  return format_string(s, utf8);
}

std::string format_string(std::string_view s, bool utf8) {
  return quotable(s, utf8) ? quote(s) : literal(s);
}

std::string format_nstring(const std::optional<std::string>& s, bool utf8) {
  return s ? format_string(*s, utf8) : std::string("NIL");
}

std::string format_flags(const std::vector<std::string>& flags) {
  std::string out = "(";
  for (size_t i = 0; i < flags.size(); ++i) {
    if (i > 0) out += ' ';
    out += flags[i];
  }
  out += ')';
  return out;
}

std::string fetch_item_name(const FetchItem& item) {
  std::string out;
  switch (item.attr) {
    case FetchAttr::Flags:
      return "FLAGS";
    case FetchAttr::Uid:
      return "UID";
    case FetchAttr::InternalDate:
      return "INTERNALDATE";
    case FetchAttr::Rfc822Size:
      return "RFC822.SIZE";
    case FetchAttr::Rfc822:
      return "RFC822";
    case FetchAttr::Rfc822Header:
      return "RFC822.HEADER";
    case FetchAttr::Rfc822Text:
      return "RFC822.TEXT";
    case FetchAttr::Envelope:
      return "ENVELOPE";
    case FetchAttr::Body:
      return "BODY";
    case FetchAttr::BodyStructure:
      return "BODYSTRUCTURE";
    case FetchAttr::ModSeq:
      return "MODSEQ";
    case FetchAttr::BodySection:
      out = "BODY[";
      break;
    case FetchAttr::Binary:
      out = "BINARY[";
      break;
    case FetchAttr::BinarySize:
      out = "BINARY.SIZE[";
      break;
  }
  out += section_text(item.section);
  out += ']';
  if (item.partial) out += "<" + std::to_string(item.partial->offset) + ">";
  return out;
}

std::string format_tagged(std::string_view tag, Status status, std::string_view code,
                          std::string_view text) {
  return status_line(tag, status, code, text);
}

std::string format_untagged_status(Status status, std::string_view code, std::string_view text) {
  return status_line("*", status, code, text);
}

std::string format_continuation(std::string_view text) {
  return "+ " + std::string(text.empty() ? std::string_view("OK") : text) + "\r\n";
}

}  // namespace mail::imap
