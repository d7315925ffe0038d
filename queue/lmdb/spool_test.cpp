// Tests for the LMDB spool's enqueue, reads, administration (hold, release, retry, flush,
// remove), schema check and queue ids. Claims are in claims_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "common/codec.h"
#include "common/config.h"
#include "common/lmdb.h"
#include "queue/lmdb/lmdb_spool.h"
#include "queue/test_util.h"

namespace mail::queue {
namespace {

using testing::claim_ids;
using testing::ids_of;
using testing::make_message;
using testing::open_spool_in;
using testing::TempDir;

TEST(QueueId, FormatUniqueAndSorted) {
  std::string prev;
  for (int i = 0; i < 1000; ++i) {
    std::string id = new_queue_id();
    ASSERT_EQ(id.size(), 19u);
    for (char c : id) ASSERT_TRUE((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')) << id;
    ASSERT_LT(prev, id);
    prev = id;
  }
}

TEST(QueueId, UniqueAcrossThreads) {
  std::vector<std::vector<std::string>> per(8);
  std::vector<std::thread> threads;
  for (auto& v : per)
    threads.emplace_back([&v] {
      for (int i = 0; i < 2000; ++i) v.push_back(new_queue_id());
    });
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (auto& v : per) {
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(all.size(), 16000u);
}

TEST(OpenSpool, PicksTheConfiguredBackend) {
  TempDir dir;
  Config config;
  config.server.data_dir = dir.path();
  auto spool = open_spool(config);
  ASSERT_TRUE(spool.ok()) << spool.error().message;
  EXPECT_TRUE(std::filesystem::exists(config.queue_dir() / "data.mdb"));
  config.queue.backend = "carrier-pigeon";
  spool = open_spool(config);
  ASSERT_FALSE(spool.ok());
  EXPECT_EQ(spool.error().kind, ErrorKind::Invalid);
}

TEST(LmdbSpool, EnqueueListEnvelopeContentRoundTrip) {
  TempDir dir;
  auto spool = open_spool_in(dir);
  std::vector<NewMessage> batch;
  batch.push_back(make_message("a@example.org", {"x@example.net", "y@example.net"}, 50, "one"));
  batch.push_back(make_message("", {"z@example.com"}, 0, std::string("t\0wo", 4)));
  batch[1].envelope.client = "bob";
  batch[1].envelope.dsn_ret = DsnRet::Full;
  batch[1].envelope.dsn_envid = "QQ314159";
  batch[1].envelope.body = BodyType::BinaryMime;
  batch[1].envelope.smtputf8 = true;
  batch[1].envelope.recipients[0].dsn_notify = kNotifySuccess;
  batch[1].envelope.recipients[0].orcpt = "rfc822;z@example.com";
  auto ids = spool->enqueue(batch);
  ASSERT_TRUE(ids.ok()) << ids.error().message;
  ASSERT_EQ(ids->size(), 2u);
  EXPECT_LT((*ids)[0], (*ids)[1]);
  EXPECT_EQ(batch[0].envelope.id, (*ids)[0]);

  EXPECT_EQ(ids_of(spool->list().value()), *ids);
  auto e = spool->envelope((*ids)[0]);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->id, (*ids)[0]);
  EXPECT_EQ(e->sender, "a@example.org");
  ASSERT_EQ(e->recipients.size(), 2u);
  EXPECT_EQ(e->recipients[1].address, "y@example.net");
  EXPECT_EQ(e->recipients[1].state, Recipient::State::Pending);
  // Each recipient starts at the message's first attempt.
  EXPECT_EQ(e->recipients[0].next_attempt, 50);
  EXPECT_EQ(e->recipients[1].next_attempt, 50);
  EXPECT_EQ(e->next_attempt, 50);
  EXPECT_EQ(e->arrival, 1700000000);
  EXPECT_EQ(e->session_id, "S1");
  EXPECT_EQ(e->size, 3u);

  auto e2 = spool->envelope((*ids)[1]).value();
  EXPECT_EQ(e2.sender, "");
  EXPECT_EQ(e2.client, "bob");
  EXPECT_EQ(e2.dsn_ret, DsnRet::Full);
  EXPECT_EQ(e2.dsn_envid, "QQ314159");
  EXPECT_EQ(e2.body, BodyType::BinaryMime);
  EXPECT_TRUE(e2.smtputf8);
  EXPECT_EQ(e2.recipients[0].dsn_notify, kNotifySuccess);
  EXPECT_EQ(e2.recipients[0].orcpt, "rfc822;z@example.com");
  EXPECT_EQ(e2.size, 4u);

  EXPECT_EQ(spool->content((*ids)[0]).value(), "one");
  EXPECT_EQ(spool->content((*ids)[1]).value(), std::string("t\0wo", 4));
  EXPECT_EQ(spool->envelope("NOPE").error().kind, ErrorKind::NotFound);
  EXPECT_EQ(spool->content("NOPE").error().kind, ErrorKind::NotFound);
}

TEST(LmdbSpool, EnqueueEmptyBatchRejectsNoRecipientsAndDuplicateIds) {
  TempDir dir;
  auto spool = open_spool_in(dir);
  std::vector<NewMessage> none;
  EXPECT_TRUE(spool->enqueue(none)->empty());
  std::vector<NewMessage> bad;
  bad.push_back(make_message("a@b", {}));
  auto r = spool->enqueue(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);

  std::vector<NewMessage> one;
  one.push_back(make_message("a", {"r"}));
  one[0].envelope.id = "FIXED";
  ASSERT_TRUE(spool->enqueue(one).ok());
  std::vector<NewMessage> again;
  again.push_back(make_message("b", {"r"}, 0, "other"));
  again[0].envelope.id = "FIXED";
  auto dup = spool->enqueue(again);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().kind, ErrorKind::Exists);
  EXPECT_EQ(spool->content("FIXED").value(), "Subject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(spool->list()->size(), 1u);
}

TEST(LmdbSpool, RemoveDeletesAll) {
  TempDir dir;
  auto spool = open_spool_in(dir);
  std::vector<NewMessage> batch;
  batch.push_back(make_message("a", {"r"}));
  batch.push_back(make_message("b", {"r"}));
  auto ids = spool->enqueue(batch).value();
  ASSERT_TRUE(spool->remove(ids[0]).ok());
  EXPECT_EQ(spool->envelope(ids[0]).error().kind, ErrorKind::NotFound);
  EXPECT_EQ(spool->content(ids[0]).error().kind, ErrorKind::NotFound);
  EXPECT_EQ(claim_ids(*spool, 10), (std::vector{ids[1]}));
  EXPECT_EQ(ids_of(spool->list().value()), (std::vector{ids[1]}));
  EXPECT_EQ(spool->remove(ids[0]).error().kind, ErrorKind::NotFound);
}

TEST(LmdbSpool, HoldAndRelease) {
  TempDir dir;
  auto spool = open_spool_in(dir);
  std::vector<NewMessage> batch;
  batch.push_back(make_message("a", {"r"}, 5));
  batch.push_back(make_message("b", {"r"}, 5));
  auto ids = spool->enqueue(batch).value();
  ASSERT_TRUE(spool->hold(ids[0]).ok());
  ASSERT_TRUE(spool->hold(ids[0]).ok());  // holding twice is harmless
  EXPECT_TRUE(spool->envelope(ids[0])->held);
  EXPECT_EQ(claim_ids(*spool, 100), (std::vector{ids[1]}));
  EXPECT_TRUE(spool->claim(100, 60, 10)->empty());
  ASSERT_TRUE(spool->release(ids[0]).ok());
  EXPECT_FALSE(spool->envelope(ids[0])->held);
  EXPECT_EQ(claim_ids(*spool, 100), (std::vector{ids[0]}));
  EXPECT_EQ(spool->hold("NOPE").error().kind, ErrorKind::NotFound);
  EXPECT_EQ(spool->release("NOPE").error().kind, ErrorKind::NotFound);
}

TEST(LmdbSpool, RetryAndFlushMakeRecipientsDueNow) {
  TempDir dir;
  auto spool = open_spool_in(dir);
  std::vector<NewMessage> batch;
  batch.push_back(make_message("a", {"r1", "r2"}, 5000));
  batch.push_back(make_message("b", {"r"}, 6000));
  batch.push_back(make_message("c", {"r"}, 7000));
  auto ids = spool->enqueue(batch).value();
  ASSERT_TRUE(spool->hold(ids[2]).ok());
  EXPECT_TRUE(spool->claim(100, 60, 10)->empty());

  ASSERT_TRUE(spool->retry(ids[1], 100).ok());
  EXPECT_EQ(spool->envelope(ids[1])->recipients[0].next_attempt, 100);
  EXPECT_EQ(claim_ids(*spool, 100), (std::vector{ids[1]}));
  EXPECT_EQ(spool->retry("NOPE", 100).error().kind, ErrorKind::NotFound);

  // flush: everything not held (ids[1] is under a claim: its recipients are due already).
  EXPECT_EQ(spool->flush(150).value(), 1u);
  auto a = spool->envelope(ids[0]).value();
  EXPECT_EQ(a.recipients[0].next_attempt, 150);
  EXPECT_EQ(a.recipients[1].next_attempt, 150);
  EXPECT_EQ(spool->envelope(ids[2])->recipients[0].next_attempt, 7000);  // held: untouched
  EXPECT_EQ(claim_ids(*spool, 150), (std::vector{ids[0]}));  // ids[1]'s lease ends at 160
  EXPECT_EQ(spool->flush(150).value(), 0u);
}

TEST(LmdbSpool, ReopenPersists) {
  TempDir dir;
  std::vector<std::string> ids;
  {
    auto spool = open_spool_in(dir);
    std::vector<NewMessage> batch;
    batch.push_back(make_message("a", {"r"}, 7, "hello"));
    ids = spool->enqueue(batch).value();
  }
  auto spool = open_spool_in(dir);
  EXPECT_EQ(ids_of(spool->list().value()), ids);
  EXPECT_EQ(spool->content(ids[0]).value(), "hello");
  EXPECT_EQ(claim_ids(*spool, 7), ids);
}

TEST(LmdbSpool, RefusesNewerSchemaVersion) {
  TempDir dir;
  { auto spool = open_spool_in(dir); }
  {
    auto env = lmdb::Env::open(dir.path(), {}).value();
    auto txn = lmdb::Txn::begin(*env, true).value();
    MDB_dbi meta = txn.open_db("meta", false).value();
    Encoder enc;
    enc.u32(kLmdbSchemaVersion + 1);
    ASSERT_TRUE(txn.put(meta, "schema_version", enc.bytes()).ok());
    ASSERT_TRUE(txn.commit().ok());
  }
  auto s = open_lmdb_spool(dir.path());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::Corrupt);
  EXPECT_NE(s.error().message.find("schema version " + std::to_string(kLmdbSchemaVersion + 1)),
            std::string::npos)
      << s.error().message;
}

}  // namespace
}  // namespace mail::queue
