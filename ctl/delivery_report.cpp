#include "ctl/delivery_report.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "common/ascii.h"
#include "ctl/queue_format.h"

namespace mail::ctl {

using queue::HistoryRecord;
using queue::Outcome;

namespace {

// "hard:2 spam:1", or "-".
std::string classes_text(const std::map<queue::BounceClass, uint64_t>& classes) {
  std::string out;
  for (const auto& [c, n] : classes) {
    if (!out.empty()) out += ' ';
    out += std::string(queue::bounce_class_name(c)) + ":" + std::to_string(n);
  }
  return out.empty() ? "-" : out;
}

nlohmann::json classes_json(const std::map<queue::BounceClass, uint64_t>& classes) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [c, n] : classes) j[queue::bounce_class_name(c)] = n;
  return j;
}

nlohmann::json tally_json(const DomainTally& t) {
  nlohmann::json j{{"delivered", t.delivered},
                   {"delivered_tls", t.delivered_tls},
                   {"delivered_plain", t.delivered_plain},
                   {"deferred", t.deferred},
                   {"bounced", t.bounced},
                   {"tls_percent", nullptr},
                   {"bounce_classes", classes_json(t.bounce_classes)},
                   {"deferral_classes", classes_json(t.deferral_classes)}};
  if (auto p = t.tls_percent()) j["tls_percent"] = *p;
  return j;
}

std::string tls_text(const DomainTally& t) {
  auto p = t.tls_percent();
  if (!p) return "-";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", *p);
  return buf;
}

// Domain names longer than this are cut in the table (JSON has them whole).
constexpr size_t kDomainColumnMax = 48;

std::string domain_cell(std::string_view domain) {
  std::string s = printable(domain.empty() ? std::string_view("(no domain)") : domain);
  if (s.size() > kDomainColumnMax) s = s.substr(0, kDomainColumnMax - 3) + "...";
  return s;
}

}  // namespace

void DomainTally::add(const HistoryRecord& r) {
  switch (r.kind) {
    case Outcome::Kind::Delivered:
      ++delivered;
      if (r.transport == queue::Transport::Tls) ++delivered_tls;
      if (r.transport == queue::Transport::Plain) ++delivered_plain;
      break;
    case Outcome::Kind::Deferred:
      ++deferred;
      ++deferral_classes[r.bounce_class];
      break;
    case Outcome::Kind::Failed:
      ++bounced;
      ++bounce_classes[r.bounce_class];
      break;
  }
}

void DomainTally::merge(const DomainTally& o) {
  delivered += o.delivered;
  delivered_tls += o.delivered_tls;
  delivered_plain += o.delivered_plain;
  deferred += o.deferred;
  bounced += o.bounced;
  for (const auto& [c, n] : o.bounce_classes) bounce_classes[c] += n;
  for (const auto& [c, n] : o.deferral_classes) deferral_classes[c] += n;
}

std::optional<double> DomainTally::tls_percent() const {
  const uint64_t smtp = delivered_tls + delivered_plain;
  if (smtp == 0) return std::nullopt;
  return 100.0 * static_cast<double>(delivered_tls) / static_cast<double>(smtp);
}

DeliveryReport::DeliveryReport(int64_t since, int64_t until, std::string domain, size_t max_domains)
    : since_(since), until_(until), filter_(ascii::lower(domain)), max_domains_(max_domains) {}

bool DeliveryReport::add(const HistoryRecord& r) {
  if (r.time < since_ || r.time >= until_) return false;
  if (!filter_.empty() && r.domain != filter_) return false;
  ++records_;
  auto it = domains_.find(r.domain);
  if (it == domains_.end()) {
    if (domains_.size() >= max_domains_) {
      overflow_.add(r);
      return true;
    }
    it = domains_.emplace(r.domain, DomainTally{}).first;
  }
  it->second.add(r);
  return true;
}

DeliveryReport::Summary DeliveryReport::summarize(size_t top) const {
  Summary s;
  std::vector<const std::pair<const std::string, DomainTally>*> order;
  order.reserve(domains_.size());
  for (const auto& entry : domains_) order.push_back(&entry);
  const size_t shown = std::min(top, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(shown), order.end(),
                    [](const auto* a, const auto* b) {
                      if (a->second.records() != b->second.records())
                        return a->second.records() > b->second.records();
                      return a->first < b->first;
                    });
  for (size_t i = 0; i < order.size(); ++i) {
    if (i < shown) {
      s.rows.push_back(Row{order[i]->first, order[i]->second});
    } else {
      s.others.merge(order[i]->second);
      ++s.other_domains;
    }
    s.total.merge(order[i]->second);
  }
  s.others.merge(overflow_);
  s.total.merge(overflow_);
  return s;
}

std::string report_text(const DeliveryReport& report, size_t top) {
  const DeliveryReport::Summary s = report.summarize(top);
  std::string out =
      "Delivery report " + format_time(report.since()) + " to " + format_time(report.until());
  if (!report.domain_filter().empty()) out += ", domain " + printable(report.domain_filter());
  out += "\n";
  struct Line {
    std::string domain;
    const DomainTally* tally;
  };
  std::vector<Line> lines;
  for (const auto& row : s.rows) lines.push_back({domain_cell(row.domain), &row.tally});
  const bool others = s.others.records() > 0;
  if (others) {
    std::string label = "(" + std::to_string(s.other_domains) + " other domains";
    if (report.overflow_records() > 0) label += ", more not tallied";
    lines.push_back({label + ")", &s.others});
  }
  lines.push_back({"total", &s.total});
  size_t width = 6;
  for (const auto& l : lines) width = std::max(width, l.domain.size());
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-*s %10s %10s %10s %5s  %s\n", static_cast<int>(width), "domain",
                "delivered", "deferred", "bounced", "TLS", "bounce classes");
  out += buf;
  for (const auto& l : lines) {
    const DomainTally& t = *l.tally;
    std::snprintf(buf, sizeof buf, "%-*s %10llu %10llu %10llu %5s  ", static_cast<int>(width),
                  l.domain.c_str(), static_cast<unsigned long long>(t.delivered),
                  static_cast<unsigned long long>(t.deferred),
                  static_cast<unsigned long long>(t.bounced), tls_text(t).c_str());
    out += buf;
    out += classes_text(t.bounce_classes) + "\n";
  }
  if (report.unreadable() > 0)
    out += std::to_string(report.unreadable()) + " damaged history records were skipped\n";
  return out;
}

nlohmann::json report_json(const DeliveryReport& report, size_t top) {
  const DeliveryReport::Summary s = report.summarize(top);
  nlohmann::json domains = nlohmann::json::array();
  for (const auto& row : s.rows) {
    nlohmann::json j = tally_json(row.tally);
    j["domain"] = row.domain;
    domains.push_back(std::move(j));
  }
  nlohmann::json others = nullptr;
  if (s.others.records() > 0) {
    others = tally_json(s.others);
    others["domains"] = s.other_domains;
    others["untallied_records"] = report.overflow_records();
  }
  return nlohmann::json{
      {"since", report.since()},
      {"until", report.until()},
      {"domain_filter", report.domain_filter().empty() ? nlohmann::json(nullptr)
                                                       : nlohmann::json(report.domain_filter())},
      {"records", report.records()},
      {"damaged_records", report.unreadable()},
      {"domains", std::move(domains)},
      {"others", std::move(others)},
      {"total", tally_json(s.total)}};
}

Result<int64_t> parse_since(std::string_view text, int64_t now) {
  auto invalid = [&] {
    return make_error(ErrorKind::Invalid, "--since " + printable(text) +
                                              ": expected a duration (30m, 24h, 7d, 2w) or a "
                                              "UTC date (2026-12-01, 2026-12-01T13:00)");
  };
  auto digits = [](std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (text.size() >= 2 && text.size() <= 12 && digits(text.substr(0, text.size() - 1))) {
    int64_t unit = 0;
    switch (text.back()) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'w':
        unit = 7 * 86400;
        break;
      default:
        return invalid();
    }
    const int64_t n = std::stoll(std::string(text.substr(0, text.size() - 1)));
    if (n > 100LL * 366 * 86400 / unit) return invalid();
    return now - n * unit;
  }
  // YYYY-MM-DD, then optionally [T ]HH:MM[:SS], then optionally Z.
  std::string_view rest = text;
  if (!rest.empty() && rest.back() == 'Z') rest.remove_suffix(1);
  auto field = [&](size_t at, size_t len) -> int {
    if (rest.size() < at + len || !digits(rest.substr(at, len))) return -1;
    return std::stoi(std::string(rest.substr(at, len)));
  };
  std::tm tm{};
  const int year = field(0, 4), month = field(5, 2), day = field(8, 2);
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || rest[4] != '-' ||
      rest[7] != '-')
    return invalid();
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  if (rest.size() > 10) {
    if (rest[10] != 'T' && rest[10] != ' ') return invalid();
    const int hour = field(11, 2), minute = field(14, 2);
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || rest[13] != ':') return invalid();
    tm.tm_hour = hour;
    tm.tm_min = minute;
    if (rest.size() > 16) {
      const int second = field(17, 2);
      if (rest.size() != 19 || rest[16] != ':' || second < 0 || second > 60) return invalid();
      tm.tm_sec = second;
    } else if (rest.size() != 16) {
      return invalid();
    }
  } else if (rest.size() != 10) {
    return invalid();
  }
  const std::time_t t = timegm(&tm);
  if (tm.tm_mday != day) return invalid();  // 2026-02-31 normalised into March
  if (t > now)
    return make_error(ErrorKind::Invalid, "--since " + printable(text) + " is in the future");
  return static_cast<int64_t>(t);
}

}  // namespace mail::ctl
