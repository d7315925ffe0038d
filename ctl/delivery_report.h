// `mailctl report`: the queue's delivery history (queue/spool.h HistoryRecord) tallied per
// destination domain over a period, as Postfix administrators read pflogsumm's "per-domain"
// tables, but from the records queued writes with each completion rather than from logs.
// Pure: the command (commands_report.cpp) reads the spool and prints what this returns.
//
// Counting: every record is one recipient attempt. "delivered" and "bounced" count
// recipients (each ends once); "deferred" counts deferral attempts (a recipient deferred
// three times, then delivered, counts 3 and 1), as pflogsumm counts deferrals. TLS is the
// share of deliveries made over an SMTP session that used TLS; local deliveries have no
// session and count in "delivered" only (their TLS column reads "-").
//
// Bounded: at most max_domains distinct domains are tallied (the rest of the history goes
// into an "(other)" tally, and the report says so), and the output lists the `top`
// domains with the most records, then one line for all the others, then the totals.
// Domain names are untrusted bytes: masked in the table, escaped in JSON.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "queue/spool.h"

namespace mail::ctl {

// The default and the largest `--top`.
constexpr size_t kReportDefaultTop = 50;
constexpr size_t kReportMaxTop = 10000;

struct DomainTally {
  uint64_t delivered = 0;
  uint64_t delivered_tls = 0;    // of delivered: over an SMTP session with TLS
  uint64_t delivered_plain = 0;  // of delivered: over an SMTP session without TLS
  uint64_t deferred = 0;
  uint64_t bounced = 0;
  std::map<queue::BounceClass, uint64_t> bounce_classes;    // of bounced
  std::map<queue::BounceClass, uint64_t> deferral_classes;  // of deferred

  void add(const queue::HistoryRecord& record);
  void merge(const DomainTally& other);
  uint64_t records() const { return delivered + deferred + bounced; }
  // delivered_tls / (delivered_tls + delivered_plain) in percent; nullopt without any
  // delivery over SMTP (local only, or nothing delivered).
  std::optional<double> tls_percent() const;
};

class DeliveryReport {
 public:
  // The period is [since, until); `domain` (any case) keeps only that destination domain.
  DeliveryReport(int64_t since, int64_t until, std::string domain, size_t max_domains);

  // Tallies one record; false (nothing tallied) when it is outside the period or filter.
  bool add(const queue::HistoryRecord& record);
  void set_unreadable(uint64_t n) { unreadable_ = n; }

  struct Row {
    std::string domain;
    DomainTally tally;
  };
  struct Summary {
    std::vector<Row> rows;       // the `top` domains with the most records, then by name
    DomainTally others;          // every other domain, and what overflowed max_domains
    uint64_t other_domains = 0;  // how many domains `others` holds (overflow not counted)
    DomainTally total;
  };
  Summary summarize(size_t top) const;

  int64_t since() const { return since_; }
  int64_t until() const { return until_; }
  const std::string& domain_filter() const { return filter_; }
  uint64_t records() const { return records_; }
  uint64_t unreadable() const { return unreadable_; }
  // Records of domains beyond max_domains (tallied only in `others` and the totals).
  uint64_t overflow_records() const { return overflow_.records(); }

 private:
  int64_t since_, until_;
  std::string filter_;
  size_t max_domains_;
  std::map<std::string, DomainTally> domains_;
  DomainTally overflow_;
  uint64_t records_ = 0;
  uint64_t unreadable_ = 0;
};

// The table: a heading with the period, one line per domain, "(N other domains)", "total".
std::string report_text(const DeliveryReport& report, size_t top);
nlohmann::json report_json(const DeliveryReport& report, size_t top);

// `--since`: a duration back from `now` ("90s", "30m", "24h", "7d", "2w") or a UTC date
// ("2026-12-01", "2026-12-01T13:00", "2026-12-01 13:00:00Z"). Invalid for anything else,
// a time after `now`, or a duration longer than 100 years.
Result<int64_t> parse_since(std::string_view text, int64_t now);

}  // namespace mail::ctl
