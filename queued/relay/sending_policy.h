// Bulk-sending controls that smtpd checks and queued and mailctl maintain, in a small LMDB
// environment of their own (data_dir/sending/, Config::sending_dir()):
//
//   - the suppression list: recipients that hard-bounced (5.1.1 and the like, see
//     bounce_class.h suppressible()). queued adds them; smtpd refuses them at RCPT for
//     authenticated senders (check_suppression); `mailctl suppression list|remove`.
//   - per-user sending limits for authenticated submission: messages per hour and per day
//     (`mailctl limit set USER HOURLY DAILY`; [relay] user_hourly_limit/user_daily_limit
//     for everyone else). smtpd checks at MAIL FROM (check_sent_against, 450 4.7.1) and
//     counts each message once it is queued (count_message).
//
// Layout (every record starts with a version byte, so fields can be appended):
//   meta         "schema_version" -> u32 (1)
//   suppressed   address (lower case) -> u8 1, i64 since, u8 class, str reply, str queue id
//   user_limits  user (lower case)    -> u8 1, u32 per hour, u32 per day
//   user_counts  user (lower case)    -> u8 1, i64 hour index, 24 x u32 messages per hour
// The counters are a ring of 24 hourly buckets: "today" is the last 24 buckets, "this
// hour" the current bucket plus the previous one weighted by the part of it still inside
// the last 60 minutes (a sliding window without a timestamp per message).
//
// Writes are short transactions that fsync: call them on the worker pool (net::offload).
// Reads are short and may run on an event loop. Several processes share the environment.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "queued/relay/bounce_class.h"
#include "smtpd/protocol/reply.h"

namespace mail::relay {

struct SuppressionEntry {
  std::string address;  // lower case
  int64_t since = 0;    // when it bounced (seconds since the epoch)
  BounceClass bounce_class = BounceClass::Hard;
  std::string reply;     // the recorded reply that put it here
  std::string queue_id;  // the message that bounced
};

struct UserLimits {
  uint32_t per_hour = 0;  // 0: no limit
  uint32_t per_day = 0;
};

struct SentCounts {
  uint64_t last_hour = 0;
  uint64_t last_day = 0;
};

class SendingPolicy {
 public:
  virtual ~SendingPolicy() = default;

  // Adds the address, or refreshes its entry.
  virtual Result<void> suppress(const SuppressionEntry& entry) = 0;
  virtual Result<std::optional<SuppressionEntry>> suppressed(std::string_view address) = 0;
  // false when the address was not on the list.
  virtual Result<bool> unsuppress(std::string_view address) = 0;
  virtual Result<std::vector<SuppressionEntry>> suppression_list() = 0;

  virtual Result<void> set_user_limits(std::string_view user, const UserLimits& limits) = 0;
  virtual Result<std::optional<UserLimits>> user_limits(std::string_view user) = 0;
  virtual Result<bool> remove_user_limits(std::string_view user) = 0;
  virtual Result<std::vector<std::pair<std::string, UserLimits>>> list_user_limits() = 0;

  // Counts `messages` sent by `user` at `now`.
  virtual Result<void> count_message(std::string_view user, int64_t now, uint32_t messages = 1) = 0;
  virtual Result<SentCounts> sent(std::string_view user, int64_t now) = 0;
};

Result<std::unique_ptr<SendingPolicy>> open_sending_policy(const std::filesystem::path& dir);

// The limits that apply to `user`: its own (mailctl limit set) when set, else `defaults`.
Result<UserLimits> effective_limits(SendingPolicy& policy, std::string_view user,
                                    const UserLimits& defaults);

// For smtpd at MAIL FROM of an authenticated session: nothing when `user` may send one
// more message, else the reply (450 4.7.1, naming the limit). The user's own limits
// replace `defaults` ([relay] user_hourly_limit, user_daily_limit) when set.
Result<std::optional<smtp::Reply>> check_sending_limit(SendingPolicy& policy, std::string_view user,
                                                       int64_t now, const UserLimits& defaults);
// The same check against limits already looked up (effective_limits), without reading them
// again: nothing when neither limit is set.
Result<std::optional<smtp::Reply>> check_sent_against(SendingPolicy& policy, std::string_view user,
                                                      int64_t now, const UserLimits& limits);

// For smtpd at RCPT TO: nothing, or the refusal of a suppressed recipient (550 with the
// enhanced code of the bounce that put it on the list).
Result<std::optional<smtp::Reply>> check_suppression(SendingPolicy& policy,
                                                     std::string_view recipient);

// The pure parts, exposed for tests. A ring of 24 hourly buckets whose newest bucket is
// hour `hour` (now / 3600): advance() moves it to the hour of `now` (emptying the buckets
// it passes), counts() reads it at `now`.
struct HourlyRing {
  int64_t hour = 0;
  std::array<uint32_t, 24> buckets{};
  void advance(int64_t now);
  SentCounts counts(int64_t now) const;
};

}  // namespace mail::relay
