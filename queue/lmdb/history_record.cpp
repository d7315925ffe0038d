#include "queue/lmdb/history_record.h"

#include "common/codec.h"

namespace mail::queue::lmdb_spool {
namespace {

constexpr size_t kKeyFixed = 8 + 4 + 4;  // time, recipient, attempt

Error corrupt_history(std::string_view what) {
  return make_error(ErrorKind::Corrupt, "delivery history record: " + std::string(what));
}

}  // namespace

std::string history_key_prefix(int64_t time) {
  Encoder enc;
  enc.u64(static_cast<uint64_t>(time) ^ (uint64_t{1} << 63));
  return std::move(enc).bytes();
}

std::string history_key(int64_t time, std::string_view id, uint32_t recipient, uint32_t attempt) {
  Encoder enc;
  enc.raw(history_key_prefix(time)).raw(id).u32(recipient).u32(attempt);
  return std::move(enc).bytes();
}

std::string encode_history(const HistoryRecord& r) {
  Encoder enc;
  enc.u8(kHistoryRecordVersion)
      .u8(static_cast<uint8_t>(r.kind))
      .u8(static_cast<uint8_t>(r.bounce_class))
      .u8(static_cast<uint8_t>(r.transport))
      .str(std::string_view(r.domain).substr(0, kMaxHistoryDomain));
  return std::move(enc).bytes();
}

Result<HistoryRecord> decode_history(std::string_view key, std::string_view bytes) {
  if (key.size() < kKeyFixed) return corrupt_history("short key");
  HistoryRecord r;
  Decoder time(key.substr(0, 8));
  r.time = static_cast<int64_t>(time.u64() ^ (uint64_t{1} << 63));
  Decoder dec(bytes);
  const uint8_t version = dec.u8();
  const uint8_t kind = dec.u8();
  const uint8_t bounce_class = dec.u8();
  const uint8_t transport = dec.u8();
  if (!dec.ok()) return corrupt_history("short value");
  if (version == 0) return corrupt_history("version 0");
  if (kind > static_cast<uint8_t>(Outcome::Kind::Failed)) return corrupt_history("bad kind");
  if (bounce_class > static_cast<uint8_t>(BounceClass::Expired))
    return corrupt_history("bad class");
  if (transport > static_cast<uint8_t>(Transport::Tls)) return corrupt_history("bad transport");
  r.kind = static_cast<Outcome::Kind>(kind);
  r.bounce_class = static_cast<BounceClass>(bounce_class);
  r.transport = static_cast<Transport>(transport);
  r.domain = dec.str();
  if (!dec.ok() || r.domain.size() > kMaxHistoryDomain) return corrupt_history("bad domain");
  // A newer version's appended fields are not ours to read; version 1 has none.
  if (version == kHistoryRecordVersion && !dec.at_end()) return corrupt_history("trailing bytes");
  return r;
}

}  // namespace mail::queue::lmdb_spool
