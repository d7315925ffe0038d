// Content-Type / Content-Disposition parameters with RFC 2231 continuations and charsets.
#include <gtest/gtest.h>

#include "mime/params.h"

namespace mail::mime {
namespace {

TEST(ContentType, ParsesTypeSubtypeAndParams) {
  ContentType ct = parse_content_type("Text/Plain; charset=\"utf-8\"; format=flowed (c)");
  EXPECT_TRUE(ct.valid);
  EXPECT_EQ(ct.type, "Text");
  EXPECT_EQ(ct.subtype, "Plain");
  EXPECT_EQ(ct.params, (std::vector<Param>{{"charset", "utf-8"}, {"format", "flowed"}}));
}

TEST(ContentType, BrokenValuesKeepWhatCanBeRead) {
  EXPECT_EQ(parse_content_type("text").type, "text");
  EXPECT_FALSE(parse_content_type("text").valid);
  ContentType junk = parse_content_type("text/plain junk; charset=x");
  EXPECT_FALSE(junk.valid);
  EXPECT_EQ(junk.type, "");
  EXPECT_TRUE(junk.params.empty());
  EXPECT_EQ(parse_content_type("").type, "");
}

struct ParamCase {
  const char* value;
  std::vector<Param> params;
};

TEST(Rfc2231, MergesContinuations) {
  const ParamCase cases[] = {
      // Extended pieces merge into "name*" and keep charset'lang'%XX (as BODYSTRUCTURE
      // shows them); plain pieces among them get their "%" escaped.
      {"; name*0*=utf-8'en'long%20file; name*1*=%20name; name*2=\".pdf\"",
       {{"name*", "utf-8'en'long%20file%20name.pdf"}}},
      {"; filename*0=\"first \"; filename*1=\"second%part\"", {{"filename", "first second%part"}}},
      // Pieces out of order are sorted by index.
      {"; t*1=b; t*0=a", {{"t", "ab"}}},
      // A missing index: each piece is kept as written.
      {"; title*1=\"gap\"; title*3=\"gap2\"", {{"title*1", "gap"}, {"title*3", "gap2"}}},
      // Plain parameters first, in their order; merged ones after.
      {"; z*0=1; a=2", {{"a", "2"}, {"z", "1"}}},
      {"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf", {{"filename*", "UTF-8''r%C3%A9sum%C3%A9.pdf"}}},
      // An unquoted encoded word (broken but common) is kept whole.
      {"; name==?utf-8?B?w6k=?=", {{"name", "=?utf-8?B?w6k=?="}}},
      {"; a=\"q\\\"uote\"", {{"a", "q\"uote"}}},
      // After a broken parameter nothing more is read (as Dovecot does).
      {"; broken; b=1", {}},
      {"; a=1; b", {{"a", "1"}}},
  };
  for (const ParamCase& c : cases) {
    Rfc822Tokens t(c.value);
    std::vector<Param> params;
    parse_params(t, params);
    EXPECT_EQ(params, c.params) << c.value;
  }
}

TEST(Rfc2231, DecodesValuesToUtf8) {
  std::vector<Param> params = {{"filename*", "UTF-8''r%C3%A9sum%C3%A9.pdf"},
                               {"name", "=?UTF-8?B?w6lsw6h2ZS5wZGY=?="},
                               {"latin*", "iso-8859-1'fr'caf%E9"},
                               {"plain", "x.txt"}};
  EXPECT_EQ(param_value_utf8(params, "filename"), "r\xC3\xA9sum\xC3\xA9.pdf");
  EXPECT_EQ(param_value_utf8(params, "NAME"), "\xC3\xA9l\xC3\xA8ve.pdf");
  EXPECT_EQ(param_value_utf8(params, "latin"), "caf\xC3\xA9");
  EXPECT_EQ(param_value_utf8(params, "plain"), "x.txt");
  EXPECT_EQ(param_value_utf8(params, "absent"), std::nullopt);
}

TEST(Disposition, TransferEncodingAndLanguage) {
  auto d = parse_content_disposition("attachment; filename=a.txt");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->value, "attachment");
  EXPECT_EQ(d->params, (std::vector<Param>{{"filename", "a.txt"}}));
  EXPECT_EQ(parse_content_transfer_encoding(" base64 (comment)"), "base64");
  EXPECT_EQ(parse_content_transfer_encoding("bogus encoding"), std::nullopt);
  EXPECT_EQ(parse_content_language("en, de-CH"), (std::vector<std::string>{"en", "de-CH"}));
}

}  // namespace
}  // namespace mail::mime
