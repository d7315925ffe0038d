// IMAP URLs (RFC 5092) in their absolute, URLAUTH and relative forms: bytes in, fields out.
#include "imapd/protocol/imap_url.h"

#include <gtest/gtest.h>

namespace mail::imap {
namespace {

constexpr size_t kMax = 1024;

ImapUrl parse_ok(std::string_view text) {
  auto url = parse_imap_url(text, kMax);
  EXPECT_TRUE(url.ok()) << text << ": " << (url.ok() ? "" : url.error().message);
  return url.ok() ? *url : ImapUrl{};
}

TEST(ImapUrl, AbsoluteMessagePart) {
  const auto u = parse_ok(
      "imap://joe@example.com:143/INBOX;UIDVALIDITY=785799047/;UID=20/;SECTION=1.2/;PARTIAL=0.100");
  EXPECT_EQ(u.form, UrlForm::Absolute);
  EXPECT_TRUE(u.absolute);
  EXPECT_EQ(u.user, "joe");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, std::optional<uint16_t>(143));
  EXPECT_EQ(u.mailbox, "INBOX");
  EXPECT_EQ(u.uidvalidity, std::optional<uint32_t>(785799047));
  EXPECT_EQ(u.uid, 20u);
  EXPECT_EQ(u.section, "1.2");
  EXPECT_EQ(u.partial, (UrlPartial{0, 100}));
  EXPECT_FALSE(u.has_urlauth());
}

TEST(ImapUrl, KeysAreCaseInsensitiveAndValuesDecoded) {
  const auto u = parse_ok(
      "IMAP://fred%40x.org;auth=*@Host/Lists%2fa%20b/c/;uid=7/;section=HEADER.FIELDS%20(FROM)");
  EXPECT_EQ(u.user, "fred@x.org");
  EXPECT_EQ(u.auth_type, "*");
  EXPECT_EQ(u.host, "Host");
  EXPECT_EQ(u.mailbox, "Lists/a b/c");
  EXPECT_EQ(u.uid, 7u);
  EXPECT_EQ(u.section, "HEADER.FIELDS (FROM)");
  EXPECT_EQ(u.partial, std::nullopt);
}

TEST(ImapUrl, Utf8MailboxAndIpLiteral) {
  const auto u = parse_ok("imap://[::1]:24443/p%C3%A4/;UID=1");
  EXPECT_EQ(u.host, "[::1]");
  EXPECT_EQ(u.port, std::optional<uint16_t>(24443));
  EXPECT_EQ(u.mailbox, "p\xc3\xa4");
}

TEST(ImapUrl, ServerAndMailboxUrls) {
  auto u = parse_ok("imap://example.com");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_TRUE(u.mailbox.empty());
  u = parse_ok("imap://example.com/");
  EXPECT_TRUE(u.mailbox.empty());
  u = parse_ok("imap://example.com/INBOX?SUBJECT%20shadows");
  EXPECT_EQ(u.mailbox, "INBOX");
  EXPECT_EQ(u.search, std::optional<std::string>("SUBJECT shadows"));
  EXPECT_EQ(u.uid, 0u);
}

TEST(ImapUrl, UrlauthRumpAndVerifier) {
  const std::string rump =
      "imap://joe@example.com/INBOX/;uid=20/"
      ";section=1.2;EXPIRE=2026-12-06T13:37:00Z;urlauth=submit+fred";
  const std::string full = rump + ":internal:91354a473744909de610943775f92038";
  auto u = parse_ok(full);
  EXPECT_EQ(u.access_kind, UrlAccess::Submit);
  EXPECT_EQ(u.access, "submit+fred");
  EXPECT_EQ(u.access_user, "fred");
  EXPECT_EQ(u.mechanism, "internal");
  EXPECT_EQ(u.token, "91354a473744909de610943775f92038");
  EXPECT_EQ(u.expire, std::optional<std::string>("2026-12-06T13:37:00Z"));
  EXPECT_EQ(u.expire_unix, std::optional<int64_t>(1796564220));
  EXPECT_EQ(u.section, "1.2");
  EXPECT_EQ(u.rump_length, rump.size());
  EXPECT_FALSE(u.is_rump());
  auto r = urlauth_rump(full, kMax);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, rump);

  u = parse_ok(rump);
  EXPECT_TRUE(u.is_rump());
  u = parse_ok("imap://u@h/INBOX/;UID=3;URLAUTH=authuser");
  EXPECT_EQ(u.access_kind, UrlAccess::AuthUser);
  u = parse_ok("imap://u@h/INBOX/;UID=3;URLAUTH=Anonymous");
  EXPECT_EQ(u.access_kind, UrlAccess::Anonymous);
  u = parse_ok("imap://u@h/INBOX/;UID=3;URLAUTH=user+a%2Bb");
  EXPECT_EQ(u.access_kind, UrlAccess::User);
  EXPECT_EQ(u.access_user, "a+b");
  EXPECT_FALSE(urlauth_rump("imap://u@h/INBOX/;UID=3", kMax).ok());
}

TEST(ImapUrl, RelativeForms) {
  auto u = parse_ok("/INBOX/;uid=20/;section=1");
  EXPECT_EQ(u.form, UrlForm::ServerRelative);
  EXPECT_FALSE(u.absolute);
  EXPECT_EQ(u.mailbox, "INBOX");
  EXPECT_EQ(u.uid, 20u);
  EXPECT_EQ(u.section, "1");
  u = parse_ok("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1.MIME");
  EXPECT_EQ(u.uidvalidity, std::optional<uint32_t>(385759045));
  EXPECT_EQ(u.section, "1.MIME");
  u = parse_ok(";UID=20/;SECTION=HEADER");
  EXPECT_EQ(u.form, UrlForm::MailboxRelative);
  EXPECT_EQ(u.uid, 20u);
  EXPECT_EQ(u.section, "HEADER");
  u = parse_ok(";section=1.2/;partial=5");
  EXPECT_EQ(u.form, UrlForm::MessageRelative);
  EXPECT_EQ(u.section, "1.2");
  EXPECT_EQ(u.partial, (UrlPartial{5, std::nullopt}));
  u = parse_ok(";PARTIAL=0.10");
  EXPECT_EQ(u.form, UrlForm::MessageRelative);
  EXPECT_EQ(u.partial, (UrlPartial{0, 10}));
}

TEST(ImapUrl, ResolveAgainstBase) {
  const auto base = parse_ok("imap://joe@h/Drafts;UIDVALIDITY=9/;UID=20/;SECTION=1");
  auto r = resolve_imap_url(parse_ok(";SECTION=2"), base);
  EXPECT_TRUE(r.absolute);
  EXPECT_EQ(r.host, "h");
  EXPECT_EQ(r.mailbox, "Drafts");
  EXPECT_EQ(r.uidvalidity, std::optional<uint32_t>(9));
  EXPECT_EQ(r.uid, 20u);
  EXPECT_EQ(r.section, "2");
  r = resolve_imap_url(parse_ok(";UID=5"), base);
  EXPECT_EQ(r.uid, 5u);
  EXPECT_EQ(r.section, "");
  r = resolve_imap_url(parse_ok("/INBOX/;UID=6"), base);
  EXPECT_EQ(r.user, "joe");
  EXPECT_EQ(r.mailbox, "INBOX");
  EXPECT_EQ(r.uidvalidity, std::nullopt);
}

TEST(ImapUrl, Rejects) {
  for (const char* bad :
       {"",
        "http://h/INBOX",
        "imap://",
        "imap://@h/INBOX",
        "imap://u@/INBOX",
        "imap://h:/INBOX",
        "imap://h:65536/INBOX",
        "imap://h:1x/INBOX",
        "imap://h/INBOX/;UID=0",
        "imap://h/INBOX/;UID=01",
        "imap://h/INBOX/;UID=4294967296",
        "imap://h/INBOX/;UID=",
        "imap://h/INBOX;UIDVALIDITY=0/;UID=1",
        "imap://h/IN BOX",
        "imap://h/INBOX/;UID=1/;SECTION=",
        "imap://h/INBOX/;UID=1/;PARTIAL=1.0",
        "imap://h/INBOX/;UID=1/;PARTIAL=x",
        "imap://h/INBOX/;UID=1/;SECTION=1/;",
        "imap://h/INBOX/;UID=1;URLAUTH=nobody",
        "imap://h/INBOX/;UID=1;URLAUTH=user+",
        "imap://h/INBOX/;UID=1;URLAUTH=authuser:INTERNAL:abc",  // token < 32 hex digits
        "imap://h/INBOX/;UID=1;URLAUTH=authuser:INTERNAL:91354a473744909de610943775f9203g",
        "imap://h/INBOX/;UID=1;URLAUTH=authuser:INTERNAL",
        "imap://h/INBOX/;UID=1;EXPIRE=tomorrow;URLAUTH=authuser",
        "imap://h/INBOX/;UID=1;EXPIRE=2026-12-06T13:37:00Z",
        "imap://h/INBOX/;UID=1;FOO=1",
        "imap://h/INBOX/%",
        "imap://h/INBOX/%4",
        "imap://h/IN%00BOX",
        "imap://h/INBOX\r\n",
        "//h/INBOX",
        "INBOX",
        ";FOO=1",
        "/INBOX/;UID=1;URLAUTH=authuser",  // URLAUTH only in absolute URLs
        "/",
        ";UID=1/;UID=2"}) {
    EXPECT_FALSE(parse_imap_url(bad, kMax).ok()) << bad;
  }
}

TEST(ImapUrl, LengthLimit) {
  std::string url = "imap://h/";
  url += std::string(100 - url.size(), 'a');
  EXPECT_TRUE(parse_imap_url(url, 100).ok());
  const auto over = parse_imap_url(url + "a", 100);
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("too long"), std::string::npos);
}

TEST(ImapUrl, Rfc3339) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), std::optional<int64_t>(0));
  EXPECT_EQ(parse_rfc3339("2000-02-29t12:00:00.25z"), std::optional<int64_t>(951825600));
  EXPECT_EQ(parse_rfc3339("1970-01-01T02:00:00+02:00"), std::optional<int64_t>(0));
  EXPECT_EQ(parse_rfc3339("1969-12-31T22:00:00-02:00"), std::optional<int64_t>(0));
  EXPECT_EQ(parse_rfc3339("2001-02-29T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2001-13-01T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2001-01-01T24:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2001-01-01T00:00:00"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2001-01-01T00:00:00Zx"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2001-01-01T00:00:00+0200"), std::nullopt);
}

}  // namespace
}  // namespace mail::imap
