// The stored form of a queue Envelope (the value in the `envelopes` database). Internal
// to the queue library. decode_envelope() trusts nothing: it checks the version, every
// length and the enum ranges, and reports damage as ErrorKind::Corrupt.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "queue/spool.h"

namespace mail::queue {

// Record version 1. Later versions append fields (DSN, RFC 3461: RET and ENVID per
// envelope, NOTIFY and ORCPT per recipient) after the version-1 fields of the same
// object; a reader of version N reads the fields it knows for records <= N.
constexpr uint8_t kEnvelopeRecordVersion = 1;

std::string encode_envelope(const Envelope& envelope);
Result<Envelope> decode_envelope(std::string_view bytes);

}  // namespace mail::queue
