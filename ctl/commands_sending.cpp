// mailctl commands over the sending policy store (queued/relay/sending_policy.h):
//   suppression list              one line per suppressed recipient: address, since, class,
//                                 the bounce that put it there
//   suppression remove ADDRESS    lets mail to it through again
//   limit set USER HOURLY DAILY   per-user sending limits (0: no limit of that kind)
//   limit list                    every user with own limits, and what they sent lately
//   limit remove USER             back to [relay] user_hourly_limit / user_daily_limit
// Stored text (addresses, remote replies) is untrusted: control bytes are masked.
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

#include "ctl/commands.h"
#include "ctl/queue_format.h"
#include "queued/relay/dsn_builder.h"
#include "queued/relay/sending_policy.h"

namespace mail::ctl {
namespace {

Result<std::unique_ptr<relay::SendingPolicy>> open(const Invocation& inv) {
  return relay::open_sending_policy(inv.config.sending_dir());
}

Result<uint32_t> count(const std::string& text, const char* what) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    return make_error(ErrorKind::Invalid,
                      std::string(what) + " must be a number of messages (0: no limit)");
  return static_cast<uint32_t>(std::stoul(text));
}

std::string limit_text(uint32_t n) {
  return n == 0 ? "-" : std::to_string(n);
}

}  // namespace

Result<void> suppression_list(const Invocation& inv) {
  auto policy = open(inv);
  if (!policy) return policy.error();
  auto list = (*policy)->suppression_list();
  if (!list) return list.error();
  for (const auto& e : *list) {
    std::printf("%s\t%s\t%s\t%s\t%s\n", printable(e.address).c_str(),
                relay::rfc5322_date(e.since).c_str(), relay::bounce_class_name(e.bounce_class),
                printable(e.queue_id).c_str(), printable(e.reply).c_str());
  }
  return {};
}

Result<void> suppression_remove(const Invocation& inv) {
  auto policy = open(inv);
  if (!policy) return policy.error();
  auto removed = (*policy)->unsuppress(inv.operands[0]);
  if (!removed) return removed.error();
  if (!*removed)
    return make_error(ErrorKind::NotFound, inv.operands[0] + " is not on the suppression list");
  std::printf("removed %s from the suppression list\n", printable(inv.operands[0]).c_str());
  return {};
}

Result<void> limit_set(const Invocation& inv) {
  auto hourly = count(inv.operands[1], "HOURLY");
  if (!hourly) return hourly.error();
  auto daily = count(inv.operands[2], "DAILY");
  if (!daily) return daily.error();
  if (inv.operands[0].find('@') == std::string::npos)
    return make_error(ErrorKind::Invalid, "USER must be an address (the login of an account)");
  auto policy = open(inv);
  if (!policy) return policy.error();
  return (*policy)->set_user_limits(inv.operands[0], relay::UserLimits{*hourly, *daily});
}

Result<void> limit_list(const Invocation& inv) {
  auto policy = open(inv);
  if (!policy) return policy.error();
  auto list = (*policy)->list_user_limits();
  if (!list) return list.error();
  const int64_t now = std::time(nullptr);
  std::printf("user\tper_hour\tper_day\tsent_last_hour\tsent_last_day\n");
  std::printf("(default)\t%s\t%s\t\t\n", limit_text(inv.config.relay.user_hourly_limit).c_str(),
              limit_text(inv.config.relay.user_daily_limit).c_str());
  for (const auto& [user, limits] : *list) {
    auto sent = (*policy)->sent(user, now);
    if (!sent) return sent.error();
    std::printf("%s\t%s\t%s\t%llu\t%llu\n", printable(user).c_str(),
                limit_text(limits.per_hour).c_str(), limit_text(limits.per_day).c_str(),
                static_cast<unsigned long long>(sent->last_hour),
                static_cast<unsigned long long>(sent->last_day));
  }
  return {};
}

Result<void> limit_remove(const Invocation& inv) {
  auto policy = open(inv);
  if (!policy) return policy.error();
  auto removed = (*policy)->remove_user_limits(inv.operands[0]);
  if (!removed) return removed.error();
  if (!*removed)
    return make_error(ErrorKind::NotFound, inv.operands[0] + " has no limits of its own");
  return {};
}

}  // namespace mail::ctl
