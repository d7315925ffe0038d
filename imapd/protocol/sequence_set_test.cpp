// Tests for SequenceSet: parsing, membership, normalisation against a maximum.
#include "imapd/protocol/sequence_set.h"

#include <gtest/gtest.h>

namespace mail::imap {
namespace {

TEST(SequenceSet, ParseTable) {
  struct Case {
    std::string_view text;
    std::vector<SequenceRange> ranges;  // empty: parse fails
  };
  const Case cases[] = {
      {"1", {{1, 1}}},
      {"1,3:5,7:*", {{1, 1}, {3, 5}, {7, kStar}}},
      {"*:4", {{kStar, 4}}},
      {"4:2", {{4, 2}}},
      {"*", {{kStar, kStar}}},
      {"4294967294", {{4294967294u, 4294967294u}}},
      {"4294967295", {}},
      {"0", {}},
      {"1:0", {}},
      {"01", {}},
      {"", {}},
      {",1", {}},
      {"1,", {}},
      {"1::2", {}},
      {"1:2:3", {}},
      {"$1", {}},
      {"1,$", {}},
      {"a", {}},
      {"99999999999", {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.text));
    auto set = SequenceSet::parse(c.text);
    if (c.ranges.empty()) {
      EXPECT_FALSE(set.has_value());
    } else {
      ASSERT_TRUE(set.has_value());
      EXPECT_EQ(set->ranges, c.ranges);
      EXPECT_EQ(set->to_string(), c.text);
    }
  }
}

// RFC 5182: "$" alone names the saved search result; it has no ranges of its own.
TEST(SequenceSet, SavedResult) {
  auto set = SequenceSet::parse("$");
  ASSERT_TRUE(set.has_value());
  EXPECT_TRUE(set->saved_result);
  EXPECT_TRUE(set->ranges.empty());
  EXPECT_EQ(set->to_string(), "$");
  EXPECT_FALSE(SequenceSet::parse("1")->saved_result);
}

TEST(SequenceSet, Contains) {
  auto set = *SequenceSet::parse("1,3:5,7:*");
  EXPECT_TRUE(set.contains(1, 10));
  EXPECT_FALSE(set.contains(2, 10));
  EXPECT_TRUE(set.contains(4, 10));
  EXPECT_FALSE(set.contains(6, 10));
  EXPECT_TRUE(set.contains(10, 10));
  EXPECT_FALSE(set.contains(11, 10));
  auto reversed = *SequenceSet::parse("*:4");
  EXPECT_TRUE(reversed.contains(4, 6));
  EXPECT_TRUE(reversed.contains(6, 6));
  EXPECT_FALSE(reversed.contains(3, 6));
  // "4:*" with max 2 means 2:4.
  EXPECT_TRUE(SequenceSet::parse("4:*")->contains(2, 2));
}

TEST(SequenceSet, Normalized) {
  auto set = *SequenceSet::parse("7:*,1,4:2,3,5");
  std::vector<SequenceRange> want = {{1, 5}, {7, 10}};
  EXPECT_EQ(set.normalized(10), want);
  want = {{1, 5}};
  EXPECT_EQ(set.normalized(5), want);  // 7:* with max 5 is 5:7, clipped to 5
  EXPECT_TRUE(set.normalized(0).empty());
  auto gaps = *SequenceSet::parse("10:12,1,3");
  want = {{1, 1}, {3, 3}, {10, 11}};
  EXPECT_EQ(gaps.normalized(11), want);
  EXPECT_EQ(gaps.count(11), 4u);
  EXPECT_FALSE(gaps.within(11));
  EXPECT_TRUE(gaps.within(12));
}

TEST(SequenceSet, ExpandAndForEachOnHugeMailbox) {
  auto set = *SequenceSet::parse("1:*");
  EXPECT_EQ(set.count(4000000000u), 4000000000ull);
  EXPECT_FALSE(set.expand(4000000000u, 1000).has_value());
  std::vector<uint32_t> first;
  set.for_each(4000000000u, [&](uint32_t n) {
    first.push_back(n);
    return first.size() < 3;
  });
  EXPECT_EQ(first, (std::vector<uint32_t>{1, 2, 3}));
  auto small = SequenceSet::parse("5,2:3")->expand(10, 100);
  ASSERT_TRUE(small.has_value());
  EXPECT_EQ(*small, (std::vector<uint32_t>{2, 3, 5}));
  // A range ending at the largest representable number must not loop forever.
  auto top = *SequenceSet::parse("4294967293:*");
  EXPECT_EQ(top.expand(4294967294u, 10).value(), (std::vector<uint32_t>{4294967293u, 4294967294u}));
}

}  // namespace
}  // namespace mail::imap
