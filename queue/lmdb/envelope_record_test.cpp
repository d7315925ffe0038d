// Tests for the envelope record codec (envelope_record.cpp): version 2 round trips every
// field, version-1 records written the old way still read, damage is refused.
#include "queue/lmdb/envelope_record.h"

#include <gtest/gtest.h>

#include "common/codec.h"

namespace mail::queue::lmdb_spool {
namespace {

Recipient recipient(std::string address, Recipient::State state, uint32_t attempts,
                    std::string reply) {
  Recipient r;
  r.address = std::move(address);
  r.state = state;
  r.attempts = attempts;
  r.last_reply = std::move(reply);
  return r;
}

Envelope full_envelope() {
  Envelope e;
  e.id = "ABC";
  e.sender = "a@example.org";
  Recipient failed = recipient("b@example.net", Recipient::State::Failed, 3, "550 5.1.1 no");
  failed.dsn_notify = kNotifyFailure | kNotifyDelay;
  failed.orcpt = "rfc822;B@example.net";
  failed.first_failure = 1700000100;
  failed.bounce_class = BounceClass::Hard;
  Recipient pending = recipient("c@example.net", Recipient::State::Pending, 1, "451 4.4.1 later");
  pending.next_attempt = 1700000900;
  pending.first_failure = 1700000200;
  pending.delay_notice_sent = true;
  pending.bounce_class = BounceClass::Soft;
  Recipient later = recipient("d@example.net", Recipient::State::Pending, 0, "");
  later.next_attempt = 1700009000;
  e.recipients = {failed, pending, later};
  e.arrival = -5;
  e.session_id = "S";
  e.client = "alice";
  e.dsn_ret = DsnRet::Headers;
  e.dsn_envid = "env-1";
  e.body = BodyType::EightBitMime;
  e.smtputf8 = true;
  e.held = true;
  e.size = 123456789012;
  return e;
}

TEST(EnvelopeRecord, Version2RoundTripsEveryField) {
  Envelope e = full_envelope();
  std::string bytes = encode_envelope(e);
  EXPECT_EQ(bytes[0], 2);
  auto d = decode_envelope(bytes);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->id, "ABC");
  EXPECT_EQ(d->sender, e.sender);
  EXPECT_EQ(d->arrival, -5);
  EXPECT_EQ(d->session_id, "S");
  EXPECT_EQ(d->client, "alice");
  EXPECT_EQ(d->dsn_ret, DsnRet::Headers);
  EXPECT_EQ(d->dsn_envid, "env-1");
  EXPECT_EQ(d->body, BodyType::EightBitMime);
  EXPECT_TRUE(d->smtputf8);
  EXPECT_TRUE(d->held);
  EXPECT_EQ(d->size, 123456789012u);
  // The envelope's next attempt is the earliest of its pending recipients'.
  EXPECT_EQ(d->next_attempt, 1700000900);
  ASSERT_EQ(d->recipients.size(), 3u);
  const Recipient& f = d->recipients[0];
  EXPECT_EQ(f.state, Recipient::State::Failed);
  EXPECT_EQ(f.attempts, 3u);
  EXPECT_EQ(f.last_reply, "550 5.1.1 no");
  EXPECT_EQ(f.dsn_notify, kNotifyFailure | kNotifyDelay);
  EXPECT_EQ(f.orcpt, "rfc822;B@example.net");
  EXPECT_EQ(f.first_failure, 1700000100);
  EXPECT_EQ(f.bounce_class, BounceClass::Hard);
  EXPECT_FALSE(f.delay_notice_sent);
  const Recipient& p = d->recipients[1];
  EXPECT_EQ(p.state, Recipient::State::Pending);
  EXPECT_EQ(p.next_attempt, 1700000900);
  EXPECT_EQ(p.first_failure, 1700000200);
  EXPECT_TRUE(p.delay_notice_sent);
  EXPECT_EQ(p.bounce_class, BounceClass::Soft);
  EXPECT_EQ(d->recipients[2].next_attempt, 1700009000);
  EXPECT_EQ(d->recipients[2].bounce_class, BounceClass::None);
  EXPECT_EQ(encode_envelope(*d), bytes);
}

TEST(EnvelopeRecord, Version1RecordsStillRead) {
  // Written field by field the way the previous release did (not through our encoder).
  Encoder enc;
  enc.u8(1).str("OLD1").str("s@example.org").i64(1700000000).i64(1700000300).str("S9").str("");
  enc.u32(2);
  enc.str("x@example.test").u8(0).u32(2).str("451 4.3.0 store busy");
  enc.str("y@example.test").u8(1).u32(1).str("250 2.0.0 delivered");
  auto d = decode_envelope(enc.bytes());
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->id, "OLD1");
  EXPECT_EQ(d->sender, "s@example.org");
  EXPECT_EQ(d->arrival, 1700000000);
  EXPECT_EQ(d->session_id, "S9");
  ASSERT_EQ(d->recipients.size(), 2u);
  // The message's one next attempt becomes each pending recipient's own.
  EXPECT_EQ(d->recipients[0].next_attempt, 1700000300);
  EXPECT_EQ(d->recipients[0].attempts, 2u);
  EXPECT_EQ(d->recipients[0].last_reply, "451 4.3.0 store busy");
  EXPECT_EQ(d->recipients[1].state, Recipient::State::Delivered);
  EXPECT_EQ(d->recipients[1].next_attempt, 0);
  EXPECT_EQ(d->next_attempt, 1700000300);
  // Fields version 1 did not have take their defaults.
  EXPECT_EQ(d->dsn_ret, DsnRet::Unspecified);
  EXPECT_EQ(d->body, BodyType::SevenBit);
  EXPECT_FALSE(d->held);
  EXPECT_EQ(d->size, 0u);
  EXPECT_EQ(d->recipients[0].bounce_class, BounceClass::None);
  // Our own v1 encoder (used by the migration test) writes exactly these bytes.
  EXPECT_EQ(encode_envelope_v1(*d), enc.bytes());
}

TEST(EnvelopeRecord, RefusesDamage) {
  for (const std::string& bytes :
       {encode_envelope(full_envelope()), encode_envelope_v1(full_envelope())}) {
    ASSERT_TRUE(decode_envelope(bytes).ok());
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto t = decode_envelope(std::string_view(bytes).substr(0, n));
      ASSERT_FALSE(t.ok()) << n;
      EXPECT_EQ(t.error().kind, ErrorKind::Corrupt);
    }
    EXPECT_FALSE(decode_envelope(bytes + "x").ok());
  }
  std::string bytes = encode_envelope(full_envelope());
  for (uint8_t version : {uint8_t{0}, uint8_t{3}, uint8_t{255}}) {
    std::string other = bytes;
    other[0] = static_cast<char>(version);
    EXPECT_FALSE(decode_envelope(other).ok()) << int(version);
  }
  // Out-of-range enums: the last five bytes are flags and size; before them the body type.
  std::string bad_body = bytes;
  bad_body[bad_body.size() - 10] = 9;
  EXPECT_FALSE(decode_envelope(bad_body).ok());
  // A recipient count the record cannot hold is refused before any allocation.
  Encoder huge;
  huge.u8(2).str("X").str("").i64(0).i64(0).str("").str("").u32(0xffffffff);
  EXPECT_FALSE(decode_envelope(huge.bytes()).ok());
}

TEST(Envelope, PendingAndEarliestAttempt) {
  Envelope e;
  EXPECT_FALSE(e.pending());
  EXPECT_EQ(e.earliest_attempt(), 0);
  e.recipients.resize(3);
  e.recipients[0].state = Recipient::State::Delivered;
  e.recipients[0].next_attempt = 5;
  e.recipients[1].state = Recipient::State::Failed;
  e.recipients[2].state = Recipient::State::Delivered;
  EXPECT_FALSE(e.pending());
  e.recipients[2].state = Recipient::State::Pending;
  e.recipients[2].next_attempt = 70;
  EXPECT_TRUE(e.pending());
  EXPECT_EQ(e.earliest_attempt(), 70);
  e.recipients.emplace_back().next_attempt = 60;
  EXPECT_EQ(e.earliest_attempt(), 60);
}

}  // namespace
}  // namespace mail::queue::lmdb_spool
