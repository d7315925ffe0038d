// A queue written by the previous release (schema 1: version-1 envelope records, no
// `claims` database) must open with this one, keep every message, and deliver it.
#include <gtest/gtest.h>

#include "common/codec.h"
#include "common/lmdb.h"
#include "queue/lmdb/envelope_record.h"
#include "queue/lmdb/lmdb_spool.h"
#include "queue/test_util.h"

namespace mail::queue {
namespace {

using testing::ids_of;
using testing::TempDir;

std::string u32_bytes(uint32_t v) {
  Encoder enc;
  enc.u32(v);
  return enc.bytes();
}

std::string v1_schedule_key(int64_t when, std::string_view id) {
  Encoder enc;
  enc.u64(static_cast<uint64_t>(when) ^ (uint64_t{1} << 63)).raw(id);
  return enc.bytes();
}

// Writes the environment exactly as the schema-1 spool did.
void write_schema1_queue(const std::filesystem::path& dir) {
  auto env = lmdb::Env::open(dir, {}).value();
  auto txn = lmdb::Txn::begin(*env, true).value();
  MDB_dbi meta = txn.open_db("meta", true).value();
  MDB_dbi envelopes = txn.open_db("envelopes", true).value();
  MDB_dbi contents = txn.open_db("contents", true).value();
  MDB_dbi schedule = txn.open_db("schedule", true).value();
  ASSERT_TRUE(txn.put(meta, "schema_version", u32_bytes(1)).ok());

  // OLD1: one recipient delivered, one pending since a store failure, due at 1700000300.
  Encoder a;
  a.u8(1).str("OLD1").str("s@example.org").i64(1700000000).i64(1700000300).str("S1").str("");
  a.u32(2);
  a.str("x@example.test").u8(1).u32(1).str("250 2.0.0 delivered");
  a.str("y@example.test").u8(0).u32(1).str("451 4.3.0 store busy");
  ASSERT_TRUE(txn.put(envelopes, "OLD1", a.bytes()).ok());
  ASSERT_TRUE(txn.put(contents, "OLD1", "Subject: one\r\n\r\nold\r\n").ok());
  ASSERT_TRUE(txn.put(schedule, v1_schedule_key(1700000300, "OLD1"), "").ok());

  // OLD2: never attempted, due at arrival.
  Encoder b;
  b.u8(1).str("OLD2").str("").i64(1700000100).i64(1700000100).str("S2").str("carol");
  b.u32(1);
  b.str("z@example.test").u8(0).u32(0).str("");
  ASSERT_TRUE(txn.put(envelopes, "OLD2", b.bytes()).ok());
  ASSERT_TRUE(txn.put(contents, "OLD2", "Subject: two\r\n\r\nold\r\n").ok());
  ASSERT_TRUE(txn.put(schedule, v1_schedule_key(1700000100, "OLD2"), "").ok());
  ASSERT_TRUE(txn.commit().ok());
}

uint32_t stored_schema(const std::filesystem::path& dir) {
  auto env = lmdb::Env::open(dir, {}).value();
  auto txn = lmdb::Txn::begin(*env, false).value();
  MDB_dbi meta = txn.open_db("meta", false).value();
  auto v = txn.get(meta, "schema_version").value();
  Decoder dec(*v);
  return dec.u32();
}

TEST(Migration, Schema1QueueOpensAndDelivers) {
  TempDir dir;
  write_schema1_queue(dir.path());
  {
    auto opened = open_lmdb_spool(dir.path());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    auto& spool = *opened;
    EXPECT_EQ(ids_of(spool->list().value()), (std::vector<std::string>{"OLD1", "OLD2"}));
    auto one = spool->envelope("OLD1").value();
    EXPECT_EQ(one.recipients[0].state, Recipient::State::Delivered);
    EXPECT_EQ(one.recipients[1].next_attempt, 1700000300);
    EXPECT_EQ(one.recipients[1].last_reply, "451 4.3.0 store busy");
    EXPECT_EQ(spool->envelope("OLD2")->client, "carol");
    EXPECT_EQ(spool->content("OLD1").value(), "Subject: one\r\n\r\nold\r\n");

    // The old schedule index is used as it is: OLD2 is due first.
    EXPECT_TRUE(spool->claim(1700000099, 60, 10)->empty());
    auto c = spool->claim(1700000100, 60, 10).value();
    ASSERT_EQ(ids_of(c), (std::vector<std::string>{"OLD2"}));
    std::vector<Completion> give_back{{ClaimRef{"OLD2", c[0].token}, {}}};
    ASSERT_TRUE(spool->complete(give_back, 1700000100).value()[0].ok());
    c = spool->claim(1700000300, 60, 10).value();
    ASSERT_EQ(ids_of(c), (std::vector<std::string>{"OLD2", "OLD1"}));
    EXPECT_EQ(c[1].recipients, (std::vector<uint32_t>{1}));
    std::vector<Completion> done{
        {ClaimRef{"OLD2", c[0].token}, {}},
        {ClaimRef{"OLD1", c[1].token},
         {Outcome{1, Outcome::Kind::Deferred, "451 4.3.0 again", BounceClass::Soft, 1700001000}}}};
    auto r = spool->complete(done, 1700000301).value();
    ASSERT_TRUE(r[0].ok()) << r[0].error().message;
    ASSERT_TRUE(r[1].ok()) << r[1].error().message;
  }
  EXPECT_EQ(stored_schema(dir.path()), kLmdbSchemaVersion);
  // Reopened: the record rewritten as version 2 and the untouched version-1 one both read.
  auto spool = open_lmdb_spool(dir.path()).value();
  auto one = spool->envelope("OLD1").value();
  EXPECT_EQ(one.recipients[1].attempts, 2u);
  EXPECT_EQ(one.recipients[1].next_attempt, 1700001000);
  EXPECT_EQ(one.recipients[1].first_failure, 1700000301);
  EXPECT_EQ(spool->envelope("OLD2")->recipients[0].attempts, 0u);
  EXPECT_EQ(ids_of(spool->claim(1700001000, 60, 10).value()),
            (std::vector<std::string>{"OLD2", "OLD1"}));
}

}  // namespace
}  // namespace mail::queue
