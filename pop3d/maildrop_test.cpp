// Tests for the POP3 maildrop snapshot: numbering, deletion marks, RSET, unique-ids.
#include "pop3d/maildrop.h"

#include <gtest/gtest.h>

namespace mail::pop3d {
namespace {

Maildrop sample() {
  std::vector<store::MessageInfo> messages(3);
  messages[0].uid = 4, messages[0].size = 100;
  messages[1].uid = 7, messages[1].size = 250;
  messages[2].uid = 9, messages[2].size = 50;
  return Maildrop(12, 1700000001, messages);
}

TEST(Maildrop, NumbersInUidOrder) {
  Maildrop drop = sample();
  EXPECT_EQ(drop.mailbox_id(), 12u);
  EXPECT_EQ(drop.size(), 3u);
  EXPECT_EQ(drop.live_count(), 3u);
  EXPECT_EQ(drop.live_octets(), 400u);
  ASSERT_NE(drop.find(2), nullptr);
  EXPECT_EQ(drop.find(2)->uid, 7u);
  EXPECT_EQ(drop.find(0), nullptr);
  EXPECT_EQ(drop.find(4), nullptr);
}

TEST(Maildrop, DeleteAndReset) {
  Maildrop drop = sample();
  EXPECT_TRUE(drop.mark_deleted(2));
  EXPECT_FALSE(drop.mark_deleted(2));  // already marked: "no such message"
  EXPECT_FALSE(drop.mark_deleted(5));
  EXPECT_EQ(drop.find(2), nullptr);
  EXPECT_EQ(drop.live_count(), 2u);
  EXPECT_EQ(drop.live_octets(), 150u);
  EXPECT_TRUE(drop.mark_deleted(3));
  EXPECT_EQ(drop.deleted_uids(), (std::vector<uint32_t>{7, 9}));
  drop.reset();
  EXPECT_EQ(drop.live_count(), 3u);
  EXPECT_TRUE(drop.deleted_uids().empty());
}

TEST(Maildrop, UniqueIdsAreStable) {
  Maildrop drop = sample();
  EXPECT_EQ(drop.unique_id(1), "1700000001.4");
  EXPECT_EQ(drop.unique_id(3), "1700000001.9");
  EXPECT_EQ(drop.unique_id(4), "");
  // The same snapshot taken again (a new session) gives the same ids.
  EXPECT_EQ(sample().unique_id(2), drop.unique_id(2));
}

}  // namespace
}  // namespace mail::pop3d
