// mailctl report: the queue's delivery history per destination domain over a period
// (ctl/delivery_report.h says what is counted). Reads the spool's history in short
// read-only transactions while queued runs (it writes nothing). Options are untrusted:
// --since is parsed strictly, --domain only compared, --top bounded.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>

#include "ctl/commands.h"
#include "ctl/delivery_report.h"
#include "ctl/queue_format.h"
#include "queue/spool.h"

namespace mail::ctl {

Result<void> report(const Invocation& inv) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  // The history keeps report_retention_days; the default period is the last day.
  const int64_t retention = int64_t{inv.config.queue.report_retention_days} * 86400;
  int64_t since = now - 86400;
  if (auto it = inv.options.find("since"); it != inv.options.end()) {
    auto parsed = parse_since(it->second, now);
    if (!parsed) return parsed.error();
    since = std::max(*parsed, now - retention);
  }
  size_t top = kReportDefaultTop;
  if (auto it = inv.options.find("top"); it != inv.options.end()) {
    const std::string& v = it->second;
    if (v.empty() || v.size() > 5 || v.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(v) < 1 || std::stoul(v) > kReportMaxTop)
      return make_error(ErrorKind::Invalid, "--top must be 1 to " + std::to_string(kReportMaxTop));
    top = std::stoul(v);
  }
  std::string domain;
  if (auto it = inv.options.find("domain"); it != inv.options.end()) {
    domain = it->second;
    if (domain.empty() || domain.size() > queue::kMaxHistoryDomain)
      return make_error(
          ErrorKind::Invalid,
          "--domain must be 1 to " + std::to_string(queue::kMaxHistoryDomain) + " octets");
  }

  DeliveryReport tally(since, now + 1, domain,
                       static_cast<size_t>(inv.config.queue.report_max_domains));
  std::error_code ec;
  // No queue yet: nothing was ever delivered (a report does not create one).
  if (std::filesystem::exists(inv.config.queue_dir(), ec)) {
    auto spool = queue::open_spool(inv.config);
    if (!spool) return make_error(spool.error().kind, "queue: " + spool.error().message);
    auto read = (*spool)->read_history(since, now + 1, [&](const queue::HistoryRecord& r) {
      tally.add(r);
      return true;
    });
    if (!read) return make_error(read.error().kind, "queue: " + read.error().message);
    tally.set_unreadable(*read);
  }
  const std::string out =
      inv.has("json") ? dump_json(report_json(tally, top)) + "\n" : report_text(tally, top);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return {};
}

}  // namespace mail::ctl
