// The LMDB spool: the embedded backend behind queue/spool.h (opening and migrating the
// environment, enqueue, reads and administration; claims are in lmdb_claims.cpp).
// Trusts its callers (smtpd, queued, mailctl in the same trust domain) but not the stored
// bytes: records are checked when decoded.
//
// One environment, six databases:
//   meta       "schema_version" -> u32 (kLmdbSchemaVersion)
//   envelopes  id -> encoded Envelope (queue/lmdb/envelope_record.h)
//   contents   id -> the message bytes as received (RFC 5322, with our Received: line)
//   schedule   u64 (time with the sign bit flipped, big-endian) + id -> ""
//              The index claim() reads: one entry per message that is claimed (at the
//              end of its lease) or has a pending recipient and is not held (at the
//              earliest next attempt of its pending recipients). Flipping the sign bit
//              keeps byte order equal to numeric order also for negative times.
//   claims     id -> u64 token, i64 lease end, str owner: the message's current (or
//              expired) claim and the worker that holds it
//   history    time + id + recipient + attempt -> outcome, bounce class, TLS, domain:
//              the delivery history (history_record.h), written and pruned by complete()
//              in the same transaction as the recipients' states (lmdb_history.cpp)
// Every mutation is one write transaction; its commit fsyncs (we never set MDB_NOSYNC
// or MDB_NOMETASYNC), so enqueue() is durable when it returns.
#include <algorithm>

#include "common/codec.h"
#include "queue/lmdb/envelope_record.h"
#include "queue/lmdb/lmdb_spool_impl.h"

namespace mail::queue {
namespace lmdb_spool {
namespace {

constexpr char kSchemaKey[] = "schema_version";

Error not_found(std::string_view id) {
  return make_error(ErrorKind::NotFound, "queue id " + std::string(id) + " not found");
}

}  // namespace

std::string schedule_key(int64_t when, std::string_view id) {
  Encoder enc;
  enc.u64(static_cast<uint64_t>(when) ^ (uint64_t{1} << 63)).raw(id);
  return std::move(enc).bytes();
}

int64_t schedule_time(std::string_view key) {
  Decoder dec(key.substr(0, 8));
  return static_cast<int64_t>(dec.u64() ^ (uint64_t{1} << 63));
}

std::string encode_lease(const Lease& lease) {
  Encoder enc;
  enc.u64(lease.token).i64(lease.until).str(lease.owner);
  return std::move(enc).bytes();
}

Result<Lease> decode_lease(std::string_view id, std::string_view bytes) {
  Decoder dec(bytes);
  Lease lease;
  lease.token = dec.u64();
  lease.until = dec.i64();
  lease.owner = dec.str();
  if (!dec.ok() || !dec.at_end())
    return make_error(ErrorKind::Corrupt, "claim record of " + std::string(id) + ": bad size");
  return lease;
}

LmdbSpool::LmdbSpool(std::unique_ptr<lmdb::Env> env, Dbs dbs, HistoryLimits history)
    : env_(std::move(env)), db_(dbs), history_(history), token_rng_(std::random_device{}()) {}

Result<Envelope> LmdbSpool::load(lmdb::Txn& txn, std::string_view id) {
  QUEUE_ASSIGN(auto v, txn.get(db_.envelopes, id));
  if (!v) return not_found(id);
  return decode_envelope(*v);
}

Result<std::optional<Lease>> LmdbSpool::load_lease(lmdb::Txn& txn, std::string_view id) {
  QUEUE_ASSIGN(auto v, txn.get(db_.claims, id));
  if (!v) return std::optional<Lease>();
  QUEUE_ASSIGN(Lease lease, decode_lease(id, *v));
  return std::optional<Lease>(std::move(lease));
}

std::optional<int64_t> LmdbSpool::scheduled_at(const Envelope& e,
                                               const std::optional<Lease>& lease) {
  if (lease) return lease->until;
  if (e.pending() && !e.held) return e.earliest_attempt();
  return std::nullopt;
}

Result<void> LmdbSpool::unschedule(lmdb::Txn& txn, const Envelope& e,
                                   const std::optional<Lease>& lease) {
  if (auto at = scheduled_at(e, lease)) QUEUE_TRY(txn.del(db_.schedule, schedule_key(*at, e.id)));
  return {};
}

Result<void> LmdbSpool::schedule(lmdb::Txn& txn, const Envelope& e,
                                 const std::optional<Lease>& lease) {
  if (auto at = scheduled_at(e, lease))
    QUEUE_TRY(txn.put(db_.schedule, schedule_key(*at, e.id), ""));
  return {};
}

Result<void> LmdbSpool::save(lmdb::Txn& txn, const Envelope& e) {
  return txn.put(db_.envelopes, e.id, encode_envelope(e));
}

Result<void> LmdbSpool::erase(lmdb::Txn& txn, std::string_view id) {
  QUEUE_TRY(txn.del(db_.claims, id));
  QUEUE_TRY(txn.del(db_.envelopes, id));
  QUEUE_TRY(txn.del(db_.contents, id));
  return {};
}

uint64_t LmdbSpool::new_token() {
  std::lock_guard lock(token_mu_);
  uint64_t t;
  do t = token_rng_();
  while (t == 0);
  return t;
}

Result<std::vector<std::string>> LmdbSpool::enqueue(std::span<NewMessage> batch) {
  std::vector<std::string> ids;
  if (batch.empty()) return ids;
  for (const NewMessage& m : batch) {
    // A message without recipients would never be due and never leave.
    if (m.envelope.recipients.empty())
      return make_error(ErrorKind::Invalid, "enqueue: message without recipients");
  }
  QUEUE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  ids.reserve(batch.size());
  for (NewMessage& m : batch) {
    Envelope& e = m.envelope;
    // smtpd names the message first (its Received header carries the id).
    if (e.id.empty()) e.id = new_queue_id();
    e.size = m.content.size();
    for (Recipient& r : e.recipients)
      if (r.state == Recipient::State::Pending && r.next_attempt == 0)
        r.next_attempt = e.next_attempt;
    // MDB_NOOVERWRITE: an id collision must fail loudly, never replace a message.
    QUEUE_TRY(txn.put(db_.envelopes, e.id, encode_envelope(e), MDB_NOOVERWRITE));
    QUEUE_TRY(txn.put(db_.contents, e.id, m.content));
    QUEUE_TRY(schedule(txn, e, std::nullopt));
    ids.push_back(e.id);
  }
  QUEUE_TRY(txn.commit());
  return ids;
}

Result<std::vector<Envelope>> LmdbSpool::list() {
  std::vector<Envelope> out;
  QUEUE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
  QUEUE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.envelopes));
  for (bool more = cur.first(); more; more = cur.next()) {
    QUEUE_ASSIGN(Envelope e, decode_envelope(cur.value()));
    out.push_back(std::move(e));
  }
  return out;
}

// Queue ids sort by arrival (queue_id.cpp), so the first envelope is the oldest: one
// decode and the database's entry count, whatever the queue's length.
Result<SpoolStats> LmdbSpool::stats() {
  SpoolStats out;
  QUEUE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
  MDB_stat st;
  if (int rc = mdb_stat(txn.get(), db_.envelopes, &st); rc != 0)
    return lmdb::to_error(rc, "queue stats");
  out.messages = st.ms_entries;
  QUEUE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.envelopes));
  if (cur.first()) {
    QUEUE_ASSIGN(Envelope e, decode_envelope(cur.value()));
    out.oldest_arrival = e.arrival;
  }
  return out;
}

Result<Envelope> LmdbSpool::envelope(std::string_view id) {
  QUEUE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
  return load(txn, id);
}

Result<std::string> LmdbSpool::content(std::string_view id) {
  QUEUE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
  QUEUE_ASSIGN(auto v, txn.get(db_.contents, id));
  if (!v) return not_found(id);
  return std::string(*v);
}

Result<void> LmdbSpool::hold(std::string_view id) {
  QUEUE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  QUEUE_ASSIGN(Envelope e, load(txn, id));
  if (e.held) return {};
  QUEUE_ASSIGN(auto lease, load_lease(txn, id));
  QUEUE_TRY(unschedule(txn, e, lease));
  e.held = true;
  QUEUE_TRY(schedule(txn, e, lease));  // a claim in flight keeps its entry until it ends
  QUEUE_TRY(save(txn, e));
  return txn.commit();
}

Result<void> LmdbSpool::release(std::string_view id) {
  QUEUE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  QUEUE_ASSIGN(Envelope e, load(txn, id));
  if (!e.held) return {};
  QUEUE_ASSIGN(auto lease, load_lease(txn, id));
  QUEUE_TRY(unschedule(txn, e, lease));
  e.held = false;
  QUEUE_TRY(schedule(txn, e, lease));
  QUEUE_TRY(save(txn, e));
  return txn.commit();
}

Result<bool> LmdbSpool::make_due(lmdb::Txn& txn, Envelope& e, int64_t now) {
  bool changed = false;
  for (const Recipient& r : e.recipients)
    changed |= r.state == Recipient::State::Pending && r.next_attempt > now;
  if (!changed) return false;
  QUEUE_ASSIGN(auto lease, load_lease(txn, e.id));
  QUEUE_TRY(unschedule(txn, e, lease));
  for (Recipient& r : e.recipients)
    if (r.state == Recipient::State::Pending) r.next_attempt = std::min(r.next_attempt, now);
  QUEUE_TRY(schedule(txn, e, lease));
  QUEUE_TRY(save(txn, e));
  return true;
}

Result<void> LmdbSpool::retry(std::string_view id, int64_t now) {
  QUEUE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  QUEUE_ASSIGN(Envelope e, load(txn, id));
  QUEUE_TRY(make_due(txn, e, now));
  return txn.commit();
}

Result<size_t> LmdbSpool::flush(int64_t now) {
  QUEUE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  std::vector<Envelope> later;
  {
    QUEUE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.envelopes));
    for (bool more = cur.first(); more; more = cur.next()) {
      QUEUE_ASSIGN(Envelope e, decode_envelope(cur.value()));
      if (!e.held && e.pending() && e.earliest_attempt() > now) later.push_back(std::move(e));
    }
  }
  size_t changed = 0;
  for (Envelope& e : later) {
    QUEUE_ASSIGN(bool c, make_due(txn, e, now));
    changed += c ? 1 : 0;
  }
  QUEUE_TRY(txn.commit());
  return changed;
}

Result<void> LmdbSpool::remove(std::string_view id) {
  QUEUE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  QUEUE_ASSIGN(Envelope e, load(txn, id));
  QUEUE_ASSIGN(auto lease, load_lease(txn, id));
  QUEUE_TRY(unschedule(txn, e, lease));
  QUEUE_TRY(erase(txn, id));
  return txn.commit();
}

}  // namespace lmdb_spool

Result<std::unique_ptr<Spool>> open_lmdb_spool(const std::filesystem::path& dir,
                                               const LmdbSpoolOptions& options) {
  using lmdb_spool::Dbs;
  lmdb::EnvOptions env_options;
  env_options.map_size = options.map_size;
  QUEUE_ASSIGN(auto env, lmdb::Env::open(dir, env_options));
  QUEUE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env, true));
  Dbs dbs{};
  QUEUE_ASSIGN(dbs.meta, txn.open_db("meta", true));
  QUEUE_ASSIGN(auto version, txn.get(dbs.meta, lmdb_spool::kSchemaKey));
  bool write_version = true;
  if (version) {
    Decoder dec(*version);
    uint32_t v = dec.u32();
    if (!dec.ok() || !dec.at_end())
      return make_error(ErrorKind::Corrupt, "queue meta: bad schema_version record");
    // Version 1 -> 2: the `claims` database is created below; version-1 envelope records
    // are read as they are (envelope_record.h) and rewritten when next changed.
    // Version 2 -> 3: the `history` database is created below, empty.
    if (v != kLmdbSchemaVersion && v != 1 && v != 2)
      return make_error(ErrorKind::Corrupt, "queue schema version " + std::to_string(v) + " at " +
                                                dir.string() + ", this build reads up to " +
                                                std::to_string(kLmdbSchemaVersion));
    write_version = v != kLmdbSchemaVersion;
  }
  QUEUE_ASSIGN(dbs.envelopes, txn.open_db("envelopes", true));
  QUEUE_ASSIGN(dbs.contents, txn.open_db("contents", true));
  QUEUE_ASSIGN(dbs.schedule, txn.open_db("schedule", true));
  QUEUE_ASSIGN(dbs.claims, txn.open_db("claims", true));
  QUEUE_ASSIGN(dbs.history, txn.open_db("history", true));
  if (write_version) {
    Encoder enc;
    enc.u32(kLmdbSchemaVersion);
    QUEUE_TRY(txn.put(dbs.meta, lmdb_spool::kSchemaKey, enc.bytes()));
  }
  QUEUE_TRY(txn.commit());
  return std::unique_ptr<Spool>(new lmdb_spool::LmdbSpool(std::move(env), dbs, options.history));
}

}  // namespace mail::queue
