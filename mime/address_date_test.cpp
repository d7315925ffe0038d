// Address lists (RFC 5322 3.4, obsolete forms, groups) and dates (RFC 5322 3.3, 4.3).
#include <gtest/gtest.h>

#include "mime/address.h"
#include "mime/date.h"

namespace mail::mime {
namespace {

using S = std::optional<std::string>;
Address A(S name, S route, S mailbox, S domain) {
  return {name, route, mailbox, domain};
}
const S N = std::nullopt;

struct AddressCase {
  const char* value;
  std::vector<Address> list;
};

TEST(AddressList, ParsesModernAndObsoleteForms) {
  const AddressCase cases[] = {
      {"a@example.org", {A(N, N, "a", "example.org")}},
      {"Alice <a@example.org>", {A("Alice", N, "a", "example.org")}},
      {"\"Doe, J.\" <j@x.org>, b@y.org", {A("Doe, J.", N, "j", "x.org"), A(N, N, "b", "y.org")}},
      {"<@r1,@r2:u@h>", {A(N, "@r1,@r2", "u", "h")}},
      {"u@h (Comment Name)", {A("Comment Name", N, "u", "h")}},
      {"\"quoted local\"@h", {A(N, N, "quoted local", "h")}},
      {"Mr. Smith <s@h>", {A("Mr. Smith", N, "s", "h")}},
      {"=?utf-8?q?J=C3=BC?= <j@h>", {A("=?utf-8?q?J=C3=BC?=", N, "j", "h")}},
      {"a@[127.0.0.1]", {A(N, N, "a", "[127.0.0.1]")}},
      // Groups: a start marker with the name, then the members, then an end marker.
      {"undisclosed-recipients:;", {A(N, N, "undisclosed-recipients", N), A(N, N, N, N)}},
      {"Team: one@h, Two <two@h>;",
       {A(N, N, "Team", N), A(N, N, "one", "h"), A("Two", N, "two", "h"), A(N, N, N, N)}},
      // Broken input gets Dovecot's placeholders.
      {"nodomain", {A(N, N, "nodomain", "MISSING_DOMAIN")}},
      {"just words", {A("just words", N, "MISSING_MAILBOX", "MISSING_DOMAIN")}},
      {"<>", {A(N, N, "MISSING_MAILBOX", "MISSING_DOMAIN")}},
      {"broken <a@h", {A("broken", N, "a", "SYNTAX_ERROR")}},
      {"", {}},
      {"   ", {}},
  };
  for (const AddressCase& c : cases) EXPECT_EQ(parse_address_list(c.value), c.list) << c.value;
}

TEST(AddressList, GroupMarkers) {
  auto list = parse_address_list("G: a@h;");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_TRUE(list[0].is_group_start());
  EXPECT_FALSE(list[1].is_group_start());
  EXPECT_TRUE(list[2].is_group_end());
}

TEST(AddressList, StopsAtTheLimit) {
  std::string many;
  for (int i = 0; i < 50; ++i) many += "a" + std::to_string(i) + "@h, ";
  EXPECT_EQ(parse_address_list(many, 10).size(), 10u);
}

struct DateCase {
  const char* value;
  int64_t utc;
  int zone;
};

TEST(Date, ParsesRfc5322AndObsoleteForms) {
  const DateCase cases[] = {
      {"Tue, 2 Jan 2024 10:00:00 +0100", 1704186000, 60},
      {"2 Jan 2024 10:00:00 +0100", 1704186000, 60},
      {"Tue, 02 Jan 2024 09:00 +0000", 1704186000, 0},
      {"Tue, 2 Jan 2024 04:00:00 EST", 1704186000, -300},
      {"Tue, 2 Jan 2024 02:00:00 PDT", 1704186000, -420},
      {"Tue, 2 Jan 2024 09:00:00 GMT", 1704186000, 0},
      {"Tue, 2 Jan 2024 09:00:00 UT", 1704186000, 0},
      {"Tue, 2 Jan 2024 09:00:00 Z", 1704186000, 0},  // military: -0000
      {"Tue, 2 Jan 2024 09:00:00 A", 1704186000, 0},
      {"Tue, 2 Jan 2024 09:00:00", 1704186000, 0},  // no zone
      {"Tue, 2 Jan 2024 09:00:00 -0000", 1704186000, 0},
      {"2 Jan 24 09:00:00 +0000", 1704186000, 0},        // 2-digit year: 20xx
      {"1 Feb 99 13:45 EST", 917894700, -300},           // 19xx
      {"2 Jan 124 09:00:00 +0000", 1704186000, 0},       // 3-digit year: +1900
      {"Tue,2 Jan 2024 09.00.00 +0000", 1704186000, 0},  // "." separators
      {"Thu, 4 Jan 2024 12:00:00 +0000 (UTC)", 1704369600, 0},
      {"  Tue, (comment) 2 Jan 2024 09:00:00 +0000", 1704186000, 0},
      {"1 Jan 1970 00:00:00 +0000", 0, 0},
      {"31 Dec 1969 23:59:59 +0000", -1, 0},
  };
  for (const DateCase& c : cases) {
    auto d = parse_date(c.value);
    ASSERT_TRUE(d) << c.value;
    EXPECT_EQ(d->utc_seconds, c.utc) << c.value;
    EXPECT_EQ(d->zone_minutes, c.zone) << c.value;
  }
}

TEST(Date, RejectsWhatIsNoDate) {
  for (const char* v : {"", "yesterday", "Tue, 2 Foo 2024 10:00:00 +0000", "32 Jan 2024 10:00:00",
                        "2 Jan 2024 25:00:00", "2 Jan 2024 10:61:00", "2 Jan 2024", "2 Jan 1 10:00",
                        "30 Feb 2024 10:00:00 +0000"})
    EXPECT_FALSE(parse_date(v)) << v;
}

}  // namespace
}  // namespace mail::mime
