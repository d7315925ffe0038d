// Spool::stats (queued's metrics): the LMDB backend's count and oldest arrival agree with
// the listing the default implementation uses.
#include <gtest/gtest.h>

#include "queue/test_util.h"

namespace mail::queue {
namespace {

using testing::make_message;
using testing::open_spool_in;
using testing::TempDir;

TEST(SpoolStats, CountsMessagesAndTheOldestArrival) {
  TempDir dir;
  auto spool = open_spool_in(dir);
  auto empty = spool->stats();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->messages, 0u);
  EXPECT_EQ(empty->oldest_arrival, 0);

  std::vector<NewMessage> batch;
  batch.push_back(make_message("a@example.org", {"x@example.net"}));
  batch.push_back(make_message("b@example.org", {"y@example.net"}));
  batch.push_back(make_message("c@example.org", {"z@example.net"}));
  batch[0].envelope.arrival = 1700000100;  // the first id: the oldest in the queue's order
  batch[1].envelope.arrival = 1700000200;
  batch[2].envelope.arrival = 1700000300;
  auto ids = spool->enqueue(batch);
  ASSERT_TRUE(ids.ok()) << ids.error().message;
  auto s = spool->stats();
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->messages, 3u);
  EXPECT_EQ(s->oldest_arrival, 1700000100);
  // The default implementation (over list()) gives the same answer.
  auto by_list = spool->Spool::stats();
  ASSERT_TRUE(by_list.ok());
  EXPECT_EQ(by_list->messages, s->messages);
  EXPECT_EQ(by_list->oldest_arrival, s->oldest_arrival);

  ASSERT_TRUE(spool->remove((*ids)[0]).ok());
  s = spool->stats();
  EXPECT_EQ(s->messages, 2u);
  EXPECT_EQ(s->oldest_arrival, 1700000200);
}

}  // namespace
}  // namespace mail::queue
