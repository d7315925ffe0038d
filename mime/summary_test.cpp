// analyze(), the summary blob (round trip, version and truncation refused, size), part
// numbers, section extraction and BINARY.
#include <gtest/gtest.h>

#include "mime/section.h"
#include "mime/summary.h"

namespace mail::mime {
namespace {

const std::string kSummaryMessage =
    "From: Alice Example <alice@example.org>\r\n"
    "To: \"Bob\" <bob@example.test>\r\n"
    "Cc: carol@example.org\r\n"
    "Subject: Re: [list] =?utf-8?q?caf=C3=A9?=\r\n"
    "Date: Tue, 2 Jan 2024 10:00:00 +0100\r\n"
    "Message-ID: <m3@example.org>\r\n"
    "In-Reply-To: <m2@example.org> (comment)\r\n"
    "References: <m1@example.org>\r\n <m2@example.org>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain; charset=ISO-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "caf=E9 zephyr\r\n"
    "--b\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: inner\r\n"
    "X-Other: 1\r\n"
    "Content-Type: multipart/alternative; boundary=c\r\n"
    "\r\n"
    "--c\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "inner text\r\n"
    "--c\r\n"
    "Content-Type: application/x-thing\r\n"
    "Content-Transfer-Encoding: x-uuencode\r\n"
    "\r\n"
    "begin\r\n"
    "--c--\r\n"
    "--b\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "SGVsbG8g\r\nd29ybGQh\r\n"
    "--b--\r\n";

std::vector<std::string> sections(const MessageSummary& s) {
  std::vector<std::string> out;
  for (const PartInfo& p : s.parts) out.push_back(p.section);
  return out;
}

TEST(Summary, PartTableAndSortKeys) {
  MessageSummary s = analyze(kSummaryMessage);
  EXPECT_EQ(sections(s), (std::vector<std::string>{"", "1", "2", "", "2.1", "2.2", "3"}));
  EXPECT_EQ(s.parts[1].type, "text");
  EXPECT_EQ(s.parts[1].charset, "iso-8859-1");
  EXPECT_EQ(s.parts[1].encoding, TransferEncoding::kQuotedPrintable);
  EXPECT_EQ(s.parts[1].decoded_size, 11u);  // "caf\xE9 zephyr"
  EXPECT_EQ(s.parts[6].decoded_size, 12u);  // "Hello world!"
  EXPECT_EQ(s.parts[5].encoding, TransferEncoding::kUnknown);
  EXPECT_TRUE(s.parts[2].is_message());
  EXPECT_EQ(s.parts[3].parent, 2);
  EXPECT_EQ(s.sort.base_subject, "CAFE\xCC\x81");
  EXPECT_TRUE(s.sort.reply_or_forward);
  EXPECT_TRUE(s.sort.has_date);
  EXPECT_EQ(s.sort.date, 1704186000);
  EXPECT_EQ(s.sort.zone_minutes, 60);
  EXPECT_EQ(s.sort.from_mailbox, "ALICE");
  EXPECT_EQ(s.sort.from_display, "ALICE EXAMPLE");
  EXPECT_EQ(s.sort.to_mailbox, "BOB");
  EXPECT_EQ(s.sort.cc_mailbox, "CAROL");
  EXPECT_EQ(s.sort.cc_display, "CAROL@EXAMPLE.ORG");  // no display name: the addr-spec
  EXPECT_EQ(s.sort.message_id, "<m3@example.org>");
  EXPECT_EQ(s.sort.in_reply_to, "<m2@example.org>");
  EXPECT_EQ(s.sort.references, (std::vector<std::string>{"<m1@example.org>", "<m2@example.org>"}));
  EXPECT_EQ(s.envelope.substr(0, 38), "(\"Tue, 2 Jan 2024 10:00:00 +0100\" \"Re:");
}

TEST(Summary, SinglePartMessageIsPartOne) {
  MessageSummary s = analyze("Subject: x\r\n\r\nbody\r\n");
  EXPECT_EQ(sections(s), (std::vector<std::string>{"1"}));
  EXPECT_FALSE(s.sort.has_date);
  EXPECT_EQ(s.sort.from_display, "");
  auto r = fetch_section("Subject: x\r\n\r\nbody\r\n", s, {{1}, SectionText::kPart, {}});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "body\r\n");
}

TEST(Summary, BlobRoundTrips) {
  MessageSummary s = analyze(kSummaryMessage);
  std::string blob = encode_summary(s);
  EXPECT_EQ(static_cast<uint8_t>(blob[0]), kSummaryVersion);
  auto back = decode_summary(blob);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->envelope, s.envelope);
  EXPECT_EQ(back->body, s.body);
  EXPECT_EQ(back->bodystructure, s.bodystructure);
  ASSERT_EQ(back->parts.size(), s.parts.size());
  for (size_t i = 0; i < s.parts.size(); ++i) {
    const PartInfo &a = s.parts[i], &b = back->parts[i];
    EXPECT_EQ(a.parent, b.parent);
    EXPECT_EQ(a.flags, b.flags);
    EXPECT_EQ(a.header_begin, b.header_begin);
    EXPECT_EQ(a.header_end, b.header_end);
    EXPECT_EQ(a.body_begin, b.body_begin);
    EXPECT_EQ(a.body_end, b.body_end);
    EXPECT_EQ(a.size, b.size);
    EXPECT_EQ(a.lines, b.lines);
    EXPECT_EQ(a.decoded_size, b.decoded_size);
    EXPECT_EQ(a.encoding, b.encoding);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.subtype, b.subtype);
    EXPECT_EQ(a.charset, b.charset);
    EXPECT_EQ(a.section, b.section);
    EXPECT_EQ(a.first_child, b.first_child);
  }
  EXPECT_EQ(back->sort.base_subject, s.sort.base_subject);
  EXPECT_EQ(back->sort.date, s.sort.date);
  EXPECT_EQ(back->sort.zone_minutes, s.sort.zone_minutes);
  EXPECT_EQ(back->sort.references, s.sort.references);
  EXPECT_EQ(back->sort.from_display, s.sort.from_display);
  EXPECT_EQ(back->sort.cc_display, s.sort.cc_display);
  EXPECT_EQ(back->sort.message_id, s.sort.message_id);
  EXPECT_EQ(back->sort.has_date, s.sort.has_date);
  EXPECT_EQ(back->sort.reply_or_forward, s.sort.reply_or_forward);
}

// FETCH ENVELOPE / BODYSTRUCTURE read the two strings without decoding the rest.
TEST(Summary, StoredFetchStrings) {
  MessageSummary s = analyze(kSummaryMessage);
  std::string blob = encode_summary(s);
  auto stored = stored_fetch_strings(blob);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->envelope, s.envelope);
  EXPECT_EQ(stored->bodystructure, s.bodystructure);
  EXPECT_FALSE(stored_fetch_strings(""));
  EXPECT_FALSE(stored_fetch_strings(blob.substr(0, 3)));
  blob[0] = static_cast<char>(kSummaryVersion + 1);
  EXPECT_FALSE(stored_fetch_strings(blob));
}

TEST(Summary, DecodeRefusesUnknownVersionsAndDamage) {
  std::string blob = encode_summary(analyze(kSummaryMessage));
  std::string other = blob;
  other[0] = static_cast<char>(kSummaryVersion + 1);
  auto r = decode_summary(other);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::Corrupt);
  EXPECT_FALSE(decode_summary(""));
  for (size_t cut = 0; cut < blob.size(); ++cut)
    EXPECT_FALSE(decode_summary(std::string_view(blob).substr(0, cut))) << cut;
  EXPECT_FALSE(decode_summary(blob + "x"));  // trailing garbage
}

TEST(Summary, BlobIsCompact) {
  // The blob is the three FETCH strings plus a few dozen octets per part and the keys.
  MessageSummary s = analyze(kSummaryMessage);
  size_t strings = s.envelope.size() + s.body.size() + s.bodystructure.size();
  EXPECT_LT(encode_summary(s).size(), strings + 40 * s.parts.size() + 200);
}

Result<std::string> section(std::vector<uint32_t> part, SectionText text,
                            std::vector<std::string> fields = {}) {
  return fetch_section(kSummaryMessage, analyze(kSummaryMessage),
                       {std::move(part), text, std::move(fields)});
}

TEST(Section, CutsPartsByTheTable) {
  EXPECT_EQ(*section({1}, SectionText::kPart), "caf=E9 zephyr");
  EXPECT_EQ(*section({1}, SectionText::kMime),
            "Content-Type: text/plain; charset=ISO-8859-1\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
  EXPECT_EQ(*section({2, 1}, SectionText::kPart), "inner text");
  EXPECT_EQ(*section({2, 2}, SectionText::kPart), "begin");
  EXPECT_EQ(section({2}, SectionText::kHeader).value().substr(0, 15), "Subject: inner\r");
  EXPECT_EQ(*section({2}, SectionText::kHeaderFields, {"x-other", "SUBJECT"}),
            "Subject: inner\r\nX-Other: 1\r\n\r\n");
  EXPECT_EQ(*section({2}, SectionText::kHeaderFieldsNot, {"subject", "x-other"}),
            "Content-Type: multipart/alternative; boundary=c\r\n\r\n");
  EXPECT_EQ(section({2}, SectionText::kText).value().substr(0, 5), "--c\r\n");
  EXPECT_EQ(*section({}, SectionText::kHeaderFields, {"cc"}), "Cc: carol@example.org\r\n\r\n");
  EXPECT_EQ(*section({}, SectionText::kText),
            kSummaryMessage.substr(kSummaryMessage.find("\r\n\r\n") + 4));
  EXPECT_EQ(*section({}, SectionText::kPart), kSummaryMessage);
  // What does not exist, or does not apply.
  EXPECT_FALSE(section({9}, SectionText::kPart));
  EXPECT_FALSE(section({1, 1}, SectionText::kPart));
  EXPECT_FALSE(section({1}, SectionText::kHeader));  // not a message part
  EXPECT_FALSE(section({}, SectionText::kMime));
}

TEST(Section, BinaryDecodesOrRefusesUnknownEncodings) {
  MessageSummary s = analyze(kSummaryMessage);
  EXPECT_EQ(*fetch_binary(kSummaryMessage, s, {3}), "Hello world!");
  EXPECT_EQ(*fetch_binary(kSummaryMessage, s, {1}), "caf\xE9 zephyr");
  auto unknown = fetch_binary(kSummaryMessage, s, {2, 2});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "UNKNOWN-CTE");
  EXPECT_EQ(fetch_binary(kSummaryMessage, s, {7}).error().kind, ErrorKind::NotFound);
  EXPECT_EQ(partial("abcdef", 2, 3), "cde");
  EXPECT_EQ(partial("abcdef", 4, 100), "ef");
  EXPECT_EQ(partial("abcdef", 9, 1), "");
}

TEST(Section, MismatchedSummaryCannotReadOutOfBounds) {
  MessageSummary s = analyze(kSummaryMessage);
  std::string shorter = kSummaryMessage.substr(0, 100);
  for (size_t i = 0; i < s.parts.size(); ++i) {
    EXPECT_LE(part_body(shorter, s.parts[i]).size(), shorter.size());
    EXPECT_LE(part_header(shorter, s.parts[i]).size(), shorter.size());
  }
  EXPECT_TRUE(fetch_section(shorter, s, {{2, 1}, SectionText::kPart, {}}));
}

}  // namespace
}  // namespace mail::mime
