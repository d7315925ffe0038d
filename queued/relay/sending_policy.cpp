#include "queued/relay/sending_policy.h"

#include <algorithm>
#include <cctype>

#include "common/codec.h"
#include "common/lmdb.h"
#include "common/lmdb_schema.h"
#include "queued/relay/dsn_builder.h"
#include "queued/relay/recorded_reply.h"

namespace mail::relay {
namespace {

constexpr uint32_t kSchemaVersion = 1;
constexpr uint8_t kRecordVersion = 1;
constexpr size_t kMaxKey = 320;  // an address: 64 + 1 + 255

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<std::string> key_for(std::string_view address) {
  if (address.empty() || address.size() > kMaxKey)
    return make_error(ErrorKind::Invalid, "bad address \"" + std::string(address) + "\"");
  return lower(address);
}

std::string encode_entry(const SuppressionEntry& e) {
  Encoder enc;
  enc.u8(kRecordVersion)
      .i64(e.since)
      .u8(static_cast<uint8_t>(e.bounce_class))
      .str(e.reply)
      .str(e.queue_id);
  return std::move(enc).bytes();
}

std::optional<SuppressionEntry> decode_entry(std::string_view key, std::string_view bytes) {
  Decoder d(bytes);
  if (d.u8() != kRecordVersion) return std::nullopt;
  SuppressionEntry e;
  e.address = std::string(key);
  e.since = d.i64();
  const uint8_t c = d.u8();
  e.reply = d.str();
  e.queue_id = d.str();
  if (!d.ok() || c > static_cast<uint8_t>(BounceClass::Expired)) return std::nullopt;
  e.bounce_class = static_cast<BounceClass>(c);
  return e;
}

std::string encode_limits(const UserLimits& l) {
  Encoder enc;
  enc.u8(kRecordVersion).u32(l.per_hour).u32(l.per_day);
  return std::move(enc).bytes();
}

std::optional<UserLimits> decode_limits(std::string_view bytes) {
  Decoder d(bytes);
  if (d.u8() != kRecordVersion) return std::nullopt;
  UserLimits l;
  l.per_hour = d.u32();
  l.per_day = d.u32();
  if (!d.ok()) return std::nullopt;
  return l;
}

std::string encode_ring(const HourlyRing& r) {
  Encoder enc;
  enc.u8(kRecordVersion).i64(r.hour);
  for (uint32_t b : r.buckets) enc.u32(b);
  return std::move(enc).bytes();
}

std::optional<HourlyRing> decode_ring(std::string_view bytes) {
  Decoder d(bytes);
  if (d.u8() != kRecordVersion) return std::nullopt;
  HourlyRing r;
  r.hour = d.i64();
  for (auto& b : r.buckets) b = d.u32();
  if (!d.ok()) return std::nullopt;
  return r;
}

class LmdbSendingPolicy final : public SendingPolicy {
 public:
  LmdbSendingPolicy(std::unique_ptr<lmdb::Env> env, MDB_dbi suppressed, MDB_dbi limits,
                    MDB_dbi counts)
      : env_(std::move(env)), suppressed_(suppressed), limits_(limits), counts_(counts) {}

  Result<void> suppress(const SuppressionEntry& entry) override {
    auto key = key_for(entry.address);
    if (!key) return key.error();
    return put(suppressed_, *key, encode_entry(entry));
  }

  Result<std::optional<SuppressionEntry>> suppressed(std::string_view address) override {
    auto key = key_for(address);
    if (!key) return key.error();
    auto txn = lmdb::Txn::begin(*env_, false);
    if (!txn) return txn.error();
    auto v = txn->get(suppressed_, *key);
    if (!v) return v.error();
    if (!v->has_value()) return std::optional<SuppressionEntry>{};
    auto e = decode_entry(*key, **v);
    if (!e) return make_error(ErrorKind::Corrupt, "suppression record of " + *key);
    return e;
  }

  Result<bool> unsuppress(std::string_view address) override {
    auto key = key_for(address);
    if (!key) return key.error();
    return del(suppressed_, *key);
  }

  Result<std::vector<SuppressionEntry>> suppression_list() override {
    std::vector<SuppressionEntry> out;
    auto txn = lmdb::Txn::begin(*env_, false);
    if (!txn) return txn.error();
    auto cur = lmdb::Cursor::open(*txn, suppressed_);
    if (!cur) return cur.error();
    for (bool ok = cur->first(); ok; ok = cur->next()) {
      auto e = decode_entry(cur->key(), cur->value());
      if (!e)
        return make_error(ErrorKind::Corrupt, "suppression record of " + std::string(cur->key()));
      out.push_back(std::move(*e));
    }
    return out;
  }

  Result<void> set_user_limits(std::string_view user, const UserLimits& limits) override {
    auto key = key_for(user);
    if (!key) return key.error();
    return put(limits_, *key, encode_limits(limits));
  }

  Result<std::optional<UserLimits>> user_limits(std::string_view user) override {
    auto key = key_for(user);
    if (!key) return key.error();
    auto txn = lmdb::Txn::begin(*env_, false);
    if (!txn) return txn.error();
    auto v = txn->get(limits_, *key);
    if (!v) return v.error();
    if (!v->has_value()) return std::optional<UserLimits>{};
    auto l = decode_limits(**v);
    if (!l) return make_error(ErrorKind::Corrupt, "limits record of " + *key);
    return l;
  }

  Result<bool> remove_user_limits(std::string_view user) override {
    auto key = key_for(user);
    if (!key) return key.error();
    return del(limits_, *key);
  }

  Result<std::vector<std::pair<std::string, UserLimits>>> list_user_limits() override {
    std::vector<std::pair<std::string, UserLimits>> out;
    auto txn = lmdb::Txn::begin(*env_, false);
    if (!txn) return txn.error();
    auto cur = lmdb::Cursor::open(*txn, limits_);
    if (!cur) return cur.error();
    for (bool ok = cur->first(); ok; ok = cur->next()) {
      auto l = decode_limits(cur->value());
      if (!l) return make_error(ErrorKind::Corrupt, "limits record of " + std::string(cur->key()));
      out.emplace_back(std::string(cur->key()), *l);
    }
    return out;
  }

  Result<void> count_message(std::string_view user, int64_t now, uint32_t messages) override {
    auto key = key_for(user);
    if (!key) return key.error();
    auto txn = lmdb::Txn::begin(*env_, true);
    if (!txn) return txn.error();
    auto v = txn->get(counts_, *key);
    if (!v) return v.error();
    HourlyRing ring;
    ring.hour = now / 3600;
    if (v->has_value()) {
      auto stored = decode_ring(**v);
      if (!stored) return make_error(ErrorKind::Corrupt, "counter record of " + *key);
      ring = *stored;
    }
    ring.advance(now);
    uint32_t& bucket = ring.buckets[static_cast<size_t>(ring.hour % 24)];
    bucket = bucket > UINT32_MAX - messages ? UINT32_MAX : bucket + messages;
    if (auto r = txn->put(counts_, *key, encode_ring(ring)); !r) return r.error();
    return txn->commit();
  }

  Result<SentCounts> sent(std::string_view user, int64_t now) override {
    auto key = key_for(user);
    if (!key) return key.error();
    auto txn = lmdb::Txn::begin(*env_, false);
    if (!txn) return txn.error();
    auto v = txn->get(counts_, *key);
    if (!v) return v.error();
    if (!v->has_value()) return SentCounts{};
    auto ring = decode_ring(**v);
    if (!ring) return make_error(ErrorKind::Corrupt, "counter record of " + *key);
    return ring->counts(now);
  }

 private:
  Result<void> put(MDB_dbi dbi, std::string_view key, std::string_view value) {
    auto txn = lmdb::Txn::begin(*env_, true);
    if (!txn) return txn.error();
    if (auto r = txn->put(dbi, key, value); !r) return r.error();
    return txn->commit();
  }

  Result<bool> del(MDB_dbi dbi, std::string_view key) {
    auto txn = lmdb::Txn::begin(*env_, true);
    if (!txn) return txn.error();
    auto removed = txn->del(dbi, key);
    if (!removed) return removed.error();
    if (auto r = txn->commit(); !r) return r.error();
    return *removed;
  }

  std::unique_ptr<lmdb::Env> env_;
  MDB_dbi suppressed_, limits_, counts_;
};

}  // namespace

void HourlyRing::advance(int64_t now) {
  const int64_t target = now / 3600;
  if (target <= hour) return;  // the clock went back: keep counting into the newest bucket
  const int64_t steps = std::min<int64_t>(target - hour, 24);
  for (int64_t i = 1; i <= steps; ++i) buckets[static_cast<size_t>((hour + i) % 24)] = 0;
  hour = target;
}

SentCounts HourlyRing::counts(int64_t now) const {
  HourlyRing r = *this;
  r.advance(now);
  SentCounts c;
  for (uint32_t b : r.buckets) c.last_day += b;
  const uint64_t current = r.buckets[static_cast<size_t>(r.hour % 24)];
  const uint64_t previous = r.buckets[static_cast<size_t>((r.hour + 23) % 24)];
  const int64_t into = now - r.hour * 3600;  // seconds into the current hour
  const int64_t left = into >= 3600 || into < 0 ? 0 : 3600 - into;
  // Rounded up: a limit is never exceeded because of the approximation.
  c.last_hour = current + (previous * static_cast<uint64_t>(left) + 3599) / 3600;
  return c;
}

Result<std::unique_ptr<SendingPolicy>> open_sending_policy(const std::filesystem::path& dir) {
  lmdb::EnvOptions options;
  options.map_size = size_t{256} << 20;
  auto env = lmdb::Env::open(dir, options);
  if (!env) return env.error();
  auto txn = lmdb::Txn::begin(**env, true);
  if (!txn) return txn.error();
  MDB_dbi dbis[4];
  const char* names[4] = {"meta", "suppressed", "user_limits", "user_counts"};
  if (auto r = lmdb::open_versioned_tables(*txn, names, dbis, kSchemaVersion,
                                           "sending policy " + dir.string());
      !r)
    return r.error();
  if (auto r = txn->commit(); !r) return r.error();
  return std::unique_ptr<SendingPolicy>(
      new LmdbSendingPolicy(std::move(*env), dbis[1], dbis[2], dbis[3]));
}

Result<UserLimits> effective_limits(SendingPolicy& policy, std::string_view user,
                                    const UserLimits& defaults) {
  auto own = policy.user_limits(user);
  if (!own) return own.error();
  return own->value_or(defaults);
}

Result<std::optional<smtp::Reply>> check_sending_limit(SendingPolicy& policy, std::string_view user,
                                                       int64_t now, const UserLimits& defaults) {
  auto effective = effective_limits(policy, user, defaults);
  if (!effective) return effective.error();
  return check_sent_against(policy, user, now, *effective);
}

Result<std::optional<smtp::Reply>> check_sent_against(SendingPolicy& policy, std::string_view user,
                                                      int64_t now, const UserLimits& limits) {
  if (limits.per_hour == 0 && limits.per_day == 0) return std::optional<smtp::Reply>{};
  auto counts = policy.sent(user, now);
  if (!counts) return counts.error();
  if (limits.per_hour > 0 && counts->last_hour >= limits.per_hour)
    return std::optional<smtp::Reply>(
        smtp::Reply(450, "4.7.1",
                    "Sending limit reached: " + std::to_string(limits.per_hour) +
                        " messages per hour; try later"));
  if (limits.per_day > 0 && counts->last_day >= limits.per_day)
    return std::optional<smtp::Reply>(
        smtp::Reply(450, "4.7.1",
                    "Sending limit reached: " + std::to_string(limits.per_day) +
                        " messages per day; try later"));
  return std::optional<smtp::Reply>{};
}

Result<std::optional<smtp::Reply>> check_suppression(SendingPolicy& policy,
                                                     std::string_view recipient) {
  auto entry = policy.suppressed(recipient);
  if (!entry) return entry.error();
  if (!entry->has_value()) return std::optional<smtp::Reply>{};
  const SuppressionEntry& e = **entry;
  const RecordedReply bounce = parse_recorded_reply(e.reply);
  const std::string enhanced =
      bounce.enhanced.size() >= 3 && bounce.enhanced[0] == '5' ? bounce.enhanced : "5.1.1";
  return std::optional<smtp::Reply>(
      smtp::Reply(550, enhanced,
                  "<" + std::string(recipient) + ">: recipient suppressed after a hard bounce on " +
                      rfc5322_date(e.since)));
}

}  // namespace mail::relay
