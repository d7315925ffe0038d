// URLAUTH INTERNAL tokens (RFC 4467 section 7) and access identifiers (section 3).
#include "imapd/urlauth/access_token.h"

#include <gtest/gtest.h>

#include "imapd/urlauth/url_access.h"

namespace mail::imapd::urlauth {
namespace {

constexpr std::string_view kRump = "imap://joe@example.com/INBOX/;uid=20;urlauth=anonymous";

TEST(UrlauthToken, HmacSha1OverTheRump) {
  // Python: hmac.new(b"key", rump, hashlib.sha1).hexdigest()
  EXPECT_EQ(internal_token("key", kRump), "04ecce2600f970b41270951cc74a62c314fdef7c");
  EXPECT_TRUE(token_matches("key", kRump, internal_token("key", kRump)));
  std::string upper = internal_token("key", kRump);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(token_matches("key", kRump, upper));  // hex digits in any case
  EXPECT_FALSE(token_matches("other", kRump, internal_token("key", kRump)));
  EXPECT_FALSE(token_matches("key", std::string(kRump) + "x", internal_token("key", kRump)));
  EXPECT_FALSE(token_matches("key", kRump, internal_token("key", kRump).substr(0, 32)));
}

TEST(UrlauthToken, KeysAreRandomAndLongEnough) {
  const std::string a = make_access_key(), b = make_access_key();
  EXPECT_EQ(a.size(), kAccessKeyOctets);
  EXPECT_GE(a.size() * 8, 128u);
  EXPECT_NE(a, b);
}

imap::ImapUrl url(std::string_view text) {
  auto u = imap::parse_imap_url(text, 1024);
  EXPECT_TRUE(u.ok()) << text;
  return u.ok() ? *u : imap::ImapUrl{};
}

TEST(UrlAccess, OwnerAndAccessIdentifiers) {
  EXPECT_EQ(url_account(url("imap://U1@Example.TEST/INBOX/;UID=1")), "u1@example.test");
  EXPECT_EQ(url_account(url("imap://u1%40example.test@mail.example.org/INBOX/;UID=1")),
            "u1@example.test");
  EXPECT_EQ(url_account(url("imap://example.test/INBOX/;UID=1")), "");
  EXPECT_EQ(url_mailbox(url("imap://u@h/inbox/;UID=1")), std::optional<std::string>("INBOX"));
  EXPECT_EQ(url_mailbox(url("imap://u@h/a%09b/;UID=1")), std::nullopt);  // a control

  const auto user = url("imap://a@h/INBOX/;UID=1;URLAUTH=user+B@h");
  EXPECT_TRUE(access_allows(user, "b@h"));
  EXPECT_FALSE(access_allows(user, "a@h"));
  EXPECT_FALSE(access_allows(user, ""));
  const auto auth = url("imap://a@h/INBOX/;UID=1;URLAUTH=authuser");
  EXPECT_TRUE(access_allows(auth, "c@h"));
  EXPECT_FALSE(access_allows(auth, ""));
  EXPECT_TRUE(access_allows(url("imap://a@h/INBOX/;UID=1;URLAUTH=anonymous"), ""));
  // submit+: only a submission server acting for the user, which no IMAP session is.
  EXPECT_FALSE(access_allows(url("imap://a@h/INBOX/;UID=1;URLAUTH=submit+a@h"), "a@h"));
  EXPECT_FALSE(access_allows(url("imap://a@h/INBOX/;UID=1"), "a@h"));
}

}  // namespace
}  // namespace mail::imapd::urlauth
