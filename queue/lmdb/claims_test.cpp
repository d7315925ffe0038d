// Tests for claims on the LMDB spool (lmdb_claims.cpp): order and limits, per-recipient
// next attempts, leases that run out, lost claims, outcomes, renewal, and workers on
// several threads never sharing a message.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "queue/test_util.h"

namespace mail::queue {
namespace {

using testing::claim_ids;
using testing::ids_of;
using testing::make_message;
using testing::open_spool_in;
using testing::TempDir;

Outcome delivered(uint32_t i) {
  return Outcome{i, Outcome::Kind::Delivered, "250 2.0.0 ok", BounceClass::None, 0};
}
Outcome deferred(uint32_t i, int64_t next) {
  return Outcome{i, Outcome::Kind::Deferred, "451 4.3.0 later", BounceClass::Soft, next};
}
Outcome failed(uint32_t i) {
  return Outcome{i, Outcome::Kind::Failed, "550 5.1.1 unknown", BounceClass::Hard, 0};
}

Completion completion(const Claim& c, std::vector<Outcome> outcomes) {
  return Completion{ClaimRef{c.envelope.id, c.token}, std::move(outcomes)};
}

Result<Completed> complete_one(Spool& spool, const Claim& c, std::vector<Outcome> outcomes,
                               int64_t now) {
  std::vector<Completion> batch{completion(c, std::move(outcomes))};
  auto r = spool.complete(batch, now);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return std::move(r.value().front());
}

TEST(Claims, DueOrderAndLimit) {
  TempDir dir;
  auto spool = open_spool_in(dir);
  std::vector<NewMessage> batch;
  batch.push_back(make_message("a", {"r"}, 300));  // A
  batch.push_back(make_message("b", {"r"}, 100));  // B
  batch.push_back(make_message("c", {"r"}, 200));  // C
  batch.push_back(make_message("d", {"r"}, 100));  // D: same time as B, later id
  auto ids = spool->enqueue(batch).value();

  EXPECT_TRUE(spool->claim(99, 60, 10)->empty());
  EXPECT_TRUE(spool->claim(1000, 60, 0)->empty());
  EXPECT_EQ(claim_ids(*spool, 1000, 2), (std::vector{ids[1], ids[3]}));
  // Claimed messages are not handed out again while the lease lives.
  EXPECT_EQ(claim_ids(*spool, 1000, 10), (std::vector{ids[2], ids[0]}));
  EXPECT_TRUE(spool->claim(1059, 60, 10)->empty());
}

TEST(Claims, ClaimCoversOnlyDueRecipients) {
  TempDir dir;
  auto spool = open_spool_in(dir);
  std::vector<NewMessage> batch;
  batch.push_back(make_message("a", {"r0", "r1", "r2"}, 100));
  auto id = spool->enqueue(batch).value()[0];

  auto c = spool->claim(100, 60, 10).value();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].recipients, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_FALSE(c[0].reclaimed);
  EXPECT_EQ(c[0].lease_until, 160);
  EXPECT_NE(c[0].token, 0u);
  // r0 delivered, r1 deferred to 500, r2 deferred to 900.
  auto done = complete_one(*spool, c[0], {delivered(0), deferred(1, 500), deferred(2, 900)}, 110);
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_FALSE(done->removed);
  EXPECT_EQ(done->envelope.next_attempt, 500);

  EXPECT_TRUE(spool->claim(499, 60, 10)->empty());
  c = spool->claim(500, 60, 10).value();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].recipients, (std::vector<uint32_t>{1}));
  auto e = c[0].envelope;
  EXPECT_EQ(e.recipients[0].state, Recipient::State::Delivered);
  EXPECT_EQ(e.recipients[0].attempts, 1u);
  EXPECT_EQ(e.recipients[0].last_reply, "250 2.0.0 ok");
  EXPECT_EQ(e.recipients[1].attempts, 1u);
  EXPECT_EQ(e.recipients[1].first_failure, 110);
  EXPECT_EQ(e.recipients[1].bounce_class, BounceClass::Soft);
  EXPECT_EQ(e.recipients[2].next_attempt, 900);

  // r1 fails for good; r2 still waits for 900.
  done = complete_one(*spool, c[0], {failed(1)}, 510);
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(done->removed);
  EXPECT_EQ(done->envelope.recipients[1].state, Recipient::State::Failed);
  EXPECT_EQ(done->envelope.recipients[1].attempts, 2u);
  EXPECT_EQ(done->envelope.recipients[1].first_failure, 110);  // the first one stays
  EXPECT_EQ(done->envelope.recipients[1].bounce_class, BounceClass::Hard);

  c = spool->claim(900, 60, 10).value();
  ASSERT_EQ(c.size(), 1u);
  // An outcome for a recipient that is no longer pending is ignored.
  done = complete_one(*spool, c[0], {delivered(2), delivered(0), delivered(1), delivered(7)}, 905);
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->removed);
  EXPECT_EQ(done->envelope.recipients[1].state, Recipient::State::Failed);
  EXPECT_EQ(done->envelope.recipients[0].attempts, 1u);
  EXPECT_EQ(spool->envelope(id).error().kind, ErrorKind::NotFound);
  EXPECT_EQ(spool->content(id).error().kind, ErrorKind::NotFound);
  EXPECT_TRUE(spool->claim(100000, 60, 10)->empty());
}

TEST(Claims, ExpiredLeaseIsReclaimedAndTheOldClaimIsLost) {
  TempDir dir;
  auto spool = open_spool_in(dir);
  std::vector<NewMessage> batch;
  batch.push_back(make_message("a", {"r"}, 0));
  auto id = spool->enqueue(batch).value()[0];

  auto first = spool->claim(100, 30, 10).value();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(spool->claim(129, 30, 10)->empty());
  // The first worker dies; its lease runs out at 130.
  auto second = spool->claim(130, 30, 10).value();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_TRUE(second[0].reclaimed);
  EXPECT_NE(second[0].token, first[0].token);

  // The first worker wakes up: its completion and renewal are refused, nothing recorded.
  auto stale = complete_one(*spool, first[0], {delivered(0)}, 131);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().kind, ErrorKind::Denied);
  std::vector<ClaimRef> refs{{id, first[0].token}};
  auto renewed = spool->renew(refs, 1000).value();
  EXPECT_EQ(renewed[0].error().kind, ErrorKind::Denied);
  EXPECT_EQ(spool->envelope(id)->recipients[0].attempts, 0u);

  auto done = complete_one(*spool, second[0], {delivered(0)}, 132);
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->removed);
  // Completing twice: the message is gone.
  auto again = complete_one(*spool, second[0], {delivered(0)}, 133);
  EXPECT_EQ(again.error().kind, ErrorKind::NotFound);
}

TEST(Claims, ARestartedWorkerTakesBackWhatItsPreviousRunHeld) {
  TempDir dir;
  auto spool = open_spool_in(dir);
  std::vector<NewMessage> batch;
  for (int i = 0; i < 3; ++i) batch.push_back(make_message("a", {"r"}, 0));
  auto ids = spool->enqueue(batch).value();
  auto mine = spool->claim(100, 300, 2, "worker-a").value();
  auto theirs = spool->claim(100, 300, 1, "worker-b").value();
  ASSERT_EQ(mine.size(), 2u);
  ASSERT_EQ(theirs.size(), 1u);
  // worker-a dies and starts again: its two claims come due at once, worker-b's does not.
  EXPECT_EQ(spool->expire_claims("worker-a", 105).value(), 2u);
  EXPECT_EQ(spool->expire_claims("worker-a", 105).value(), 0u);
  auto again = spool->claim(105, 300, 10, "worker-a").value();
  ASSERT_EQ(ids_of(again), (std::vector{ids[0], ids[1]}));
  EXPECT_TRUE(again[0].reclaimed);
  // The dead run's tokens are worthless now; worker-b's claim still completes.
  EXPECT_EQ(complete_one(*spool, mine[0], {delivered(0)}, 106).error().kind, ErrorKind::Denied);
  EXPECT_TRUE(complete_one(*spool, theirs[0], {delivered(0)}, 106).ok());
  // Renewing keeps the owner: a later expiry by that owner still finds the claim.
  std::vector<ClaimRef> refs{{ids[0], again[0].token}};
  ASSERT_TRUE(spool->renew(refs, 1000).value()[0].ok());
  EXPECT_EQ(spool->expire_claims("worker-a", 110).value(), 2u);
}

TEST(Claims, LateCompletionStillCountsWhenNobodyReclaimed) {
  TempDir dir;
  auto spool = open_spool_in(dir);
  std::vector<NewMessage> batch;
  batch.push_back(make_message("a", {"r"}, 0));
  spool->enqueue(batch).value();
  auto c = spool->claim(100, 30, 10).value();
  auto done = complete_one(*spool, c[0], {deferred(0, 400)}, 500);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->envelope.recipients[0].next_attempt, 400);
  EXPECT_EQ(claim_ids(*spool, 400).size(), 1u);
}

TEST(Claims, CompletionWithoutOutcomesGivesTheMessageBack) {
  TempDir dir;
  auto spool = open_spool_in(dir);
  std::vector<NewMessage> batch;
  batch.push_back(make_message("a", {"r"}, 0));
  auto id = spool->enqueue(batch).value()[0];
  auto c = spool->claim(100, 300, 10).value();
  ASSERT_TRUE(complete_one(*spool, c[0], {}, 101).ok());
  auto again = spool->claim(101, 300, 10).value();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_FALSE(again[0].reclaimed);
  EXPECT_EQ(again[0].envelope.recipients[0].attempts, 0u);
}

TEST(Claims, RenewExtendsTheLease) {
  TempDir dir;
  auto spool = open_spool_in(dir);
  std::vector<NewMessage> batch;
  batch.push_back(make_message("a", {"r"}, 0));
  auto id = spool->enqueue(batch).value()[0];
  auto c = spool->claim(100, 30, 10).value();
  std::vector<ClaimRef> refs{{id, c[0].token}, {"NOPE", 1}};
  auto r = spool->renew(refs, 1000);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)[0].ok());
  EXPECT_EQ((*r)[1].error().kind, ErrorKind::NotFound);
  EXPECT_TRUE(spool->claim(999, 30, 10)->empty());
  auto done = complete_one(*spool, c[0], {delivered(0)}, 500);
  EXPECT_TRUE(done.ok());
}

TEST(Claims, HoldDuringClaimAndAdminRemove) {
  TempDir dir;
  auto spool = open_spool_in(dir);
  std::vector<NewMessage> batch;
  batch.push_back(make_message("a", {"r"}, 0));
  batch.push_back(make_message("b", {"r"}, 0));
  auto ids = spool->enqueue(batch).value();
  auto c = spool->claim(100, 30, 10).value();
  ASSERT_EQ(c.size(), 2u);
  // Held while a worker delivers: the outcome is kept, but no new claim until release.
  ASSERT_TRUE(spool->hold(ids[0]).ok());
  auto done = complete_one(*spool, c[0], {deferred(0, 110)}, 105);
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->envelope.held);
  // Deleted by the administrator while a worker delivers: the completion finds nothing.
  ASSERT_TRUE(spool->remove(ids[1]).ok());
  EXPECT_EQ(complete_one(*spool, c[1], {delivered(0)}, 105).error().kind, ErrorKind::NotFound);
  EXPECT_TRUE(spool->claim(1000, 30, 10)->empty());
  ASSERT_TRUE(spool->release(ids[0]).ok());
  EXPECT_EQ(claim_ids(*spool, 1000), (std::vector{ids[0]}));

  // A held message whose claim expires stays out of circulation.
  std::vector<NewMessage> more;
  more.push_back(make_message("c", {"r"}, 0));
  auto id = spool->enqueue(more).value()[0];
  auto held = spool->claim(2000, 30, 10).value();
  ASSERT_EQ(held.size(), 2u);  // ids[0] again (its lease from 1000 ran out) and the new one
  ASSERT_TRUE(spool->hold(id).ok());
  EXPECT_EQ(claim_ids(*spool, 3000), (std::vector{ids[0]}));
  ASSERT_TRUE(spool->release(id).ok());
  EXPECT_EQ(claim_ids(*spool, 3000), (std::vector{id}));
}

TEST(Claims, BatchCompletionIsOneTransactionWithPerClaimResults) {
  TempDir dir;
  auto spool = open_spool_in(dir);
  std::vector<NewMessage> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(make_message("s", {"r"}, 0));
  auto ids = spool->enqueue(batch).value();
  auto claims = spool->claim(10, 60, 10).value();
  ASSERT_EQ(claims.size(), 5u);
  std::vector<Completion> done;
  for (const auto& c : claims) done.push_back(completion(c, {delivered(0)}));
  done[2].claim.token ^= 1;  // someone else's claim
  auto r = spool->complete(done, 20);
  ASSERT_TRUE(r.ok());
  for (size_t i = 0; i < 5; ++i) {
    if (i == 2) {
      EXPECT_EQ((*r)[i].error().kind, ErrorKind::Denied);
    } else {
      ASSERT_TRUE((*r)[i].ok());
      EXPECT_TRUE((*r)[i]->removed);
    }
  }
  EXPECT_EQ(ids_of(spool->list().value()), (std::vector{ids[2]}));
}

// Several workers on threads claim, "deliver" and complete concurrently: every message is
// claimed exactly once and delivered exactly once.
TEST(Claims, ConcurrentWorkersNeverShareAMessage) {
  TempDir dir;
  auto spool = open_spool_in(dir);
  constexpr int kMessages = 600;
  for (int i = 0; i < kMessages; i += 100) {
    std::vector<NewMessage> batch;
    for (int j = 0; j < 100; ++j) batch.push_back(make_message("s", {"r1", "r2"}, 0));
    ASSERT_TRUE(spool->enqueue(batch).ok());
  }
  std::mutex mu;
  std::map<std::string, int> seen;
  std::atomic<int> errors{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w)
    workers.emplace_back([&] {
      for (;;) {
        auto claims = spool->claim(100, 600, 7);
        if (!claims) {
          ++errors;
          return;
        }
        if (claims->empty()) return;
        std::vector<Completion> done;
        {
          std::lock_guard lock(mu);
          for (const auto& c : *claims) {
            ++seen[c.envelope.id];
            done.push_back(completion(c, {delivered(0), delivered(1)}));
          }
        }
        auto r = spool->complete(done, 101);
        if (!r)
          ++errors;
        else
          for (auto& one : *r) errors += one.ok() && one->removed ? 0 : 1;
      }
    });
  for (auto& t : workers) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kMessages));
  for (const auto& [id, n] : seen) ASSERT_EQ(n, 1) << id;
  EXPECT_TRUE(spool->list()->empty());
}

}  // namespace
}  // namespace mail::queue
