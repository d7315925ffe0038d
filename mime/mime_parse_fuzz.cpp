// libFuzzer entry: a whole message through analyze (parse + render), the summary blob
// round trip, section and BINARY extraction of every part, and SEARCH. Input: arbitrary
// bytes as a message. Checks that every range stays inside the message and that the blob
// decodes to what was encoded; crashes and sanitizer reports are the failures.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mime/search.h"
#include "mime/section.h"
#include "mime/summary.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mail::mime;
  std::string_view msg(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.max_parts = 200;  // keep single runs fast; the limit logic is the same
  MessageSummary s = analyze(msg, limits);
  check(!s.parts.empty() && s.parts.size() <= limits.max_parts);
  check(!s.envelope.empty() && !s.body.empty() && !s.bodystructure.empty());
  for (const PartInfo& p : s.parts) {
    check(p.header_begin <= p.header_end && p.header_end <= p.body_begin);
    check(p.body_begin <= p.body_end && p.body_end <= msg.size());
  }

  std::string blob = encode_summary(s);
  auto back = decode_summary(blob);
  check(back.ok());
  check(back->envelope == s.envelope && back->bodystructure == s.bodystructure);
  check(back->body == s.body);  // derived from BODYSTRUCTURE
  check(back->parts.size() == s.parts.size());
  for (size_t i = 0; i < s.parts.size(); ++i) {
    check(back->parts[i].section == s.parts[i].section);
    check(back->parts[i].body_end == s.parts[i].body_end);
  }
  (void)decode_summary(std::string_view(blob).substr(0, blob.size() / 2));

  for (const PartInfo& p : s.parts) {
    if (p.section.empty()) continue;
    std::vector<uint32_t> number;
    size_t start = 0;
    while (start <= p.section.size()) {
      size_t dot = p.section.find('.', start);
      if (dot == std::string::npos) dot = p.section.size();
      number.push_back(static_cast<uint32_t>(std::strtoul(p.section.c_str() + start, nullptr, 10)));
      start = dot + 1;
    }
    for (SectionText t : {SectionText::kPart, SectionText::kMime, SectionText::kHeader,
                          SectionText::kHeaderFields, SectionText::kText}) {
      auto r = fetch_section(msg, s, {number, t, {"subject", "content-type"}});
      if (r) check(r->size() <= msg.size() + 2);
    }
    (void)fetch_binary(msg, s, number);
  }
  TextMatcher m("zeph\xC3\xBFs");
  (void)message_text_contains(msg, s, m);
  (void)header_field_contains(msg, s, "subject", TextMatcher("re"));
  return 0;
}
