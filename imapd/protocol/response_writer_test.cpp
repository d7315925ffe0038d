// Tests for ResponseWriter: each token's wire form, spacing, and whole responses.
#include "imapd/protocol/response_writer.h"

#include <gtest/gtest.h>

#include <vector>

namespace mail::imap {
namespace {

struct Writer {
  StringSink sink;
  ResponseWriter w{sink};
  std::string text() {
    w.flush();
    return std::exchange(sink.data, "");
  }
};

TEST(ResponseWriter, Strings) {
  struct Case {
    std::string_view in;
    std::string_view astring;
    std::string_view string;
  };
  const Case cases[] = {
      {"INBOX", "INBOX", "\"INBOX\""},
      {"a]b", "a]b", "\"a]b\""},
      {"", "\"\"", "\"\""},
      {"NIL", "\"NIL\"", "\"NIL\""},
      {"nil", "\"nil\"", "\"nil\""},
      {"two words", "\"two words\"", "\"two words\""},
      {"a\"b\\c", "\"a\\\"b\\\\c\"", "\"a\\\"b\\\\c\""},
      {"a*", "\"a*\"", "\"a*\""},
      {"line\r\nbreak", "{11}\r\nline\r\nbreak", "{11}\r\nline\r\nbreak"},
      {"caf\xc3\xa9", "{5}\r\ncaf\xc3\xa9", "{5}\r\ncaf\xc3\xa9"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.in));
    Writer a;
    a.w.astring(c.in);
    EXPECT_EQ(a.text(), c.astring);
    Writer s;
    s.w.string(c.in);
    EXPECT_EQ(s.text(), c.string);
  }
  Writer u;
  u.w.set_utf8(true);
  u.w.astring("caf\xc3\xa9");
  EXPECT_EQ(u.text(), "\"caf\xc3\xa9\"");
  EXPECT_EQ(format_string(std::string(2000, 'x')).substr(0, 8), "{2000}\r\n");  // long: literal
  EXPECT_EQ(format_string(std::string_view("a\0b", 3)), std::string("{3}\r\na\0b", 8));
}

TEST(ResponseWriter, AtomsNumbersNil) {
  Writer t;
  t.w.untagged().number(23).atom("EXISTS").end();
  EXPECT_EQ(t.text(), "* 23 EXISTS\r\n");
  t.w.untagged().atom("X").nstring(std::nullopt).nstring("v").nil().end();
  EXPECT_EQ(t.text(), "* X NIL \"v\" NIL\r\n");
  t.w.untagged().atom("not an atom").end();  // framing stays intact
  EXPECT_EQ(t.text(), "* \"not an atom\"\r\n");
  t.w.untagged().number(18446744073709551615ull).end();
  EXPECT_EQ(t.text(), "* 18446744073709551615\r\n");
}

TEST(ResponseWriter, ListsAndFlags) {
  Writer t;
  t.w.untagged()
      .atom("LIST")
      .open()
      .flag("\\HasNoChildren")
      .close()
      .string("/")
      .astring("a b")
      .end();
  EXPECT_EQ(t.text(), "* LIST (\\HasNoChildren) \"/\" \"a b\"\r\n");
  t.w.untagged().atom("FLAGS").flags(std::vector<std::string>{}).end();
  EXPECT_EQ(t.text(), "* FLAGS ()\r\n");
  // Invalid flags (a space, a bracket, a bare backslash) are left out.
  t.w.untagged()
      .atom("FLAGS")
      .flags(std::vector<std::string>{"\\Seen", "$Junk", "a b", "x]", "\\", "\\*"})
      .end();
  EXPECT_EQ(t.text(), "* FLAGS (\\Seen $Junk \\*)\r\n");
  t.w.untagged().open().open().string("").string("/").close().close().nil().nil().end();
  EXPECT_EQ(t.text(), "* ((\"\" \"/\")) NIL NIL\r\n");
}

TEST(ResponseWriter, SequenceSets) {
  Writer t;
  const uint32_t a[] = {1, 2, 3, 5, 7, 8, 10};
  t.w.sequence_set(a);
  EXPECT_EQ(t.text(), "1:3,5,7:8,10");
  const uint32_t one[] = {42};
  Writer u;
  u.w.sequence_set(one);
  EXPECT_EQ(u.text(), "42");
}

TEST(ResponseWriter, StatusResponses) {
  Writer t;
  t.w.tagged("A1").status(Status::Ok).code("READ-WRITE").text("SELECT completed");
  EXPECT_EQ(t.text(), "A1 OK [READ-WRITE] SELECT completed\r\n");
  t.w.tagged_status("A2", Status::No, "no such mailbox");
  EXPECT_EQ(t.text(), "A2 NO no such mailbox\r\n");
  t.w.untagged()
      .status(Status::Ok)
      .begin_code("UIDVALIDITY")
      .number(3)
      .end_code()
      .text("UIDs valid");
  EXPECT_EQ(t.text(), "* OK [UIDVALIDITY 3] UIDs valid\r\n");
  t.w.tagged("a")
      .status(Status::Ok)
      .begin_code("APPENDUID")
      .number(7)
      .number(9)
      .end_code()
      .text("done");
  EXPECT_EQ(t.text(), "a OK [APPENDUID 7 9] done\r\n");
  t.w.untagged()
      .status(Status::Ok)
      .begin_code("PERMANENTFLAGS")
      .open()
      .flag("\\Seen")
      .flag("\\*")
      .close()
      .end_code()
      .text("ok");
  EXPECT_EQ(t.text(), "* OK [PERMANENTFLAGS (\\Seen \\*)] ok\r\n");
  // RFC 4469 section 5: BADURL carries the URL bare; what would end the code or the line
  // is percent-encoded.
  t.w.tagged("c")
      .status(Status::No)
      .begin_code("BADURL")
      .code_text("/INBOX;UIDVALIDITY=5/;UID=3/;SECTION=1")
      .end_code()
      .text("bad");
  EXPECT_EQ(t.text(), "c NO [BADURL /INBOX;UIDVALIDITY=5/;UID=3/;SECTION=1] bad\r\n");
  t.w.tagged("c")
      .status(Status::No)
      .begin_code("BADURL")
      .code_text("/a]\r\nb")
      .end_code()
      .text("x");
  EXPECT_EQ(t.text(), "c NO [BADURL /a%5D%0D%0Ab] x\r\n");
  t.w.untagged_status(Status::Bye, "bye\r\n* OK injected");  // CR/LF cannot split it
  EXPECT_EQ(t.text(), "* BYE bye  * OK injected\r\n");
  t.w.tagged_status("t", Status::Bad, "");
  EXPECT_EQ(t.text(), "t BAD done\r\n");
  t.w.continuation("");
  EXPECT_EQ(t.text(), "+ \r\n");
  t.w.continuation("Ready");
  EXPECT_EQ(t.text(), "+ Ready\r\n");
}

TEST(ResponseWriter, LiteralHeaderFlushesForStreaming) {
  Writer t;
  FetchItem body;
  body.attr = FetchAttr::BodySection;
  t.w.untagged().number(1).atom("FETCH").open().fetch_item_name(body).literal_header(5);
  EXPECT_EQ(t.sink.data, "* 1 FETCH (BODY[] {5}\r\n");  // handed over before the octets
  t.sink.write("hello");
  t.w.atom("UID").number(4).close().end();
  EXPECT_EQ(t.text(), "* 1 FETCH (BODY[] {5}\r\nhello UID 4)\r\n");
}

TEST(ResponseWriter, LongResponsesAreFlushedInPieces) {
  Writer t;
  t.w.untagged().atom("SEARCH");
  for (int i = 0; i < 10000; ++i) t.w.number(static_cast<uint64_t>(i));
  EXPECT_GT(t.sink.data.size(), 0u);  // handed over before the end
  t.w.end();
  EXPECT_EQ(t.sink.data.substr(0, 13), "* SEARCH 0 1 ");
  EXPECT_EQ(t.sink.data.substr(t.sink.data.size() - 6), "9999\r\n");
}

}  // namespace
}  // namespace mail::imap
