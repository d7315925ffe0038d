#include "common/metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace mail::metrics {
namespace {

std::string render_labels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first;
    out += "=\"";
    out += escape_label_value(labels[i].second);
    out += '"';
  }
  out += '}';
  return out;
}

// The series that takes every label set past the family's limit.
Labels overflow_labels(const Labels& labels) {
  Labels out = labels;
  for (auto& [name, value] : out) value = "other";
  return out;
}

// Prometheus floats: integers without a fraction, "+Inf", otherwise shortest-ish form.
std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.9g", v);
  }
  return buf;
}

// "{a="x"}" plus one more label: "{a="x",le="0.5"}".
std::string with_label(const std::string& rendered, std::string_view name, std::string_view value) {
  std::string extra = std::string(name) + "=\"" + std::string(value) + "\"";
  if (rendered.empty()) return "{" + extra + "}";
  return rendered.substr(0, rendered.size() - 1) + "," + extra + "}";
}

const char* type_name(int type) {
  switch (type) {
    case 0:
      return "counter";
    case 1:
      return "gauge";
    default:
      return "histogram";
  }
}

std::string escape_help(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

}  // namespace

void Gauge::add(double d) {
  value_.fetch_add(d, std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  std::sort(bounds_.begin(), bounds_.end());
}

void Histogram::observe(double v) {
  size_t i =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::cumulative() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

const std::vector<double>& latency_buckets() {
  static const std::vector<double> bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                             0.25,   0.5,   1,      2.5,   5,    10,    30,   60};
  return bounds;
}

Registry::Series& Registry::series(std::string_view name, std::string_view help, Type type,
                                   const Labels& labels) {
  // Under mutex_.
  auto it = families_.find(name);
  if (it == families_.end())
    it = families_.emplace(std::string(name), Family{type, std::string(help), {}}).first;
  Family& family = it->second;
  std::string key = render_labels(labels);
  auto found = family.series.find(key);
  if (found != family.series.end()) return found->second;
  if (family.series.size() >= kMaxSeriesPerFamily) key = render_labels(overflow_labels(labels));
  return family.series[key];
}

Counter& Registry::counter(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  Series& s = series(name, help, Type::Counter, labels);
  if (!s.counter) s.counter = std::make_unique<Counter>();
  return *s.counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  Series& s = series(name, help, Type::Gauge, labels);
  if (!s.gauge) s.gauge = std::make_unique<Gauge>();
  return *s.gauge;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help, const Labels& labels,
                               const std::vector<double>& upper_bounds) {
  std::lock_guard lock(mutex_);
  Series& s = series(name, help, Type::Histogram, labels);
  if (!s.histogram) s.histogram = std::make_unique<Histogram>(upper_bounds);
  return *s.histogram;
}

void Registry::gauge_function(std::string_view name, std::string_view help,
                              std::function<double()> read) {
  gauge_function_labeled(name, help, {}, std::move(read));
}

void Registry::gauge_function_labeled(std::string_view name, std::string_view help,
                                      const Labels& labels, std::function<double()> read) {
  std::lock_guard lock(mutex_);
  series(name, help, Type::Gauge, labels).read = std::move(read);
}

std::string Registry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  out.reserve(4096);
  for (const auto& [name, family] : families_) {
    out += "# HELP " + name + " " + escape_help(family.help) + "\n";
    out += "# TYPE " + name + " " + type_name(static_cast<int>(family.type)) + "\n";
    for (const auto& [labels, s] : family.series) {
      if (s.counter) {
        out += name + labels + " " + std::to_string(s.counter->value()) + "\n";
      } else if (s.gauge) {
        out += name + labels + " " + number(s.gauge->value()) + "\n";
      } else if (s.read) {
        out += name + labels + " " + number(s.read()) + "\n";
      } else if (s.histogram) {
        const Histogram& h = *s.histogram;
        auto counts = h.cumulative();
        for (size_t i = 0; i < h.upper_bounds().size(); ++i)
          out += name + "_bucket" + with_label(labels, "le", number(h.upper_bounds()[i])) + " " +
                 std::to_string(counts[i]) + "\n";
        out += name + "_bucket" + with_label(labels, "le", "+Inf") + " " +
               std::to_string(counts.back()) + "\n";
        out += name + "_sum" + labels + " " + number(h.sum()) + "\n";
        // The count from the buckets, so that it always equals the +Inf bucket.
        out += name + "_count" + labels + " " + std::to_string(counts.back()) + "\n";
      }
    }
  }
  return out;
}

Registry& registry() {
  static Registry r;
  return r;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

namespace {

// Fields of /proc/self/stat after the command name (which may contain spaces).
std::vector<std::string> proc_stat_fields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  auto close = line.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream rest(line.substr(close + 2));
  std::string f;
  while (rest >> f) fields.push_back(f);
  return fields;  // fields[0] is field 3 (state)
}

double boot_time() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

}  // namespace

void register_process_metrics(Registry& registry) {
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  registry.gauge_function("process_resident_memory_bytes", "Resident memory size in bytes.",
                          [page] {
                            std::ifstream in("/proc/self/statm");
                            double size = 0, resident = 0;
                            in >> size >> resident;
                            return resident * page;
                          });
  registry.gauge_function("process_open_fds", "Number of open file descriptors.", [] {
    double n = 0;
    if (DIR* d = ::opendir("/proc/self/fd")) {
      while (::readdir(d)) ++n;
      ::closedir(d);
      n -= 3;  // ".", ".." and the directory's own descriptor
    }
    return n;
  });
  // A counter in Prometheus' convention, read from the kernel at each scrape.
  registry.gauge_function("process_cpu_seconds_total", "Total user and system CPU time in seconds.",
                          [ticks] {
                            auto f = proc_stat_fields();
                            if (f.size() < 13) return 0.0;
                            return (std::stod(f[11]) + std::stod(f[12])) / ticks;
                          });
  auto f = proc_stat_fields();
  const double start = f.size() > 19 ? boot_time() + std::stod(f[19]) / ticks : 0;
  registry.gauge_function("process_start_time_seconds",
                          "Start time of the process since the epoch in seconds.",
                          [start] { return start; });
}

}  // namespace mail::metrics
