// The structure parser's byte ranges and limits, the header splitter, and the IMAP string
// rules of the renderers.
#include <gtest/gtest.h>

#include "mime/body_from_structure.h"
#include "mime/header.h"
#include "mime/imap_render.h"
#include "mime/imap_string.h"
#include "mime/structure.h"

namespace mail::mime {
namespace {

std::string_view body_of(const ParsedMessage& m, int i) {
  const Part& p = m.parts[i];
  return m.message.substr(p.body_begin, p.body_end - p.body_begin);
}
std::string_view header_of(const ParsedMessage& m, int i) {
  const Part& p = m.parts[i];
  return m.message.substr(p.header_begin, p.header_end - p.header_begin);
}

TEST(Header, SplitsUnfoldsAndFinds) {
  std::string h = "Subject: a\r\n b\r\nX-Empty:\r\nTo :  x@y\r\nno colon line\r\n\r\nbody";
  auto fields = parse_header_block(h);
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[0].name, "Subject");
  EXPECT_EQ(fields[0].value, "a\n b");
  EXPECT_EQ(fields[1].value, "");
  EXPECT_EQ(fields[2].name, "To");
  EXPECT_EQ(fields[2].value, "x@y");
  EXPECT_EQ(fields[3].name, "");
  EXPECT_EQ(find_first_field(h, "subject"), "a\n b");
  EXPECT_EQ(find_last_field(h, "to"), "x@y");
  EXPECT_EQ(find_first_field(h, "body"), std::nullopt);
  EXPECT_EQ(header_section_end(h), h.size() - 4);
  EXPECT_EQ(header_section_end("A: b\nC: d"), 9u);  // no empty line: all header
}

TEST(Structure, RangesOfNestedParts) {
  std::string msg =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
      "preamble\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\none\r\n"
      "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\ninner\r\n"
      "--b--\r\nepilogue\r\n";
  ParsedMessage m = parse_message(msg);
  ASSERT_EQ(m.parts.size(), 4u);
  EXPECT_TRUE(m.parts[0].is_multipart());
  EXPECT_EQ(body_of(m, 1), "one");
  EXPECT_EQ(header_of(m, 1), "Content-Type: text/plain\r\n\r\n");
  EXPECT_TRUE(m.parts[2].is_message());
  EXPECT_EQ(body_of(m, 2), "Subject: in\r\n\r\ninner");
  EXPECT_EQ(m.parts[3].parent, 2);
  EXPECT_EQ(header_of(m, 3), "Subject: in\r\n\r\n");
  EXPECT_EQ(body_of(m, 3), "inner");
  EXPECT_EQ(m.parts[3].envelope->subject, "in");
  EXPECT_EQ(m.body_size(m.parts[1]), 3u);
  EXPECT_EQ(m.body_lines(m.parts[2]), 2u);
}

TEST(Structure, BareLfCountsAsCrlf) {
  std::string msg = "Subject: x\n\nline1\nline2\n";
  ParsedMessage m = parse_message(msg);
  EXPECT_EQ(m.body_size(m.parts[0]), 14u);
  EXPECT_EQ(m.header_size(m.parts[0]), 14u);
  EXPECT_EQ(m.body_lines(m.parts[0]), 2u);
}

std::string nested_multiparts(int depth) {
  std::string msg;
  for (int i = 0; i < depth; ++i)
    msg += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" +
           std::to_string(i) + "\r\n";
  msg += "Content-Type: text/plain\r\n\r\nleaf\r\n";
  return msg;
}

TEST(Structure, NestingStopsAtTheDepthLimit) {
  Limits limits;
  limits.max_depth = 10;
  std::string fifty = nested_multiparts(50);
  ParsedMessage m = parse_message(fifty, limits);
  unsigned max_depth = 0;
  bool overflow = false;
  for (const Part& p : m.parts) {
    max_depth = std::max(max_depth, p.depth);
    overflow |= (p.flags & kPartOverflow) != 0;
  }
  EXPECT_EQ(max_depth, 9u);  // depth + 1 < max_depth for a new level
  EXPECT_TRUE(overflow);
  // At the limit exactly: 9 levels below the message still nest.
  std::string nine = nested_multiparts(9);
  ParsedMessage at = parse_message(nine, limits);
  EXPECT_EQ(at.parts.back().depth, 9u);
  // Rendering a deep message does not recurse without bound either.
  std::string very_deep = nested_multiparts(5000);
  ParsedMessage deep = parse_message(very_deep);
  EXPECT_FALSE(render_body_structure(deep, true).empty());
}

TEST(Structure, PartCountStopsAtTheLimit) {
  std::string msg = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 100; ++i) msg += "--b\r\n\r\npart\r\n";
  msg += "--b--\r\n";
  Limits limits;
  limits.max_parts = 20;
  ParsedMessage m = parse_message(msg, limits);
  EXPECT_EQ(m.parts.size(), 20u);
  limits.max_parts = 101;
  EXPECT_EQ(parse_message(msg, limits).parts.size(), 101u);
}

TEST(Structure, HostileInputStaysInBounds) {
  // Header only, boundary without a line end, empty message.
  for (std::string msg :
       {std::string(), std::string("\r\n"), std::string("Subject: x"),
        std::string("Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n--x"),
        std::string("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b")}) {
    ParsedMessage m = parse_message(msg);
    for (const Part& p : m.parts) {
      EXPECT_LE(p.header_begin, p.header_end);
      EXPECT_LE(p.header_end, p.body_begin);
      EXPECT_LE(p.body_begin, p.body_end);
      EXPECT_LE(p.body_end, msg.size());
    }
    EXPECT_FALSE(render_body_structure(m, true).empty());
  }
}

TEST(ImapString, QuotedLiteralAndForHumans) {
  auto s = [](std::string_view v) {
    std::string out;
    append_imap_string(out, v);
    return out;
  };
  auto h = [](std::string_view v) {
    std::string out;
    append_imap_string_for_humans(out, v);
    return out;
  };
  auto nolf = [](std::string v) {
    std::string out;
    append_imap_nstring_nolf(out, v);
    return out;
  };
  EXPECT_EQ(s("plain"), "\"plain\"");
  EXPECT_EQ(s("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(s("\"\"\"\"\""), "{5}\r\n\"\"\"\"\"");  // five escapes: a literal is shorter
  EXPECT_EQ(s("caf\xC3\xA9"), "{5}\r\ncaf\xC3\xA9");
  EXPECT_EQ(h("Hello"), "\"Hello\"");
  EXPECT_EQ(h("a\n b"), "{3}\r\na b");
  EXPECT_EQ(h("  x  "), "{1}\r\nx");
  EXPECT_EQ(h("   "), "\"\"");
  EXPECT_EQ(h("say \"hi\""), "{8}\r\nsay \"hi\"");
  EXPECT_EQ(nolf("<a@b>\r\n <c@d>"), "\"<a@b> <c@d>\"");
  EXPECT_EQ(nolf("<a@b>\n<c@d>"), "\"<a@b> <c@d>\"");
  std::string nil;
  append_imap_nstring(nil, std::nullopt);
  EXPECT_EQ(nil, "NIL");
}

}  // namespace
}  // namespace mail::mime

namespace mail::mime {
namespace {

TEST(BodyFromBodystructure, DropsExtensionDataOrRefusesGarbage) {
  EXPECT_EQ(body_from_bodystructure(
                R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL))"),
            R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1))");
  EXPECT_EQ(body_from_bodystructure(
                "((\"image\" \"png\" NIL NIL {3}\r\na)b \"base64\" 4 NIL (\"inline\" NIL) NIL NIL)"
                " \"mixed\" (\"boundary\" \"x\") NIL NIL NIL)"),
            "((\"image\" \"png\" NIL NIL {3}\r\na)b \"base64\" 4) \"mixed\")");
  // Address lists inside an envelope have no spaces between their elements.
  std::string msg =
      "Content-Type: message/rfc822\r\n\r\nFrom: a@b, c@d\r\nTo: G: e@f;\r\n\r\nx\r\n";
  ParsedMessage m = parse_message(msg);
  EXPECT_EQ(body_from_bodystructure(render_body_structure(m, true)),
            render_body_structure(m, false));
  for (const char* bad : {"", "(", "(\"text\")", "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 3)",
                          "(\"a\" \"b\" NIL NIL NIL \"7bit\" 3 {9}\r\nx)", "x",
                          "((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1))"})
    EXPECT_EQ(body_from_bodystructure(bad), std::nullopt) << bad;
}

}  // namespace
}  // namespace mail::mime
