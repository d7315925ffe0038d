// Binary encoding of queue envelopes via common/codec.h (big-endian, length-prefixed),
// and Envelope::pending(). decode_envelope() trusts nothing it reads.
#include "queue/envelope_codec.h"

#include <algorithm>

#include "common/codec.h"

namespace mail::queue {

bool Envelope::pending() const {
  return std::any_of(recipients.begin(), recipients.end(),
                     [](const Recipient& r) { return r.state == Recipient::State::Pending; });
}

// Layout, version 1:
//   u8 version, str id, str sender, i64 arrival, i64 next_attempt, str session_id,
//   str client, u32 recipient count, then per recipient:
//   str address, u8 state, u32 attempts, str last_reply.
std::string encode_envelope(const Envelope& e) {
  Encoder enc;
  enc.u8(kEnvelopeRecordVersion)
      .str(e.id)
      .str(e.sender)
      .i64(e.arrival)
      .i64(e.next_attempt)
      .str(e.session_id)
      .str(e.client)
      .u32(static_cast<uint32_t>(e.recipients.size()));
  for (const Recipient& r : e.recipients) {
    enc.str(r.address).u8(static_cast<uint8_t>(r.state)).u32(r.attempts).str(r.last_reply);
  }
  return std::move(enc).bytes();
}

Result<Envelope> decode_envelope(std::string_view bytes) {
  Decoder dec(bytes);
  uint8_t version = dec.u8();
  if (!dec.ok()) return make_error(ErrorKind::Corrupt, "envelope record: empty");
  if (version != kEnvelopeRecordVersion) {
    return make_error(ErrorKind::Corrupt,
                      "envelope record: unknown version " + std::to_string(version));
  }
  Envelope e;
  e.id = dec.str();
  e.sender = dec.str();
  e.arrival = dec.i64();
  e.next_attempt = dec.i64();
  e.session_id = dec.str();
  e.client = dec.str();
  uint32_t count = dec.u32();
  // Each recipient takes at least 13 bytes; refuse counts the record cannot hold
  // before reserving memory for them.
  if (!dec.ok() || count > bytes.size() / 13) {
    return make_error(ErrorKind::Corrupt, "envelope record: truncated header");
  }
  e.recipients.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    Recipient r;
    r.address = dec.str();
    uint8_t state = dec.u8();
    r.attempts = dec.u32();
    r.last_reply = dec.str();
    if (state > static_cast<uint8_t>(Recipient::State::Failed)) {
      return make_error(ErrorKind::Corrupt, "envelope record: bad recipient state");
    }
    r.state = static_cast<Recipient::State>(state);
    e.recipients.push_back(std::move(r));
  }
  if (!dec.ok() || !dec.at_end()) {
    return make_error(ErrorKind::Corrupt, "envelope record: truncated or trailing bytes");
  }
  return e;
}

}  // namespace mail::queue
