// FETCH responses from the stored summary and octets; see fetch_response.h.
#include "imapd/commands/fetch_response.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <ctime>

#include "imapd/message_flags.h"
#include "mime/section.h"
#include "mime/transfer_encoding.h"

namespace mail::imapd {
namespace {

using imap::FetchAttr;
using imap::FetchItem;
using imap::Section;

// Fetching a body section without PEEK marks the message \Seen (RFC 9051 section 6.4.5;
// RFC 3516 section 4.2 for BINARY). RFC822.HEADER is BODY.PEEK[HEADER].
bool sets_seen(const FetchItem& item) {
  switch (item.attr) {
    case FetchAttr::Rfc822:
    case FetchAttr::Rfc822Text:
      return true;
    case FetchAttr::BodySection:
    case FetchAttr::Binary:
      return !item.peek;
    default:
      return false;
  }
}

// The message entity whose HEADER / TEXT a section names: the message itself for no part
// number, the message inside a message/rfc822 part otherwise; -1 when there is none.
int message_entity(const mime::MessageSummary& s, const std::vector<uint32_t>& part) {
  if (part.empty()) return 0;
  const int p = mime::find_part(s, part);
  if (p < 0 || !s.parts[p].is_message() || s.parts[p].first_child < 0) return -1;
  return s.parts[p].first_child;
}

// The octets BODY[section] names, a view into the message or text made into `made`;
// nullopt when the section does not exist in this message.
std::optional<std::string_view> section_octets(std::string_view message,
                                               const mime::MessageSummary& s,
                                               const Section& section, std::string& made) {
  if (s.parts.empty()) return std::nullopt;
  if (section.text == Section::Text::None) {
    if (section.part.empty()) return message;
    const int p = mime::find_part(s, section.part);
    if (p < 0) return std::nullopt;
    return mime::part_body(message, s.parts[p]);
  }
  if (section.text == Section::Text::Mime) {
    const int p = mime::find_part(s, section.part);
    if (p < 0) return std::nullopt;
    return mime::part_header(message, s.parts[p]);
  }
  const int m = message_entity(s, section.part);
  if (m < 0) return std::nullopt;
  switch (section.text) {
    case Section::Text::Header:
      return mime::part_header(message, s.parts[m]);
    case Section::Text::Text:
      return mime::part_body(message, s.parts[m]);
    case Section::Text::HeaderFields:
    case Section::Text::HeaderFieldsNot:
      made = mime::filter_header_fields(mime::part_header(message, s.parts[m]), section.fields,
                                        section.text == Section::Text::HeaderFieldsNot);
      return made;
    default:
      return std::nullopt;
  }
}

// Whole-message sections answerable from the record and the octets alone (no summary):
// BODY[], BODY[HEADER], BODY[TEXT], BODY[HEADER.FIELDS ...] and the RFC822 forms.
bool top_level_only(const Section& s) {
  return s.part.empty() && s.text != Section::Text::Mime;
}

std::string_view clamp_header(const store::MessageView& m) {
  return m.body.substr(0, std::min<size_t>(m.info.header_size, m.body.size()));
}

std::optional<std::string_view> top_level_octets(const store::MessageView& m,
                                                 const Section& section, std::string& made) {
  const std::string_view header = clamp_header(m);
  switch (section.text) {
    case Section::Text::None:
      return m.body;
    case Section::Text::Header:
      return header;
    case Section::Text::Text:
      return m.body.substr(header.size());
    case Section::Text::HeaderFields:
    case Section::Text::HeaderFieldsNot:
      made = mime::filter_header_fields(header, section.fields,
                                        section.text == Section::Text::HeaderFieldsNot);
      return made;
    case Section::Text::Mime:
      break;
  }
  return std::nullopt;
}

std::string_view apply_partial(std::string_view data, const std::optional<imap::Partial>& p) {
  return p ? mime::partial(data, p->offset, p->length) : data;
}

}  // namespace

std::optional<std::string_view> body_section(const store::MessageView& m, const Section& section,
                                             std::string& made) {
  if (top_level_only(section)) return top_level_octets(m, section, made);
  return section_octets(m.body, message_summary(m), section, made);
}

unsigned FetchNeeds::parts() const {
  return (body ? store::kPartBody : 0u) | (summary ? store::kPartSummary : 0u);
}

FetchNeeds fetch_needs(const std::vector<FetchItem>& items) {
  FetchNeeds n;
  for (const FetchItem& item : items) {
    n.sets_seen = n.sets_seen || sets_seen(item);
    switch (item.attr) {
      case FetchAttr::Flags:
        n.flags = true;
        break;
      case FetchAttr::Envelope:
      case FetchAttr::Body:
      case FetchAttr::BodyStructure:
        n.summary = true;
        break;
      case FetchAttr::Rfc822:
      case FetchAttr::Rfc822Header:
      case FetchAttr::Rfc822Text:
        n.body = true;
        break;
      case FetchAttr::BodySection:
        n.body = true;
        if (!top_level_only(item.section)) n.summary = true;
        break;
      case FetchAttr::Binary:
        n.body = n.binary = true;
        if (!item.section.part.empty()) n.summary = true;
        break;
      case FetchAttr::BinarySize:
        if (!item.section.part.empty()) n.summary = true;
        break;
      default:
        break;
    }
  }
  // A message stored without a summary has one computed from its octets (summary()).
  if (n.summary) n.body = true;
  return n;
}

std::string internal_date(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02d-%s-%04d %02d:%02d:%02d +0000", tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

FetchResponder::FetchResponder(const std::vector<FetchItem>& items, imap::ResponseWriter& out,
                               imap::ResponseSink& octets)
    : items_(items), out_(out), octets_(octets), reads_summary_(fetch_needs(items).summary) {}

SummaryOf FetchResponder::summary_of(const store::MessageView& m) {
  return [this, &m]() -> const mime::MessageSummary& { return summary(m); };
}

const mime::MessageSummary& FetchResponder::summary(const store::MessageView& m) {
  // An item that uses the summary must say so in fetch_needs(): the store then reads the
  // stored one, and this never parses the octets of a message that has one.
  assert(reads_summary_ && "fetch_needs() does not ask for the summary this item uses");
  if (summary_uid_ == m.info.uid && m.info.uid != 0) return summary_;
  summary_uid_ = m.info.uid;
  if (!m.summary.empty()) {
    auto decoded = mime::decode_summary(m.summary);
    if (decoded) {
      summary_ = std::move(*decoded);
      return summary_;
    }
  }
  summary_ = mime::analyze(m.body);
  return summary_;
}

std::optional<std::string_view> FetchResponder::refusal(const store::MessageView& m) {
  for (const FetchItem& item : items_) {
    if (item.attr != FetchAttr::Binary || item.section.part.empty()) continue;
    const mime::MessageSummary& s = summary(m);
    const int p = mime::find_part(s, item.section.part);
    if (p >= 0 && s.parts[p].encoding == mime::TransferEncoding::kUnknown) return "UNKNOWN-CTE";
  }
  return std::nullopt;
}

void FetchResponder::write(uint32_t seq, const store::MessageView& m, bool add_flags) {
  out_.untagged().number(seq).atom("FETCH").open();
  for (const FetchItem& item : items_) write_item(item, m);
  if (add_flags) {
    out_.atom("FLAGS");
    write_flags(out_, m.info.flags, recent_view_ && recent_view_->is_recent(m.info.uid));
  }
  out_.close().end();
}

void FetchResponder::write_item(const FetchItem& item, const store::MessageView& m) {
  out_.fetch_item_name(item);
  switch (item.attr) {
    case FetchAttr::Flags:
      write_flags(out_, m.info.flags, recent_view_ && recent_view_->is_recent(m.info.uid));
      break;
    case FetchAttr::Uid:
      out_.number(m.info.uid);
      break;
    case FetchAttr::InternalDate:
      out_.string(internal_date(m.info.internal_date));
      break;
    case FetchAttr::Rfc822Size:
      out_.number(m.info.size);
      break;
    case FetchAttr::ModSeq:  // RFC 7162 section 3.1.4.1: MODSEQ (n)
      out_.open().number(m.info.modseq).close();
      break;
    case FetchAttr::Envelope:
    case FetchAttr::BodyStructure: {
      // Straight from the stored bytes when nothing else needs the decoded summary.
      std::optional<mime::StoredFetchStrings> stored;
      if (summary_uid_ != m.info.uid && !m.summary.empty())
        stored = mime::stored_fetch_strings(m.summary);
      if (stored) {
        out_.preformatted(item.attr == FetchAttr::Envelope ? stored->envelope
                                                           : stored->bodystructure);
      } else {
        const mime::MessageSummary& s = summary(m);
        out_.preformatted(item.attr == FetchAttr::Envelope ? s.envelope : s.bodystructure);
      }
      break;
    }
    case FetchAttr::Body:
      out_.preformatted(summary(m).body);
      break;
    case FetchAttr::Rfc822:
      write_octets(m.body, false);
      break;
    case FetchAttr::Rfc822Header:
      write_octets(clamp_header(m), false);
      break;
    case FetchAttr::Rfc822Text:
      write_octets(m.body.substr(clamp_header(m).size()), false);
      break;
    case FetchAttr::BodySection:
      write_section(item, m);
      break;
    case FetchAttr::Binary:
      write_binary(item, m);
      break;
    case FetchAttr::BinarySize:
      write_binary_size(item, m);
      break;
  }
}

std::string_view section_octets(const store::MessageView& m, const SummaryOf& summary,
                                const Section& section, std::string& made) {
  std::optional<std::string_view> data = top_level_only(section)
                                             ? top_level_octets(m, section, made)
                                             : section_octets(m.body, summary(), section, made);
  // A part the message does not have: empty, as Dovecot answers (RFC 9051 6.4.5 gives
  // no other form).
  return data.value_or(std::string_view());
}

std::string_view binary_octets(const store::MessageView& m, const SummaryOf& summary,
                               const std::vector<uint32_t>& number, std::string& made) {
  if (number.empty()) return m.body;  // BINARY[]: the message as it is (RFC 3516 section 4.2)
  const mime::MessageSummary& s = summary();
  const int p = mime::find_part(s, number);
  if (p < 0) return {};
  const mime::PartInfo& part = s.parts[p];
  std::string_view data = mime::part_body(m.body, part);
  if (part.encoding == mime::TransferEncoding::kBase64 ||
      part.encoding == mime::TransferEncoding::kQuotedPrintable) {
    made = mime::decode_body(part.encoding, data);
    data = made;
  }
  return data;
}

mime::MessageSummary message_summary(const store::MessageView& m) {
  if (!m.summary.empty()) {
    auto decoded = mime::decode_summary(m.summary);
    if (decoded) return std::move(*decoded);
  }
  return mime::analyze(m.body);
}

void FetchResponder::write_section(const FetchItem& item, const store::MessageView& m) {
  std::string made;
  write_octets(apply_partial(section_octets(m, summary_of(m), item.section, made), item.partial),
               false);
}

void FetchResponder::write_binary(const FetchItem& item, const store::MessageView& m) {
  std::string decoded;
  std::string_view data = binary_octets(m, summary_of(m), item.section.part, decoded);
  data = apply_partial(data, item.partial);
  // RFC 3516 section 4.2: literal8 when the data holds NUL (other 8-bit data may travel
  // in a plain literal).
  write_octets(data, data.find('\0') != std::string_view::npos);
}

void FetchResponder::write_binary_size(const FetchItem& item, const store::MessageView& m) {
  if (item.section.part.empty()) {
    out_.number(m.info.size);
    return;
  }
  const mime::MessageSummary& s = summary(m);
  const int p = mime::find_part(s, item.section.part);
  if (p < 0) {
    out_.number(0);
    return;
  }
  // The size of what BINARY[part] sends: decoded for base64 and quoted-printable, the
  // octets as stored otherwise (RFC 3516 section 4.3).
  const mime::PartInfo& part = s.parts[p];
  const bool decodes = part.encoding == mime::TransferEncoding::kBase64 ||
                       part.encoding == mime::TransferEncoding::kQuotedPrintable;
  out_.number(decodes ? part.decoded_size : mime::part_body(m.body, part).size());
}

void FetchResponder::write_octets(std::string_view data, bool literal8) {
  if (literal8) {
    out_.literal8_header(data.size());
  } else if (data.find('\0') != std::string_view::npos) {
    // RFC 9051 section 4.3: a literal holds no NUL. A message appended with literal8 may;
    // BODY[] and RFC822 then show each NUL as 0x80, as Dovecot does (BINARY[] gives the
    // octets as they are).
    std::string copy(data);
    std::replace(copy.begin(), copy.end(), '\0', '\x80');
    out_.literal_header(copy.size());
    octets_.write(copy);
    return;
  } else {
    out_.literal_header(data.size());
  }
  octets_.write(data);
}

}  // namespace mail::imapd
