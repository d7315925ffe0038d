// Binary encoding of queue envelopes via common/codec.h (big-endian, length-prefixed),
// versions 1 and 2 (see envelope_record.h). decode_envelope() trusts nothing it reads.
#include "queue/lmdb/envelope_record.h"

#include "common/codec.h"

namespace mail::queue::lmdb_spool {
namespace {

// Smallest encoding of one recipient, per version: refuses recipient counts the record
// cannot hold before reserving memory for them.
constexpr size_t kMinRecipientV1 = 4 + 1 + 4 + 4;
constexpr size_t kMinRecipientV2 = kMinRecipientV1 + 1 + 4 + 8 + 8 + 1 + 1;

enum EnvelopeFlag : uint8_t { kSmtputf8 = 1u << 0, kHeld = 1u << 1 };
enum RecipientFlag : uint8_t { kDelayNoticeSent = 1u << 0 };

void encode_head(Encoder& enc, uint8_t version, const Envelope& e, int64_t next_attempt) {
  enc.u8(version)
      .str(e.id)
      .str(e.sender)
      .i64(e.arrival)
      .i64(next_attempt)
      .str(e.session_id)
      .str(e.client)
      .u32(static_cast<uint32_t>(e.recipients.size()));
}

Error corrupt_envelope(const std::string& what) {
  return make_error(ErrorKind::Corrupt, "envelope record: " + what);
}

}  // namespace

// Layout, version 1:
//   u8 version, str id, str sender, i64 arrival, i64 next_attempt, str session_id,
//   str client, u32 recipient count, then per recipient:
//   str address, u8 state, u32 attempts, str last_reply.
std::string encode_envelope_v1(const Envelope& e) {
  Encoder enc;
  encode_head(enc, 1, e, e.next_attempt);
  for (const Recipient& r : e.recipients)
    enc.str(r.address).u8(static_cast<uint8_t>(r.state)).u32(r.attempts).str(r.last_reply);
  return std::move(enc).bytes();
}

// Layout, version 2: version 1 with, per recipient after its last_reply:
//   u8 dsn_notify, str orcpt, i64 next_attempt, i64 first_failure, u8 flags
//   (RecipientFlag), u8 bounce_class;
// and after the recipients:
//   u8 dsn_ret, str dsn_envid, u8 body, u8 flags (EnvelopeFlag), u64 size.
// The envelope's next_attempt holds the earliest next attempt of its pending recipients.
std::string encode_envelope(const Envelope& e) {
  Encoder enc;
  encode_head(enc, kEnvelopeRecordVersion, e, e.earliest_attempt());
  for (const Recipient& r : e.recipients) {
    enc.str(r.address).u8(static_cast<uint8_t>(r.state)).u32(r.attempts).str(r.last_reply);
    enc.u8(r.dsn_notify)
        .str(r.orcpt)
        .i64(r.next_attempt)
        .i64(r.first_failure)
        .u8(r.delay_notice_sent ? kDelayNoticeSent : 0)
        .u8(static_cast<uint8_t>(r.bounce_class));
  }
  uint8_t flags = (e.smtputf8 ? kSmtputf8 : 0) | (e.held ? kHeld : 0);
  enc.u8(static_cast<uint8_t>(e.dsn_ret))
      .str(e.dsn_envid)
      .u8(static_cast<uint8_t>(e.body))
      .u8(flags)
      .u64(e.size);
  return std::move(enc).bytes();
}

Result<Envelope> decode_envelope(std::string_view bytes) {
  Decoder dec(bytes);
  uint8_t version = dec.u8();
  if (!dec.ok()) return corrupt_envelope("empty");
  if (version < 1 || version > kEnvelopeRecordVersion)
    return corrupt_envelope("unknown version " + std::to_string(version));
  Envelope e;
  e.id = dec.str();
  e.sender = dec.str();
  e.arrival = dec.i64();
  e.next_attempt = dec.i64();
  e.session_id = dec.str();
  e.client = dec.str();
  uint32_t count = dec.u32();
  size_t min_size = version == 1 ? kMinRecipientV1 : kMinRecipientV2;
  if (!dec.ok() || count > bytes.size() / min_size) return corrupt_envelope("truncated header");
  e.recipients.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    Recipient r;
    r.address = dec.str();
    uint8_t state = dec.u8();
    r.attempts = dec.u32();
    r.last_reply = dec.str();
    if (state > static_cast<uint8_t>(Recipient::State::Failed))
      return corrupt_envelope("bad recipient state");
    r.state = static_cast<Recipient::State>(state);
    if (version >= 2) {
      r.dsn_notify = dec.u8();
      r.orcpt = dec.str();
      r.next_attempt = dec.i64();
      r.first_failure = dec.i64();
      uint8_t flags = dec.u8();
      uint8_t bounce_class = dec.u8();
      if (bounce_class > static_cast<uint8_t>(BounceClass::Expired))
        return corrupt_envelope("bad bounce class");
      r.delay_notice_sent = (flags & kDelayNoticeSent) != 0;
      r.bounce_class = static_cast<BounceClass>(bounce_class);
    } else {
      // Version 1 kept one next attempt for the whole message.
      r.next_attempt = r.state == Recipient::State::Pending ? e.next_attempt : 0;
    }
    e.recipients.push_back(std::move(r));
  }
  if (version >= 2) {
    uint8_t ret = dec.u8();
    e.dsn_envid = dec.str();
    uint8_t body = dec.u8();
    uint8_t flags = dec.u8();
    e.size = dec.u64();
    if (ret > static_cast<uint8_t>(DsnRet::Headers)) return corrupt_envelope("bad DSN RET");
    if (body > static_cast<uint8_t>(BodyType::BinaryMime)) return corrupt_envelope("bad body type");
    e.dsn_ret = static_cast<DsnRet>(ret);
    e.body = static_cast<BodyType>(body);
    e.smtputf8 = (flags & kSmtputf8) != 0;
    e.held = (flags & kHeld) != 0;
  }
  if (!dec.ok() || !dec.at_end()) return corrupt_envelope("truncated or trailing bytes");
  e.next_attempt = e.earliest_attempt();
  return e;
}

}  // namespace mail::queue::lmdb_spool
