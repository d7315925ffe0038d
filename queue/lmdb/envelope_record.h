// The stored form of a queue Envelope (the value in the LMDB spool's `envelopes`
// database). Internal to the LMDB backend. decode_envelope() trusts nothing: it checks the
// version, every length and the enum ranges, and reports damage as ErrorKind::Corrupt.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "queue/spool.h"

namespace mail::queue::lmdb_spool {

// Record versions. Each version appends fields after the fields of the previous version
// of the same object (a recipient's new fields after its old ones, the envelope's new
// fields after its recipient list); a reader of version N reads every record <= N and
// refuses newer ones. encode_envelope() always writes the current version.
//   1: sender, arrival, next attempt, session, client; per recipient address, state,
//      attempts, last reply.
//   2: per recipient DSN NOTIFY and ORCPT, its own next attempt, first failure time,
//      delay-notice flag, bounce class; per envelope DSN RET and ENVID, BODY, SMTPUTF8,
//      held, size.
constexpr uint8_t kEnvelopeRecordVersion = 2;

std::string encode_envelope(const Envelope& envelope);
Result<Envelope> decode_envelope(std::string_view bytes);

// The version-1 encoding, kept so tests can write records the way the previous release
// did and check that they still open.
std::string encode_envelope_v1(const Envelope& envelope);

}  // namespace mail::queue::lmdb_spool
