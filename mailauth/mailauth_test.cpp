// Unit tests of the pure parts: the Authentication-Results writer and parser (RFC 8601),
// header splitting and relaxed canonicalisation (RFC 6376 3.4.2), the public suffix list
// and Organizational Domains (RFC 7489 3.2), and removal of forged fields (RFC 8601 5).
#include <gtest/gtest.h>

#include "mailauth/auth_results.h"
#include "mailauth/header_block.h"
#include "mailauth/public_suffix.h"
#include "mailauth/report.h"

namespace mail::mailauth {
namespace {

TEST(AuthResults, WriteThenParseRoundTrips) {
  AuthResults in{"mx.example.org",
                 {{"spf", "pass", "", "", {{"smtp", "mailfrom", "a@example.com"}}},
                  {"dkim", "fail", "body hash", "", {{"header", "d", "example.com"}}}}};
  std::string field = write_auth_results(in);
  ASSERT_TRUE(field.starts_with("Authentication-Results: mx.example.org;"));
  ASSERT_TRUE(field.ends_with("\r\n"));
  auto out = parse_auth_results(field.substr(field.find(':') + 1));
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, in);
}

TEST(AuthResults, HostileValuesAreQuotedAndBounded) {
  AuthResults in{"mx.example.org",
                 {{"spf", "fail", "", "", {{"smtp", "mailfrom", "x\r\nX-Evil: 1;\"a b\""}}}}};
  std::string field = write_auth_results(in);
  EXPECT_EQ(field.find("\r\nX-Evil"), std::string::npos);
  for (size_t start = 0, end; (end = field.find("\r\n", start)) != std::string::npos;
       start = end + 2)
    EXPECT_LE(end - start, 998u);
  std::string big(5000, 'a');
  in.results[0].properties[0].value = big + "@example.com";
  field = write_auth_results(in);
  EXPECT_EQ(field.find(big), std::string::npos);  // over kMaxValueLength: left out
}

TEST(AuthResults, NoneAndMalformed) {
  auto none = parse_auth_results(" example.org; none");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->results.empty());
  EXPECT_FALSE(parse_auth_results(" ; spf=pass"));
  EXPECT_EQ(authserv_id_of(" Example.ORG; spf=\x01garbage"), "Example.ORG");
}

TEST(HeaderBlock, SplitsFoldedFieldsAndFindsBody) {
  std::string msg = "From: a@b.c\r\nSubject: one\r\n two\r\n\r\nbody\r\n";
  HeaderBlock h = split_header(msg);
  ASSERT_EQ(h.fields.size(), 2u);
  EXPECT_EQ(msg.substr(h.body_offset), "body\r\n");
  EXPECT_EQ(relaxed_header("SubJect:  one\r\n\t two  \r\n"),
            "subject:one two");  // CRLF added by the caller
}

TEST(HeaderBlock, RelaxedBodyLength) {
  // RFC 6376 3.4.4: trailing whitespace and empty lines at the end go.
  EXPECT_EQ(canonical_body_length("a  \r\nb\r\n\r\n\r\n", true), std::string("a\r\nb\r\n").size());
  EXPECT_EQ(canonical_body_length("", true), 0u);
}

TEST(PublicSuffix, OrganizationalDomain) {
  auto psl = PublicSuffixList::parse("// c\ncom\nuk\nco.uk\n*.ck\n!www.ck\n");
  EXPECT_EQ(psl.organizational_domain("mail.example.com"), "example.com");
  EXPECT_EQ(psl.organizational_domain("a.b.example.co.uk"), "example.co.uk");
  EXPECT_EQ(psl.organizational_domain("x.y.foo.ck"), "y.foo.ck");  // *.ck: foo.ck is a suffix
  EXPECT_EQ(psl.organizational_domain("a.www.ck"), "www.ck");
  EXPECT_EQ(psl.organizational_domain("sender.test"), "sender.test");  // "*" rule
  EXPECT_TRUE(psl.same_organization("a.example.com", "b.example.com"));
  EXPECT_FALSE(psl.same_organization("example.com", "example.org"));
}

TEST(Report, ForgedFieldsWithOurIdAreRemovedOthersKept) {
  std::string msg =
      "Authentication-Results: MX.example.org; spf=pass\r\n"
      "Authentication-Results: other.example; dkim=pass\r\n"
      "Authentication-Results: mx.example.org;\r\n\tdkim=pass\r\n"
      "From: a@b.c\r\n\r\nbody\r\n";
  HeaderBlock h = split_header(msg);
  size_t removed = 0;
  std::string out = without_our_auth_results(msg, h, "mx.example.org", &removed);
  EXPECT_EQ(removed, 2u);
  EXPECT_EQ(out, "Authentication-Results: other.example; dkim=pass\r\nFrom: a@b.c\r\n\r\nbody\r\n");
}

}  // namespace
}  // namespace mail::mailauth
