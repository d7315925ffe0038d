#include "smtpd/protocol/submission_header.h"

#include "mime/address.h"
#include "mime/header.h"

namespace mail::smtp {

namespace {

// The MIME parser's stand-ins for parts it could not read (mime/address.h).
bool is_placeholder(const std::string& part) {
  return part == "MISSING_MAILBOX" || part == "MISSING_DOMAIN" || part == "SYNTAX_ERROR";
}

// Addresses compared as the directory does: ASCII case folded (accounts are stored so).
bool same_address(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

SubmissionHeader inspect_submission_header(std::string_view message, size_t max_authors) {
  SubmissionHeader out;
  const std::string_view header = message.substr(0, mime::header_section_end(message));
  for (const mime::HeaderField& field : mime::parse_header_block(header)) {
    if (mime::header_name_equals(field.name, "Date")) out.has_date = true;
    if (mime::header_name_equals(field.name, "Message-ID")) out.has_message_id = true;
    const bool from = mime::header_name_equals(field.name, "From");
    const bool sender = mime::header_name_equals(field.name, "Sender");
    if (sender) out.has_sender = true;
    const bool author = from || sender;
    if (!author || out.too_many_authors) continue;
    const auto list = mime::parse_address_list(field.value);
    // The parser stops at kMaxAddressesPerField items (group markers included): a list cut
    // there may hide a mailbox after the cut, so it is refused as too long.
    if (list.size() >= mime::kMaxAddressesPerField) out.too_many_authors = true;
    for (const mime::Address& a : list) {
      if (a.is_group_start() || a.is_group_end()) continue;  // RFC 5322 3.4 group markers
      if (out.authors.size() == max_authors) {
        out.too_many_authors = true;
        break;
      }
      const bool whole = a.mailbox && a.domain && !a.mailbox->empty() && !a.domain->empty() &&
                         !is_placeholder(*a.mailbox) && !is_placeholder(*a.domain) &&
                         (!a.route || *a.route != "INVALID_ROUTE");
      out.authors.push_back(whole ? *a.mailbox + "@" + *a.domain : std::string());
      if (from) out.from.push_back(out.authors.back());
    }
  }
  return out;
}

std::string submission_fixups(const SubmissionHeader& header, std::string_view date,
                              std::string_view message_id, std::string_view submitter) {
  std::string out;
  const bool someone_else = header.from.size() > 1 ||
                            (header.from.size() == 1 && !same_address(header.from[0], submitter));
  if (!submitter.empty() && !header.has_sender && someone_else)
    out += "Sender: <" + std::string(submitter) + ">\r\n";
  if (!header.has_date) out += "Date: " + std::string(date) + "\r\n";
  if (!header.has_message_id) out += "Message-ID: <" + std::string(message_id) + ">\r\n";
  return out;
}

}  // namespace mail::smtp
