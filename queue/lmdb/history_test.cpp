// The delivery history: its record format (history_record.h), what complete() records,
// pruning to the retention and the record cap, chunked reads, and the schema-2 migration.
#include <gtest/gtest.h>

#include <map>

#include "common/codec.h"
#include "common/lmdb.h"
#include "queue/lmdb/history_record.h"
#include "queue/lmdb/lmdb_spool.h"
#include "queue/test_util.h"

namespace mail::queue {
namespace {

using lmdb_spool::decode_history;
using lmdb_spool::encode_history;
using lmdb_spool::history_key;
using lmdb_spool::history_key_prefix;
using testing::make_message;
using testing::TempDir;

constexpr int64_t kNow = 1700000000;

HistoryRecord record(Outcome::Kind kind, BounceClass c, Transport t, std::string domain) {
  HistoryRecord r;
  r.kind = kind;
  r.bounce_class = c;
  r.transport = t;
  r.domain = std::move(domain);
  return r;
}

TEST(HistoryRecord, RoundTrips) {
  const HistoryRecord in =
      record(Outcome::Kind::Failed, BounceClass::Spam, Transport::Tls, "example.org");
  const std::string key = history_key(kNow, "ABC", 2, 3);
  auto out = decode_history(key, encode_history(in));
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->time, kNow);
  EXPECT_EQ(out->kind, Outcome::Kind::Failed);
  EXPECT_EQ(out->bounce_class, BounceClass::Spam);
  EXPECT_EQ(out->transport, Transport::Tls);
  EXPECT_EQ(out->domain, "example.org");
  // The bytes as documented: version, kind, class, transport, length-prefixed domain.
  EXPECT_EQ(encode_history(in), std::string("\x01\x02\x04\x02\x00\x00\x00\x0b", 8) + "example.org");
}

TEST(HistoryRecord, KeysSortByTimeAlsoBeforeTheEpoch) {
  EXPECT_LT(history_key(-5, "Z", 0, 1), history_key(0, "A", 0, 1));
  EXPECT_LT(history_key(kNow, "ZZZ", 9, 9), history_key(kNow + 1, "A", 0, 1));
  EXPECT_LT(history_key_prefix(kNow), history_key(kNow, "", 0, 0));
  EXPECT_NE(history_key(kNow, "A", 0, 1), history_key(kNow, "A", 0, 2));
}

TEST(HistoryRecord, RefusesDamage) {
  const std::string key = history_key(kNow, "ABC", 0, 1);
  const std::string good =
      encode_history(record(Outcome::Kind::Deferred, BounceClass::Soft, Transport::Plain, "a.b"));
  EXPECT_FALSE(decode_history("short", good).ok());
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_FALSE(decode_history(key, good.substr(0, n)).ok()) << "truncated to " << n;
  EXPECT_FALSE(decode_history(key, good + "x").ok());  // version 1 has nothing after the domain
  auto with = [&](size_t at, char byte) {
    std::string bad = good;
    bad[at] = byte;
    return decode_history(key, bad);
  };
  EXPECT_FALSE(with(0, 0).ok());       // version 0
  EXPECT_FALSE(with(1, 3).ok());       // kind
  EXPECT_FALSE(with(2, 7).ok());       // bounce class
  EXPECT_FALSE(with(3, 3).ok());       // transport
  EXPECT_FALSE(with(4, '\x7f').ok());  // a domain length past the end
  // A later version may append fields: this reader takes what it knows.
  EXPECT_TRUE(with(0, 2).ok());
  std::string appended = good + "more";
  appended[0] = 2;
  auto read = decode_history(key, appended);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->domain, "a.b");
}

TEST(HistoryRecord, DomainIsBounded) {
  const std::string domain(kMaxHistoryDomain + 100, 'x');
  auto r = decode_history(
      history_key(kNow, "A", 0, 1),
      encode_history(record(Outcome::Kind::Delivered, BounceClass::None, Transport::None, domain)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->domain.size(), kMaxHistoryDomain);
  // A stored domain longer than the bound is damage.
  Encoder enc;
  enc.u8(1).u8(0).u8(0).u8(0).str(domain);
  EXPECT_FALSE(decode_history(history_key(kNow, "A", 0, 1), enc.bytes()).ok());
}

TEST(DestinationDomain, LowercasesAfterTheLastAt) {
  EXPECT_EQ(destination_domain("User@Example.ORG"), "example.org");
  EXPECT_EQ(destination_domain("\"a@b\"@Sub.Example.org"), "sub.example.org");
  EXPECT_EQ(destination_domain("postmaster"), "");
  EXPECT_EQ(destination_domain("u@"), "");
  EXPECT_EQ(destination_domain("u@Bücher.Example"), "bücher.example");
  EXPECT_EQ(destination_domain("u@" + std::string(400, 'A')), std::string(kMaxHistoryDomain, 'a'));
}

std::vector<HistoryRecord> read_all(Spool& spool, int64_t since = 0, int64_t until = kNow * 2) {
  std::vector<HistoryRecord> out;
  auto r = spool.read_history(since, until, [&](const HistoryRecord& h) {
    out.push_back(h);
    return true;
  });
  EXPECT_TRUE(r.ok()) << r.error().message;
  if (r.ok()) {
    EXPECT_EQ(*r, 0u);
  }
  return out;
}

// Enqueues one message to `rcpts` and completes one claim of it with `outcomes` at `now`.
std::string deliver(Spool& spool, std::vector<std::string> rcpts, std::vector<Outcome> outcomes,
                    int64_t now) {
  std::vector<NewMessage> batch{make_message("s@example.org", std::move(rcpts), now)};
  auto ids = spool.enqueue(batch);
  EXPECT_TRUE(ids.ok());
  auto claims = spool.claim(now, 60, 100).value();
  EXPECT_EQ(claims.size(), 1u);
  std::vector<Completion> done{{ClaimRef{claims[0].envelope.id, claims[0].token}, outcomes}};
  auto r = spool.complete(done, now);
  EXPECT_TRUE(r.ok() && (*r)[0].ok());
  return claims[0].envelope.id;
}

Outcome outcome(uint32_t rcpt, Outcome::Kind kind, BounceClass c = BounceClass::None,
                Transport t = Transport::None) {
  Outcome o{rcpt, kind, "reply", c, kind == Outcome::Kind::Deferred ? kNow + 600 : 0};
  o.transport = t;
  return o;
}

TEST(SpoolHistory, CompleteRecordsEveryAppliedOutcome) {
  TempDir dir;
  auto spool = testing::open_spool_in(dir);
  deliver(*spool, {"a@Remote.example", "b@remote.example", "c@other.example"},
          {outcome(0, Outcome::Kind::Delivered, BounceClass::None, Transport::Tls),
           outcome(1, Outcome::Kind::Failed, BounceClass::Hard, Transport::Plain),
           outcome(2, Outcome::Kind::Deferred, BounceClass::Soft, Transport::None),
           // Recipient 0 is no longer pending: ignored, as by the queue, so not recorded.
           outcome(0, Outcome::Kind::Failed, BounceClass::Spam)},
          kNow);
  auto h = read_all(*spool);
  ASSERT_EQ(h.size(), 3u);
  std::map<std::string, int> seen;
  for (const auto& r : h) {
    EXPECT_EQ(r.time, kNow);
    if (r.kind == Outcome::Kind::Delivered) {
      EXPECT_EQ(r.domain, "remote.example");
      EXPECT_EQ(r.transport, Transport::Tls);
      EXPECT_EQ(r.bounce_class, BounceClass::None);
    } else if (r.kind == Outcome::Kind::Failed) {
      EXPECT_EQ(r.domain, "remote.example");
      EXPECT_EQ(r.bounce_class, BounceClass::Hard);
      EXPECT_EQ(r.transport, Transport::Plain);
    } else {
      EXPECT_EQ(r.domain, "other.example");
      EXPECT_EQ(r.bounce_class, BounceClass::Soft);
    }
    ++seen[r.domain];
  }
  EXPECT_EQ(seen["remote.example"], 2);

  // The deferred recipient's next attempt is a second record (attempt 2), not a replacement.
  auto c = spool->claim(kNow + 600, 60, 10).value();
  ASSERT_EQ(c.size(), 1u);
  std::vector<Completion> again{
      {ClaimRef{c[0].envelope.id, c[0].token},
       {outcome(2, Outcome::Kind::Delivered, BounceClass::None, Transport::Plain)}}};
  ASSERT_TRUE(spool->complete(again, kNow + 600).value()[0].ok());
  h = read_all(*spool);
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h.back().time, kNow + 600);
  EXPECT_EQ(h.back().kind, Outcome::Kind::Delivered);
  // The period is [since, until).
  EXPECT_EQ(read_all(*spool, kNow + 1).size(), 1u);
  EXPECT_EQ(read_all(*spool, 0, kNow + 600).size(), 3u);
}

TEST(SpoolHistory, ALostClaimRecordsNothing) {
  TempDir dir;
  auto spool = testing::open_spool_in(dir);
  std::vector<NewMessage> batch{make_message("s@example.org", {"a@x.example"}, kNow)};
  ASSERT_TRUE(spool->enqueue(batch).ok());
  auto first = spool->claim(kNow, 60, 10).value();
  auto second = spool->claim(kNow + 61, 60, 10).value();  // the first lease ran out
  ASSERT_EQ(second.size(), 1u);
  std::vector<Completion> stale{
      {ClaimRef{first[0].envelope.id, first[0].token}, {outcome(0, Outcome::Kind::Delivered)}}};
  auto r = spool->complete(stale, kNow + 62).value();
  EXPECT_FALSE(r[0].ok());
  EXPECT_TRUE(read_all(*spool).empty());
}

TEST(SpoolHistory, PrunedToTheRetentionAsItGoes) {
  TempDir dir;
  LmdbSpoolOptions options;
  options.history.retention = 3600;
  auto spool = open_lmdb_spool(dir.path(), options).value();
  for (int i = 0; i < 5; ++i)
    deliver(*spool, {"a@x.example"}, {outcome(0, Outcome::Kind::Delivered)}, kNow + i);
  EXPECT_EQ(read_all(*spool).size(), 5u);
  // An hour later, only the records of the last hour remain after the next completion.
  deliver(*spool, {"a@x.example"}, {outcome(0, Outcome::Kind::Delivered)}, kNow + 3602);
  auto h = read_all(*spool);
  ASSERT_EQ(h.size(), 4u);  // kNow + 2, 3, 4 and the new one; kNow + 2 is exactly at the cutoff
  EXPECT_EQ(h.front().time, kNow + 2);
}

TEST(SpoolHistory, NeverMoreThanMaxRecords) {
  TempDir dir;
  LmdbSpoolOptions options;
  options.history.max_records = 10;
  auto spool = open_lmdb_spool(dir.path(), options).value();
  for (int i = 0; i < 30; ++i)
    deliver(*spool, {"a@x.example", "b@y.example"},
            {outcome(0, Outcome::Kind::Delivered), outcome(1, Outcome::Kind::Delivered)}, kNow + i);
  auto h = read_all(*spool);
  ASSERT_EQ(h.size(), 10u);  // at the limit, the newest kept
  EXPECT_EQ(h.front().time, kNow + 25);
  EXPECT_EQ(h.back().time, kNow + 29);
}

TEST(SpoolHistory, ReadsInChunksAndStopsWhenAsked) {
  TempDir dir;
  auto spool = testing::open_spool_in(dir);
  // More records than one read transaction takes (kHistoryReadChunk is 4096).
  const uint32_t n = 9000;
  std::vector<std::string> rcpts;
  std::vector<Outcome> outcomes;
  for (uint32_t i = 0; i < n; ++i) {
    rcpts.push_back("r" + std::to_string(i) + "@d" + std::to_string(i % 7) + ".example");
    outcomes.push_back(outcome(i, Outcome::Kind::Delivered));
  }
  deliver(*spool, rcpts, outcomes, kNow);
  auto h = read_all(*spool);
  EXPECT_EQ(h.size(), n);
  size_t visited = 0;
  auto r = spool->read_history(0, kNow * 2, [&](const HistoryRecord&) { return ++visited < 5000; });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(visited, 5000u);
}

TEST(SpoolHistory, DamagedRecordsAreSkippedAndCounted) {
  TempDir dir;
  {
    auto spool = testing::open_spool_in(dir);
    deliver(*spool, {"a@x.example", "b@x.example"},
            {outcome(0, Outcome::Kind::Delivered), outcome(1, Outcome::Kind::Delivered)}, kNow);
  }
  {
    auto env = lmdb::Env::open(dir.path(), {}).value();
    auto txn = lmdb::Txn::begin(*env, true).value();
    MDB_dbi history = txn.open_db("history", false).value();
    ASSERT_TRUE(txn.put(history, history_key(kNow, "BAD", 0, 1), "\x01\x09").ok());
    ASSERT_TRUE(txn.commit().ok());
  }
  auto spool = testing::open_spool_in(dir);
  size_t visited = 0;
  auto r = spool->read_history(0, kNow * 2, [&](const HistoryRecord&) { return ++visited > 0; });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 1u);
  EXPECT_EQ(visited, 2u);
}

TEST(SpoolHistory, Schema2QueueGainsAHistory) {
  TempDir dir;
  {
    // A version-2 environment: every database but `history`.
    auto env = lmdb::Env::open(dir.path(), {}).value();
    auto txn = lmdb::Txn::begin(*env, true).value();
    MDB_dbi meta = txn.open_db("meta", true).value();
    for (const char* name : {"envelopes", "contents", "schedule", "claims"})
      ASSERT_TRUE(txn.open_db(name, true).ok());
    Encoder v;
    v.u32(2);
    ASSERT_TRUE(txn.put(meta, "schema_version", v.bytes()).ok());
    ASSERT_TRUE(txn.commit().ok());
  }
  auto spool = testing::open_spool_in(dir);
  deliver(*spool, {"a@x.example"}, {outcome(0, Outcome::Kind::Delivered)}, kNow);
  EXPECT_EQ(read_all(*spool).size(), 1u);
  spool.reset();
  auto env = lmdb::Env::open(dir.path(), {}).value();
  auto txn = lmdb::Txn::begin(*env, false).value();
  Decoder dec(*txn.get(txn.open_db("meta", false).value(), "schema_version").value());
  EXPECT_EQ(dec.u32(), kLmdbSchemaVersion);
}

}  // namespace
}  // namespace mail::queue
