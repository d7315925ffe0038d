// Claims on the LMDB spool: claim() hands due messages to one worker under a lease,
// complete() records per-recipient outcomes and ends the claim, renew() extends it. A
// claimed message's schedule entry sits at the end of its lease, so a worker that dies
// leaves an entry that comes due again when the lease runs out (see lmdb_spool.cpp for
// the layout).
#include <algorithm>

#include "queue/lmdb/envelope_record.h"
#include "queue/lmdb/lmdb_spool_impl.h"

namespace mail::queue::lmdb_spool {
namespace {

Error lost_claim(std::string_view id) {
  return make_error(
      ErrorKind::Denied,
      "claim on " + std::string(id) + " was lost (its lease ran out and it was claimed again)");
}

}  // namespace

Result<std::optional<Claim>> LmdbSpool::claim_one(lmdb::Txn& txn, std::string_view key, int64_t now,
                                                  int64_t lease, std::string_view owner) {
  const std::string id(key.substr(8));
  QUEUE_TRY(txn.del(db_.schedule, key));
  auto loaded = load(txn, id);
  if (!loaded) {
    // An entry without its envelope: drop it rather than stall the queue.
    if (loaded.error().kind == ErrorKind::NotFound) return std::optional<Claim>();
    return loaded.error();
  }
  Envelope& e = *loaded;
  QUEUE_ASSIGN(auto old, load_lease(txn, id));
  // Any claim found here has expired: its entry (at the lease's end) came due.
  if (old) QUEUE_TRY(txn.del(db_.claims, id));
  Claim c;
  for (uint32_t i = 0; i < e.recipients.size(); ++i) {
    const Recipient& r = e.recipients[i];
    if (r.state == Recipient::State::Pending && r.next_attempt <= now) c.recipients.push_back(i);
  }
  if (e.held || c.recipients.empty()) {
    // Nothing due (an expired claim of a held message, or recipients due later): put the
    // entry back where the index says it belongs.
    QUEUE_TRY(schedule(txn, e, std::nullopt));
    return std::optional<Claim>();
  }
  c.token = new_token();
  c.lease_until = now + std::max<int64_t>(lease, 1);
  c.reclaimed = old.has_value();
  Lease fresh{c.token, c.lease_until, std::string(owner)};
  QUEUE_TRY(txn.put(db_.claims, id, encode_lease(fresh)));
  QUEUE_TRY(schedule(txn, e, fresh));
  c.envelope = std::move(e);
  return std::optional<Claim>(std::move(c));
}

Result<std::vector<Claim>> LmdbSpool::claim(int64_t now, int64_t lease, size_t limit,
                                            std::string_view owner) {
  std::vector<Claim> out;
  if (limit == 0) return out;
  QUEUE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  // Rounds: read a run of due keys, then claim them (which moves each entry past `now` or
  // removes it, so the next round starts again from the first key).
  for (;;) {
    std::vector<std::string> keys;
    {
      QUEUE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.schedule));
      for (bool more = cur.first(); more && keys.size() < limit - out.size(); more = cur.next()) {
        if (cur.key().size() < 8) return make_error(ErrorKind::Corrupt, "schedule: short key");
        if (schedule_time(cur.key()) > now) break;  // the index is in time order
        keys.emplace_back(cur.key());
      }
    }
    if (keys.empty()) break;
    for (const std::string& key : keys) {
      QUEUE_ASSIGN(auto c, claim_one(txn, key, now, lease, owner));
      if (c) out.push_back(std::move(*c));
    }
    if (out.size() >= limit) break;
  }
  QUEUE_TRY(txn.commit());
  return out;
}

Result<std::vector<Result<Completed>>> LmdbSpool::complete(std::span<const Completion> batch,
                                                           int64_t now) {
  std::vector<Result<Completed>> out;
  out.reserve(batch.size());
  size_t recorded = 0;  // history records added
  QUEUE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  for (const Completion& c : batch) {
    auto loaded = load(txn, c.claim.id);
    if (!loaded) {
      if (loaded.error().kind != ErrorKind::NotFound) return loaded.error();
      out.push_back(loaded.error());
      continue;
    }
    Envelope& e = *loaded;
    QUEUE_ASSIGN(auto lease, load_lease(txn, e.id));
    if (!lease || lease->token != c.claim.token) {
      out.push_back(lost_claim(e.id));
      continue;
    }
    QUEUE_TRY(unschedule(txn, e, lease));
    QUEUE_TRY(txn.del(db_.claims, e.id));
    for (const Outcome& o : c.outcomes) {
      if (o.recipient >= e.recipients.size()) continue;
      Recipient& r = e.recipients[o.recipient];
      if (r.state != Recipient::State::Pending) continue;
      ++r.attempts;
      r.last_reply = o.reply;
      switch (o.kind) {
        case Outcome::Kind::Delivered:
          r.state = Recipient::State::Delivered;
          r.next_attempt = 0;
          break;
        case Outcome::Kind::Failed:
          r.state = Recipient::State::Failed;
          r.next_attempt = 0;
          r.bounce_class = o.bounce_class;
          if (r.first_failure == 0) r.first_failure = now;
          break;
        case Outcome::Kind::Deferred:
          r.next_attempt = o.next_attempt;
          r.bounce_class = o.bounce_class;
          if (r.first_failure == 0) r.first_failure = now;
          if (o.delay_notice_sent) r.delay_notice_sent = true;
          break;
      }
      QUEUE_TRY(record_history(txn, e, o, now));
      ++recorded;
    }
    e.next_attempt = e.earliest_attempt();
    Completed done;
    done.removed = !e.pending();
    if (done.removed) {
      QUEUE_TRY(erase(txn, e.id));
    } else {
      QUEUE_TRY(save(txn, e));
      QUEUE_TRY(schedule(txn, e, std::nullopt));
    }
    done.envelope = std::move(e);
    out.emplace_back(std::move(done));
  }
  // Twice what was added (and a little more): a full history shrinks back to its limits.
  QUEUE_TRY(prune_history(txn, now, 2 * recorded + 16));
  QUEUE_TRY(txn.commit());
  return out;
}

Result<size_t> LmdbSpool::expire_claims(std::string_view owner, int64_t now) {
  QUEUE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  std::vector<std::pair<std::string, Lease>> theirs;
  {
    QUEUE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.claims));
    for (bool more = cur.first(); more; more = cur.next()) {
      QUEUE_ASSIGN(Lease lease, decode_lease(cur.key(), cur.value()));
      if (lease.owner == owner && lease.until > now)
        theirs.emplace_back(std::string(cur.key()), std::move(lease));
    }
  }
  for (auto& [id, lease] : theirs) {
    QUEUE_TRY(txn.del(db_.schedule, schedule_key(lease.until, id)));
    lease.until = now;
    QUEUE_TRY(txn.put(db_.claims, id, encode_lease(lease)));
    QUEUE_TRY(txn.put(db_.schedule, schedule_key(now, id), ""));
  }
  QUEUE_TRY(txn.commit());
  return theirs.size();
}

Result<std::vector<Result<void>>> LmdbSpool::renew(std::span<const ClaimRef> claims,
                                                   int64_t until) {
  std::vector<Result<void>> out;
  out.reserve(claims.size());
  QUEUE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  for (const ClaimRef& ref : claims) {
    auto loaded = load(txn, ref.id);
    if (!loaded) {
      if (loaded.error().kind != ErrorKind::NotFound) return loaded.error();
      out.push_back(loaded.error());
      continue;
    }
    QUEUE_ASSIGN(auto lease, load_lease(txn, ref.id));
    if (!lease || lease->token != ref.token) {
      out.push_back(lost_claim(ref.id));
      continue;
    }
    QUEUE_TRY(unschedule(txn, *loaded, lease));
    lease->until = until;
    QUEUE_TRY(txn.put(db_.claims, ref.id, encode_lease(*lease)));
    QUEUE_TRY(schedule(txn, *loaded, lease));
    out.push_back(Result<void>());
  }
  QUEUE_TRY(txn.commit());
  return out;
}

}  // namespace mail::queue::lmdb_spool
