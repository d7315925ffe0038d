// Section extraction by part table; see section.h.
#include "mime/section.h"

#include <algorithm>

#include "mime/header.h"

namespace mail::mime {

namespace {

std::string_view clamp(std::string_view message, uint64_t begin, uint64_t end) {
  begin = std::min<uint64_t>(begin, message.size());
  end = std::min<uint64_t>(std::max(end, begin), message.size());
  return message.substr(begin, end - begin);
}

std::string join(const std::vector<uint32_t>& number) {
  std::string s;
  for (uint32_t n : number) {
    if (!s.empty()) s += '.';
    s += std::to_string(n);
  }
  return s;
}

// The message entity whose HEADER / TEXT a number names: the message itself for no
// number, the message inside a message/rfc822 part otherwise.
int message_entity(const MessageSummary& s, const std::vector<uint32_t>& number) {
  if (number.empty()) return 0;
  int p = find_part(s, number);
  if (p < 0 || !s.parts[p].is_message() || s.parts[p].first_child < 0) return -1;
  return s.parts[p].first_child;
}

}  // namespace

std::string_view part_header(std::string_view message, const PartInfo& p) {
  return clamp(message, p.header_begin, p.header_end);
}
std::string_view part_body(std::string_view message, const PartInfo& p) {
  return clamp(message, p.body_begin, p.body_end);
}

std::string_view partial(std::string_view data, uint64_t origin, uint64_t length) {
  if (origin >= data.size()) return {};
  return data.substr(origin, std::min<uint64_t>(length, data.size() - origin));
}

int find_part(const MessageSummary& s, const std::vector<uint32_t>& number) {
  if (number.empty()) return s.parts.empty() ? -1 : 0;
  std::string want = join(number);
  for (size_t i = 0; i < s.parts.size(); ++i)
    if (s.parts[i].section == want) return static_cast<int>(i);
  return -1;
}

std::string filter_header_fields(std::string_view header, const std::vector<std::string>& names,
                                 bool exclude) {
  std::string out;
  size_t pos = 0;
  while (pos < header.size() && !is_header_end_line(header, pos)) {
    HeaderField f = read_header_field(header, pos);
    bool listed = std::any_of(names.begin(), names.end(),
                              [&](const std::string& n) { return header_name_equals(n, f.name); });
    if (!f.name.empty() && listed != exclude) {
      out.append(header.substr(f.begin, f.end - f.begin));
      if (f.newline_size == 0) out += "\r\n";  // a last field without a line end
    }
    pos = f.end;
  }
  out += "\r\n";
  return out;
}

Result<std::string> fetch_section(std::string_view message, const MessageSummary& s,
                                  const Section& sec) {
  auto not_found = [&] { return make_error(ErrorKind::NotFound, "no section " + join(sec.part)); };
  if (s.parts.empty()) return not_found();
  switch (sec.text) {
    case SectionText::kPart: {
      if (sec.part.empty()) return std::string(message);
      int p = find_part(s, sec.part);
      if (p < 0) return not_found();
      return std::string(part_body(message, s.parts[p]));
    }
    case SectionText::kMime: {
      int p = find_part(s, sec.part);
      if (sec.part.empty() || p < 0) return not_found();
      return std::string(part_header(message, s.parts[p]));
    }
    case SectionText::kHeader:
    case SectionText::kHeaderFields:
    case SectionText::kHeaderFieldsNot: {
      int m = message_entity(s, sec.part);
      if (m < 0) return not_found();
      std::string_view header = part_header(message, s.parts[m]);
      if (sec.text == SectionText::kHeader) return std::string(header);
      return filter_header_fields(header, sec.fields, sec.text == SectionText::kHeaderFieldsNot);
    }
    case SectionText::kText: {
      int m = message_entity(s, sec.part);
      if (m < 0) return not_found();
      return std::string(part_body(message, s.parts[m]));
    }
  }
  return not_found();
}

Result<std::string> fetch_binary(std::string_view message, const MessageSummary& s,
                                 const std::vector<uint32_t>& number) {
  int p = find_part(s, number);
  if (p < 0) return make_error(ErrorKind::NotFound, "no section " + join(number));
  const PartInfo& part = s.parts[p];
  if (number.empty()) return std::string(message);
  if (part.encoding == TransferEncoding::kUnknown)
    return make_error(ErrorKind::Invalid, "UNKNOWN-CTE");
  return decode_body(part.encoding, part_body(message, part));
}

}  // namespace mail::mime
