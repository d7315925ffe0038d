// Tests for address syntax (auth/address.h) and record encoding (auth/records.h).
#include "auth/address.h"

#include <gtest/gtest.h>

#include "auth/records.h"

namespace mail::auth {
namespace {

TEST(AddressTest, NormalizesCase) {
  auto a = normalize_address("Alice.Smith@Example.COM");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, "alice.smith@example.com");
  auto d = normalize_domain("Mail.Example.Org");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, "mail.example.org");
}

TEST(AddressTest, RefusesMalformedAddresses) {
  const char* cases[] = {"",           "alice",        "@example.com", "alice@",
                         "a@b@c.com",  "al ice@x.com", "alice@.x.com", "alice@x.com.",
                         "alice@x..y", "al\tice@x.y",  "al\x7f@x.y",   "alice@x y.com"};
  for (const char* c : cases) {
    auto a = normalize_address(c);
    ASSERT_FALSE(a.ok()) << c;
    EXPECT_EQ(a.error().kind, ErrorKind::Invalid);
  }
  EXPECT_FALSE(normalize_address(std::string(65, 'a') + "@x.com").ok());
  EXPECT_FALSE(normalize_address("a@" + std::string(253, 'b')).ok());
  EXPECT_TRUE(normalize_address(std::string(64, 'a') + "@x.com").ok());
}

TEST(AddressTest, RefusesMalformedDomains) {
  for (const char* c : {"", ".", ".x.com", "x.com.", "x..com", "x com", "a@b", "x\r\n.com"})
    EXPECT_FALSE(normalize_domain(c).ok()) << c;
  EXPECT_TRUE(normalize_domain("localhost").ok());
}

TEST(AddressTest, InternationalizedDomainsUseALabels) {
  // RFC 5890: U-labels and their A-label are one domain; UTS #46 maps case.
  EXPECT_EQ(*normalize_domain("b\xC3\xBC"
                              "cher.test"),
            "xn--bcher-kva.test");
  EXPECT_EQ(*normalize_domain("B\xC3\x9C"
                              "CHER.Test"),
            "xn--bcher-kva.test");
  EXPECT_EQ(*normalize_domain("XN--BCHER-KVA.test"), "xn--bcher-kva.test");
  EXPECT_EQ(*normalize_address("J\xC3\xB6rg@b\xC3\xBC"
                               "cher.test"),
            "j\xC3\xB6rg@xn--bcher-kva.test");               // local part: ASCII lower-casing only
  EXPECT_FALSE(normalize_domain("a\xC3.test").ok());         // not UTF-8
  EXPECT_FALSE(normalize_domain("\xE2\x98\x83.test").ok());  // U+2603 is not allowed in IDNA
}

TEST(AddressTest, RoutingSyntaxInLocalParts) {
  for (const char* local : {"user%other.test", "host!user", "\"user@other.test\"", "a%b!c"})
    EXPECT_TRUE(has_routing_syntax(local)) << local;
  for (const char* local : {"user", "first.last", "user+tag", "\"john doe\"", "o'brien"})
    EXPECT_FALSE(has_routing_syntax(local)) << local;
}

TEST(AddressTest, DomainOf) {
  EXPECT_EQ(domain_of("a@b.c"), "b.c");
  EXPECT_EQ(domain_of("nodomain"), "");
  EXPECT_EQ(domain_of("a@"), "");
}

TEST(RecordsTest, AccountRoundTrip) {
  AccountRecord r{.password_hash = "$argon2id$x", .enabled = false};
  auto d = decode_account(encode(r));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->password_hash, "$argon2id$x");
  EXPECT_FALSE(d->enabled);
}

TEST(RecordsTest, AccountGarbageIsCorrupt) {
  std::string good = encode(AccountRecord{.password_hash = "h", .enabled = true});
  for (const std::string& bad : {std::string(), good.substr(0, good.size() - 1), good + "x",
                                 "\x03" + good.substr(1), std::string(1, '\0') + good.substr(1)}) {
    auto d = decode_account(bad);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().kind, ErrorKind::Corrupt);
  }
}

TEST(RecordsTest, AliasRoundTripAndGarbage) {
  AliasRecord r{.targets = {"a@x.com", "b@y.org"}};
  std::string bytes = encode(r);
  auto d = decode_alias(bytes);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->targets, r.targets);
  EXPECT_FALSE(decode_alias(bytes.substr(0, bytes.size() - 1)).ok());
  EXPECT_FALSE(decode_alias(bytes + "z").ok());
  EXPECT_FALSE(decode_alias(std::string("\x01\xff\xff\xff\xff", 5)).ok());
}

}  // namespace
}  // namespace mail::auth
