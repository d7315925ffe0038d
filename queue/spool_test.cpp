// Tests for the LMDB spool (lmdb_spool.cpp), queue ids and the envelope record codec.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "common/codec.h"
#include "common/lmdb.h"
#include "queue/envelope_codec.h"
#include "queue/spool.h"
#include "queue/test_util.h"

namespace mail::queue {
namespace {

using testing::make_message;
using testing::TempDir;

std::unique_ptr<Spool> open(const TempDir& dir) {
  auto s = open_lmdb_spool(dir.path());
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return std::move(s).value();
}

std::vector<std::string> ids_of(const std::vector<Envelope>& es) {
  std::vector<std::string> out;
  for (const auto& e : es) out.push_back(e.id);
  return out;
}

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

TEST(EnvelopeCodec, RoundTripAndRejectsDamage) {
  Envelope e;
  e.id = "ABC";
  e.sender = "a@example.org";
  e.recipients = {{"b@example.net", Recipient::State::Failed, 3, "550 no", 0, ""},
                  {"c@example.net", Recipient::State::Pending, 0, "", 0, ""}};
  e.arrival = -5;
  e.next_attempt = 42;
  e.session_id = "S";
  e.client = "alice";
  std::string bytes = encode_envelope(e);
  auto d = decode_envelope(bytes);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->sender, e.sender);
  EXPECT_EQ(d->arrival, -5);
  ASSERT_EQ(d->recipients.size(), 2u);
  EXPECT_EQ(d->recipients[0].state, Recipient::State::Failed);
  EXPECT_EQ(d->recipients[0].attempts, 3u);
  EXPECT_EQ(d->recipients[0].last_reply, "550 no");
  EXPECT_EQ(d->client, "alice");
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto t = decode_envelope(std::string_view(bytes).substr(0, n));
    ASSERT_FALSE(t.ok()) << n;
    EXPECT_EQ(t.error().kind, ErrorKind::Corrupt);
  }
  EXPECT_FALSE(decode_envelope(bytes + "x").ok());
  std::string v2 = bytes;
  v2[0] = 2;
  EXPECT_FALSE(decode_envelope(v2).ok());
}

TEST(Envelope, Pending) {
  Envelope e;
  EXPECT_FALSE(e.pending());
  e.recipients.resize(2);
  e.recipients[0].state = Recipient::State::Delivered;
  e.recipients[1].state = Recipient::State::Failed;
  EXPECT_FALSE(e.pending());
  e.recipients.emplace_back();
  EXPECT_TRUE(e.pending());
}

TEST(LmdbSpool, EnqueueListEnvelopeContentRoundTrip) {
  TempDir dir;
  auto spool = open(dir);
  std::vector<NewMessage> batch;
  batch.push_back(make_message("a@example.org", {"x@example.net", "y@example.net"}, 0, "one"));
  batch.push_back(make_message("", {"z@example.com"}, 0, std::string("t\0wo", 4)));
  batch[1].envelope.client = "bob";
  auto ids = spool->enqueue(batch);
  ASSERT_TRUE(ids.ok()) << ids.error().message;
  ASSERT_EQ(ids->size(), 2u);
  EXPECT_NE((*ids)[0], (*ids)[1]);
  EXPECT_LT((*ids)[0], (*ids)[1]);

  auto list = spool->list();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(ids_of(*list), *ids);

  auto e = spool->envelope((*ids)[0]);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->id, (*ids)[0]);
  EXPECT_EQ(e->sender, "a@example.org");
  ASSERT_EQ(e->recipients.size(), 2u);
  EXPECT_EQ(e->recipients[1].address, "y@example.net");
  EXPECT_EQ(e->recipients[1].state, Recipient::State::Pending);
  EXPECT_EQ(e->arrival, 1700000000);
  EXPECT_EQ(e->session_id, "S1");

  auto e2 = spool->envelope((*ids)[1]);
  ASSERT_TRUE(e2.ok());
  EXPECT_EQ(e2->sender, "");
  EXPECT_EQ(e2->client, "bob");

  EXPECT_EQ(spool->content((*ids)[0]).value(), "one");
  EXPECT_EQ(spool->content((*ids)[1]).value(), std::string("t\0wo", 4));

  auto missing = spool->envelope("NOPE");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);
  EXPECT_EQ(spool->content("NOPE").error().kind, ErrorKind::NotFound);
}

TEST(LmdbSpool, EnqueueEmptyBatchAndRejectsNoRecipients) {
  TempDir dir;
  auto spool = open(dir);
  std::vector<NewMessage> none;
  EXPECT_TRUE(spool->enqueue(none)->empty());
  std::vector<NewMessage> bad;
  bad.push_back(make_message("a@b", {}));
  auto r = spool->enqueue(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_TRUE(spool->list()->empty());
}

TEST(LmdbSpool, DueHonoursNextAttemptAndOrder) {
  TempDir dir;
  auto spool = open(dir);
  std::vector<NewMessage> batch;
  batch.push_back(make_message("a", {"r"}, 300));  // A
  batch.push_back(make_message("b", {"r"}, 100));  // B
  batch.push_back(make_message("c", {"r"}, 200));  // C
  batch.push_back(make_message("d", {"r"}, 100));  // D: same time as B, later id
  auto ids = spool->enqueue(batch).value();

  EXPECT_TRUE(spool->due(99, 10)->empty());
  EXPECT_EQ(ids_of(spool->due(100, 10).value()), (std::vector{ids[1], ids[3]}));
  EXPECT_EQ(ids_of(spool->due(250, 10).value()), (std::vector{ids[1], ids[3], ids[2]}));
  EXPECT_EQ(ids_of(spool->due(1000, 10).value()), (std::vector{ids[1], ids[3], ids[2], ids[0]}));
  EXPECT_EQ(ids_of(spool->due(1000, 2).value()), (std::vector{ids[1], ids[3]}));
  EXPECT_TRUE(spool->due(1000, 0)->empty());
}

TEST(LmdbSpool, UpdateMovesSchedule) {
  TempDir dir;
  auto spool = open(dir);
  std::vector<NewMessage> batch;
  batch.push_back(make_message("a", {"r1", "r2"}, 100));
  batch.push_back(make_message("b", {"r"}, 200));
  auto ids = spool->enqueue(batch).value();

  Envelope e = spool->envelope(ids[0]).value();
  e.recipients[0].state = Recipient::State::Delivered;
  e.recipients[1].attempts = 1;
  e.recipients[1].last_reply = "451 try later";
  e.next_attempt = 500;
  ASSERT_TRUE(spool->update(e).ok());

  EXPECT_EQ(ids_of(spool->due(300, 10).value()), (std::vector{ids[1]}));
  EXPECT_EQ(ids_of(spool->due(500, 10).value()), (std::vector{ids[1], ids[0]}));
  auto back = spool->envelope(ids[0]).value();
  EXPECT_EQ(back.recipients[0].state, Recipient::State::Delivered);
  EXPECT_EQ(back.recipients[1].attempts, 1u);
  EXPECT_EQ(back.recipients[1].last_reply, "451 try later");
  EXPECT_EQ(back.next_attempt, 500);

  // Nothing pending: kept for inspection, but never due again.
  back.recipients[1].state = Recipient::State::Failed;
  ASSERT_TRUE(spool->update(back).ok());
  EXPECT_EQ(ids_of(spool->due(10000, 10).value()), (std::vector{ids[1]}));
  EXPECT_EQ(spool->list()->size(), 2u);

  Envelope ghost = back;
  ghost.id = "NOPE";
  EXPECT_EQ(spool->update(ghost).error().kind, ErrorKind::NotFound);
}

TEST(LmdbSpool, RemoveDeletesAll) {
  TempDir dir;
  auto spool = open(dir);
  std::vector<NewMessage> batch;
  batch.push_back(make_message("a", {"r"}, 0));
  batch.push_back(make_message("b", {"r"}, 0));
  auto ids = spool->enqueue(batch).value();
  ASSERT_TRUE(spool->remove(ids[0]).ok());
  EXPECT_EQ(spool->envelope(ids[0]).error().kind, ErrorKind::NotFound);
  EXPECT_EQ(spool->content(ids[0]).error().kind, ErrorKind::NotFound);
  EXPECT_EQ(ids_of(spool->due(10, 10).value()), (std::vector{ids[1]}));
  EXPECT_EQ(ids_of(spool->list().value()), (std::vector{ids[1]}));
  EXPECT_EQ(spool->remove(ids[0]).error().kind, ErrorKind::NotFound);
}

TEST(LmdbSpool, ReopenPersists) {
  TempDir dir;
  std::vector<std::string> ids;
  {
    auto spool = open(dir);
    std::vector<NewMessage> batch;
    batch.push_back(make_message("a", {"r"}, 7, "hello"));
    ids = spool->enqueue(batch).value();
  }
  auto spool = open(dir);
  EXPECT_EQ(ids_of(spool->list().value()), ids);
  EXPECT_EQ(spool->content(ids[0]).value(), "hello");
  EXPECT_EQ(ids_of(spool->due(7, 10).value()), ids);
}

TEST(LmdbSpool, RefusesOtherSchemaVersion) {
  TempDir dir;
  { auto spool = open(dir); }
  {
    auto env = lmdb::Env::open(dir.path(), {}).value();
    auto txn = lmdb::Txn::begin(*env, true).value();
    MDB_dbi meta = txn.open_db("meta", false).value();
    Encoder enc;
    enc.u32(kSchemaVersion + 1);
    ASSERT_TRUE(txn.put(meta, "schema_version", enc.bytes()).ok());
    ASSERT_TRUE(txn.commit().ok());
  }
  auto s = open_lmdb_spool(dir.path());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::Corrupt);
}

}  // namespace
}  // namespace mail::queue
