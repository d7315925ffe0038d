// The LMDB spool: the embedded backend behind queue/spool.h. Trusts its callers (smtpd,
// queued, mailctl in the same trust domain) but not the stored bytes: records are
// checked when decoded.
//
// One environment, four databases:
//   meta       "schema_version" -> u32 (kSchemaVersion)
//   envelopes  id -> encoded Envelope (queue/envelope_codec.h)
//   contents   id -> the message bytes as received (RFC 5322, with our Received: line)
//   schedule   u64 (next_attempt with the sign bit flipped, big-endian) + id -> ""
//              An index so due() reads only what is due; only envelopes with a
//              pending recipient have an entry. Flipping the sign bit keeps byte order
//              equal to numeric order also for negative times.
// Every mutation is one write transaction; its commit fsyncs (we never set MDB_NOSYNC
// or MDB_NOMETASYNC), so enqueue() is durable when it returns.
#include <cstring>
#include <optional>

#include "common/codec.h"
#include "common/lmdb.h"
#include "queue/envelope_codec.h"
#include "queue/spool.h"

namespace mail::queue {
namespace {

constexpr char kSchemaKey[] = "schema_version";

std::string schedule_key(int64_t next_attempt, std::string_view id) {
  Encoder enc;
  enc.u64(static_cast<uint64_t>(next_attempt) ^ (uint64_t{1} << 63)).raw(id);
  return std::move(enc).bytes();
}

// REQUIRES: key.size() >= 8
int64_t schedule_time(std::string_view key) {
  Decoder dec(key.substr(0, 8));
  return static_cast<int64_t>(dec.u64() ^ (uint64_t{1} << 63));
}

Error not_found(std::string_view id) {
  return make_error(ErrorKind::NotFound, "queue id " + std::string(id) + " not found");
}

class LmdbSpool final : public Spool {
 public:
  LmdbSpool(std::unique_ptr<lmdb::Env> env, MDB_dbi envelopes, MDB_dbi contents, MDB_dbi schedule)
      : env_(std::move(env)), envelopes_(envelopes), contents_(contents), schedule_(schedule) {}

  Result<std::vector<std::string>> enqueue(std::span<NewMessage> batch) override {
    std::vector<std::string> ids;
    if (batch.empty()) return ids;
    for (const NewMessage& m : batch) {
      // A message without recipients would never be due and never leave.
      if (m.envelope.recipients.empty()) {
        return make_error(ErrorKind::Invalid, "enqueue: message without recipients");
      }
    }
    auto txn = lmdb::Txn::begin(*env_, true);
    if (!txn) return txn.error();
    ids.reserve(batch.size());
    for (NewMessage& m : batch) {
      // smtpd names the message first (its Received header carries the id).
      if (m.envelope.id.empty()) m.envelope.id = new_queue_id();
      const Envelope& e = m.envelope;
      // MDB_NOOVERWRITE: an id collision must fail loudly, never replace a message.
      if (auto r = txn->put(envelopes_, e.id, encode_envelope(e), MDB_NOOVERWRITE); !r)
        return r.error();
      if (auto r = txn->put(contents_, e.id, m.content); !r) return r.error();
      if (e.pending()) {
        if (auto r = txn->put(schedule_, schedule_key(e.next_attempt, e.id), ""); !r)
          return r.error();
      }
      ids.push_back(e.id);
    }
    if (auto r = txn->commit(); !r) return r.error();
    return ids;
  }

  Result<std::vector<Envelope>> due(int64_t now, size_t limit) override {
    std::vector<Envelope> out;
    if (limit == 0) return out;
    auto txn = lmdb::Txn::begin(*env_, false);
    if (!txn) return txn.error();
    auto cur = lmdb::Cursor::open(*txn, schedule_);
    if (!cur) return cur.error();
    for (bool more = cur->first(); more && out.size() < limit; more = cur->next()) {
      std::string_view key = cur->key();
      if (key.size() < 8) return make_error(ErrorKind::Corrupt, "schedule: short key");
      if (schedule_time(key) > now) break;  // the index is in time order
      auto e = load(*txn, key.substr(8));
      if (!e) {
        // An index entry without its envelope: skip it rather than stall the queue.
        if (e.error().kind == ErrorKind::NotFound) continue;
        return e.error();
      }
      if (e->pending()) out.push_back(std::move(e).value());
    }
    return out;
  }

  Result<std::vector<Envelope>> list() override {
    std::vector<Envelope> out;
    auto txn = lmdb::Txn::begin(*env_, false);
    if (!txn) return txn.error();
    auto cur = lmdb::Cursor::open(*txn, envelopes_);
    if (!cur) return cur.error();
    for (bool more = cur->first(); more; more = cur->next()) {
      auto e = decode_envelope(cur->value());
      if (!e) return e.error();
      out.push_back(std::move(e).value());
    }
    return out;
  }

  Result<Envelope> envelope(std::string_view id) override {
    auto txn = lmdb::Txn::begin(*env_, false);
    if (!txn) return txn.error();
    return load(*txn, id);
  }

  Result<std::string> content(std::string_view id) override {
    auto txn = lmdb::Txn::begin(*env_, false);
    if (!txn) return txn.error();
    auto v = txn->get(contents_, id);
    if (!v) return v.error();
    if (!*v) return not_found(id);
    return std::string(**v);
  }

  Result<void> update(const Envelope& envelope) override {
    auto txn = lmdb::Txn::begin(*env_, true);
    if (!txn) return txn.error();
    auto old = load(*txn, envelope.id);
    if (!old) return old.error();
    if (auto r = txn->del(schedule_, schedule_key(old->next_attempt, old->id)); !r)
      return r.error();
    if (auto r = txn->put(envelopes_, envelope.id, encode_envelope(envelope)); !r) return r.error();
    if (envelope.pending()) {
      if (auto r = txn->put(schedule_, schedule_key(envelope.next_attempt, envelope.id), ""); !r)
        return r.error();
    }
    return txn->commit();
  }

  Result<void> remove(std::string_view id) override {
    auto txn = lmdb::Txn::begin(*env_, true);
    if (!txn) return txn.error();
    auto old = load(*txn, id);
    if (!old) return old.error();
    if (auto r = txn->del(schedule_, schedule_key(old->next_attempt, id)); !r) return r.error();
    if (auto r = txn->del(envelopes_, id); !r) return r.error();
    if (auto r = txn->del(contents_, id); !r) return r.error();
    return txn->commit();
  }

 private:
  Result<Envelope> load(lmdb::Txn& txn, std::string_view id) {
    auto v = txn.get(envelopes_, id);
    if (!v) return v.error();
    if (!*v) return not_found(id);
    return decode_envelope(**v);
  }

  std::unique_ptr<lmdb::Env> env_;
  MDB_dbi envelopes_, contents_, schedule_;
};

}  // namespace

Result<std::unique_ptr<Spool>> open_lmdb_spool(const std::filesystem::path& dir,
                                               const SpoolOptions& options) {
  lmdb::EnvOptions env_options;
  env_options.map_size = options.map_size;
  auto env = lmdb::Env::open(dir, env_options);
  if (!env) return env.error();
  auto txn = lmdb::Txn::begin(**env, true);
  if (!txn) return txn.error();
  auto meta = txn->open_db("meta", true);
  if (!meta) return meta.error();
  auto envelopes = txn->open_db("envelopes", true);
  if (!envelopes) return envelopes.error();
  auto contents = txn->open_db("contents", true);
  if (!contents) return contents.error();
  auto schedule = txn->open_db("schedule", true);
  if (!schedule) return schedule.error();
  auto version = txn->get(*meta, kSchemaKey);
  if (!version) return version.error();
  if (*version) {
    Decoder dec(**version);
    uint32_t v = dec.u32();
    if (!dec.ok() || !dec.at_end()) {
      return make_error(ErrorKind::Corrupt, "queue meta: bad schema_version record");
    }
    if (v != kSchemaVersion) {
      return make_error(ErrorKind::Corrupt, "queue schema version " + std::to_string(v) + " at " +
                                                dir.string() + ", this build reads " +
                                                std::to_string(kSchemaVersion));
    }
  } else {
    Encoder enc;
    enc.u32(kSchemaVersion);
    if (auto r = txn->put(*meta, kSchemaKey, enc.bytes()); !r) return r.error();
  }
  if (auto r = txn->commit(); !r) return r.error();
  return std::unique_ptr<Spool>(
      new LmdbSpool(std::move(env).value(), *envelopes, *contents, *schedule));
}

}  // namespace mail::queue
