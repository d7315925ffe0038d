// Tests for FETCH argument parsing: each fetch-att form, macros, sections, partials,
// modifiers, and the response names fetch_item_name gives them.
#include <gtest/gtest.h>

#include "imapd/protocol/arguments.h"
#include "imapd/protocol/parser.h"
#include "imapd/protocol/response_writer.h"

namespace mail::imap {
namespace {

FetchArgs fetch(std::string_view wire) {
  ParseResult r = parse_command(wire, args::fetch);
  if (auto* e = std::get_if<ParseError>(&r)) {
    ADD_FAILURE() << e->message << " for: " << wire;
    return {};
  }
  return std::get<FetchArgs>(std::get<Command>(r).args);
}

FetchItem simple(FetchAttr a) {
  FetchItem item;
  item.attr = a;
  return item;
}

FetchItem section(FetchAttr a, bool peek, std::vector<uint32_t> part, Section::Text text,
                  std::vector<std::string> fields = {}, std::optional<Partial> partial = {}) {
  FetchItem item;
  item.attr = a;
  item.peek = peek;
  item.section.part = std::move(part);
  item.section.text = text;
  item.section.fields = std::move(fields);
  item.partial = partial;
  return item;
}

TEST(Fetch, SingleItems) {
  using T = Section::Text;
  struct Case {
    std::string_view att;
    FetchItem item;
    std::string_view response_name;
  };
  const Case cases[] = {
      {"FLAGS", simple(FetchAttr::Flags), "FLAGS"},
      {"uid", simple(FetchAttr::Uid), "UID"},
      {"INTERNALDATE", simple(FetchAttr::InternalDate), "INTERNALDATE"},
      {"RFC822.SIZE", simple(FetchAttr::Rfc822Size), "RFC822.SIZE"},
      {"RFC822", simple(FetchAttr::Rfc822), "RFC822"},
      {"RFC822.HEADER", simple(FetchAttr::Rfc822Header), "RFC822.HEADER"},
      {"RFC822.TEXT", simple(FetchAttr::Rfc822Text), "RFC822.TEXT"},
      {"ENVELOPE", simple(FetchAttr::Envelope), "ENVELOPE"},
      {"BODY", simple(FetchAttr::Body), "BODY"},
      {"BODYSTRUCTURE", simple(FetchAttr::BodyStructure), "BODYSTRUCTURE"},
      {"MODSEQ", simple(FetchAttr::ModSeq), "MODSEQ"},
      {"BODY[]", section(FetchAttr::BodySection, false, {}, T::None), "BODY[]"},
      {"body.peek[]", section(FetchAttr::BodySection, true, {}, T::None), "BODY[]"},
      {"BODY[HEADER]", section(FetchAttr::BodySection, false, {}, T::Header), "BODY[HEADER]"},
      {"BODY[TEXT]<0.2048>",
       section(FetchAttr::BodySection, false, {}, T::Text, {}, Partial{0, 2048}), "BODY[TEXT]<0>"},
      {"BODY.PEEK[HEADER.FIELDS (From To)]<0.100>",
       section(FetchAttr::BodySection, true, {}, T::HeaderFields, {"From", "To"}, Partial{0, 100}),
       "BODY[HEADER.FIELDS (From To)]<0>"},
      {"BODY[header.fields.not (\"Received\" {7}\r\nX-Spam\")]",
       section(FetchAttr::BodySection, false, {}, T::HeaderFieldsNot, {"Received", "X-Spam\""}),
       "BODY[HEADER.FIELDS.NOT (Received \"X-Spam\\\"\")]"},
      {"BODY[1]", section(FetchAttr::BodySection, false, {1}, T::None), "BODY[1]"},
      {"BODY[1.2.3]", section(FetchAttr::BodySection, false, {1, 2, 3}, T::None), "BODY[1.2.3]"},
      {"BODY[4.2.MIME]", section(FetchAttr::BodySection, false, {4, 2}, T::Mime), "BODY[4.2.MIME]"},
      {"BODY[3.HEADER]", section(FetchAttr::BodySection, false, {3}, T::Header), "BODY[3.HEADER]"},
      {"BODY.PEEK[2.TEXT]<10.5>",
       section(FetchAttr::BodySection, true, {2}, T::Text, {}, Partial{10, 5}), "BODY[2.TEXT]<10>"},
      {"BODY[1.HEADER.FIELDS (Subject)]",
       section(FetchAttr::BodySection, false, {1}, T::HeaderFields, {"Subject"}),
       "BODY[1.HEADER.FIELDS (Subject)]"},
      {"BINARY[]", section(FetchAttr::Binary, false, {}, T::None), "BINARY[]"},
      {"BINARY.PEEK[1.2]<0.10>",
       section(FetchAttr::Binary, true, {1, 2}, T::None, {}, Partial{0, 10}), "BINARY[1.2]<0>"},
      {"BINARY.SIZE[3]", section(FetchAttr::BinarySize, false, {3}, T::None), "BINARY.SIZE[3]"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.att));
    std::string wire = "a FETCH 1 " + std::string(c.att) + "\r\n";
    FetchArgs a = fetch(wire);
    ASSERT_EQ(a.items.size(), 1u);
    EXPECT_EQ(a.items[0], c.item);
    StringSink sink;
    ResponseWriter w(sink);
    w.fetch_item_name(a.items[0]).flush();
    EXPECT_EQ(sink.data, c.response_name);
  }
}

TEST(Fetch, MacrosAndLists) {
  std::vector<FetchItem> fast = {simple(FetchAttr::Flags), simple(FetchAttr::InternalDate),
                                 simple(FetchAttr::Rfc822Size)};
  EXPECT_EQ(fetch("a FETCH 1 FAST\r\n").items, fast);
  std::vector<FetchItem> all = fast;
  all.push_back(simple(FetchAttr::Envelope));
  EXPECT_EQ(fetch("a FETCH 1 all\r\n").items, all);
  std::vector<FetchItem> full = all;
  full.push_back(simple(FetchAttr::Body));
  EXPECT_EQ(fetch("a FETCH 1 FULL\r\n").items, full);

  FetchArgs a = fetch("a FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)] UID)\r\n");
  EXPECT_EQ(a.set.to_string(), "2:4");
  ASSERT_EQ(a.items.size(), 3u);
  EXPECT_EQ(a.items[1].section.fields, (std::vector<std::string>{"DATE", "FROM"}));
  EXPECT_EQ(a.items[2].attr, FetchAttr::Uid);
}

TEST(Fetch, UidFetchAndModifiers) {
  ParseResult r =
      parse_command("a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n", args::fetch);
  Command c = std::get<Command>(r);
  EXPECT_TRUE(c.uid);
  EXPECT_EQ(c.name, "FETCH");
  auto& a = std::get<FetchArgs>(c.args);
  EXPECT_EQ(a.changed_since, 12345u);
  EXPECT_TRUE(a.vanished);
  FetchArgs b = fetch("a FETCH 1 FLAGS (changedsince 9223372036854775807)\r\n");
  EXPECT_EQ(b.changed_since, 9223372036854775807ull);
  EXPECT_FALSE(b.vanished);
}

TEST(Fetch, Errors) {
  const std::string_view bad[] = {
      "a FETCH 1 ()\r\n",          // empty list
      "a FETCH 1 (ALL)\r\n",       // macros are not list items
      "a FETCH 1 FOO\r\n",         // unknown attribute
      "a FETCH 1 BODY.PEEK\r\n",   // PEEK needs a section
      "a FETCH 1 BODY[MIME]\r\n",  // MIME needs a part
      "a FETCH 1 BODY[0]\r\n",     // part numbers are non-zero
      "a FETCH 1 BODY[1.]\r\n",
      "a FETCH 1 BODY[HEADER.FIELDS]\r\n",  // needs a list
      "a FETCH 1 BODY[HEADER.FIELDS ()]\r\n",
      "a FETCH 1 BODY[TEXT\r\n",  // unclosed section
      "a FETCH 1 BODY[FOO]\r\n",
      "a FETCH 1 BODY[]<0>\r\n",  // partial needs a length
      "a FETCH 1 BODY[]<0.0>\r\n",
      "a FETCH 1 BODY[]<5.1\r\n",
      "a FETCH 1 BINARY[HEADER]\r\n",  // binary sections are parts only
      "a FETCH 1 BINARY[1.TEXT]\r\n",
      "a FETCH 1 BINARY.SIZE[1]<0.5>\r\n",  // no partial on BINARY.SIZE
      "a FETCH 1 (FLAGS\r\n",
      "a FETCH 1 (FLAGS UID\r\n",
      "a FETCH 1 FLAGS (VANISHED)\r\n",      // VANISHED needs UID FETCH
      "a UID FETCH 1 FLAGS (VANISHED)\r\n",  // ...and CHANGEDSINCE
      "a FETCH 1 FLAGS (CHANGEDSINCE)\r\n",
      "a FETCH 1 FLAGS (FOO 1)\r\n",
      "a FETCH 1 FLAGS (CHANGEDSINCE 99999999999999999999)\r\n",
      "a FETCH 1\r\n",
      "a FETCH FLAGS\r\n",
  };
  for (std::string_view wire : bad) {
    SCOPED_TRACE(std::string(wire));
    ParseResult r = parse_command(wire, args::fetch);
    ASSERT_TRUE(std::holds_alternative<ParseError>(r));
    EXPECT_EQ(std::get<ParseError>(r).tag, "a");
  }
}

// Issue 14 finding 5: "RFC822" 9,000 times asked for 9,000 copies of each message.
TEST(Fetch, DuplicateItemsAreAnsweredOnce) {
  std::string many = "a FETCH 1:64 (";
  for (int i = 0; i < 9000; ++i) many += i ? " RFC822" : "RFC822";
  many += ")\r\n";
  EXPECT_EQ(fetch(many).items, std::vector<FetchItem>{simple(FetchAttr::Rfc822)});
  // BODY[] and BODY.PEEK[] give the same data item; the non-PEEK one wins (it sets \Seen).
  using T = Section::Text;
  EXPECT_EQ(fetch("a FETCH 1 (BODY.PEEK[] FLAGS BODY[] flags)\r\n").items,
            (std::vector<FetchItem>{section(FetchAttr::BodySection, false, {}, T::None),
                                    simple(FetchAttr::Flags)}));
  // Different partials or fields are different items.
  EXPECT_EQ(fetch("a FETCH 1 (BODY[]<0.10> BODY[]<0.20> BODY[]<0.10>)\r\n").items.size(), 2u);
  EXPECT_EQ(fetch("a FETCH 1 (BODY[HEADER.FIELDS (A)] BODY[HEADER.FIELDS (B)] BODY[HEADER])\r\n")
                .items.size(),
            3u);
}

}  // namespace
}  // namespace mail::imap
