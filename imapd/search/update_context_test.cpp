// The pure bookkeeping of RFC 5267 update contexts (update_context.h).
#include "imapd/search/update_context.h"

#include <gtest/gtest.h>

namespace mail::imapd::search {
namespace {

TEST(UpdateContext, SearchDeltaAddsAndRemovesOnlyChanges) {
  std::vector<uint32_t> result = {2, 5, 9};
  const std::vector<std::pair<uint32_t, bool>> evaluated = {{9, true}, {5, false}, {7, true},
                                                            {1, true}, {3, false}, {7, true}};
  SearchDelta d = apply_search_changes(result, evaluated);
  EXPECT_EQ(d.added, (std::vector<uint32_t>{1, 7}));  // 7 once, 9 already in
  EXPECT_EQ(d.removed, (std::vector<uint32_t>{5}));   // 3 was not in
  EXPECT_EQ(result, (std::vector<uint32_t>{1, 2, 7, 9}));
  d = apply_search_changes(result, evaluated);  // again: nothing more changes
  EXPECT_TRUE(d.added.empty() && d.removed.empty());
}

TEST(UpdateContext, RemoveFromResultReturnsMembersOnly) {
  std::vector<uint32_t> result = {1, 2, 3, 10};
  EXPECT_EQ(remove_from_result(result, {10, 4, 2, 2}), (std::vector<uint32_t>{2, 10}));
  EXPECT_EQ(result, (std::vector<uint32_t>{1, 3}));
  EXPECT_TRUE(remove_from_result(result, {}).empty());
}

TEST(UpdateContext, ContextsByTag) {
  UpdateContexts all;
  UpdateContext sorted;
  sorted.tag = "s1";
  sorted.sort = {SortCriterion{SortKey::Arrival, true}};
  sorted.uids = {9, 3, 5};
  all.add(sorted);
  UpdateContext plain;
  plain.tag = "s2";
  plain.uids = {1, 4};
  all.add(plain);
  EXPECT_TRUE(all.has("s1") && all.has("s2") && !all.has("s3"));
  const UpdateContext& s = all.contexts()[0];
  EXPECT_EQ(s.sorted_uids, (std::vector<uint32_t>{3, 5, 9}));
  EXPECT_TRUE(s.contains(5) && !s.contains(4));
  EXPECT_TRUE(all.contexts()[1].contains(4));
  EXPECT_TRUE(all.cancel("s1"));
  EXPECT_FALSE(all.cancel("s1"));
  EXPECT_EQ(all.size(), 1u);
}

}  // namespace
}  // namespace mail::imapd::search
