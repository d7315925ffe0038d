// Prometheus metrics of one process: counters, gauges and histograms, each registered by
// family name and label values, rendered in the text exposition format (version 0.0.4)
// by the daemon's metrics endpoint (common/net/metrics_server.h). Updates are lock-free
// atomics; only the first use of a (family, labels) series takes the registry's lock, so
// hot paths keep a reference to their series (common/mail_metrics.h does).
//
// Bounded: a family holds at most kMaxSeriesPerFamily label sets; later ones are counted
// in one series whose label values are all "other" (a label taken from input can never
// grow the registry without limit).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mail::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

inline constexpr size_t kMaxSeriesPerFamily = 512;

class Counter {
 public:
  void add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double d);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into buckets by upper bound (seconds for durations).
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);
  // Cumulative counts per bound, then the total (the "+Inf" bucket).
  std::vector<uint64_t> cumulative() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  const std::vector<double>& upper_bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // per bound, not cumulative
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

// 0.5 ms to 60 s: protocol commands, queue commits, delivery batches.
const std::vector<double>& latency_buckets();

class Registry {
 public:
  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, const Labels& labels = {},
                       const std::vector<double>& upper_bounds = latency_buckets());
  // A gauge whose value is read when the registry is rendered (resident memory, open
  // files). `read` runs under the registry's lock: it must be quick and must not touch
  // the registry.
  void gauge_function(std::string_view name, std::string_view help, std::function<double()> read);
  void gauge_function_labeled(std::string_view name, std::string_view help, const Labels& labels,
                              std::function<double()> read);

  // The text exposition format: families sorted by name, each with HELP and TYPE.
  std::string render() const;

 private:
  enum class Type { Counter, Gauge, Histogram };
  struct Series {
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> read;
  };
  struct Family {
    Type type;
    std::string help;
    std::map<std::string, Series> series;  // by rendered label set: {a="x",b="y"}
  };
  Series& series(std::string_view name, std::string_view help, Type type, const Labels& labels);

  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
};

// The process's registry: what its metrics endpoint serves.
Registry& registry();

// process_resident_memory_bytes, process_open_fds, process_cpu_seconds_total,
// process_start_time_seconds (the names Prometheus' client libraries use), read from
// /proc/self at each scrape.
void register_process_metrics(Registry& registry);

// Escapes a label value for the exposition format (backslash, double quote, newline).
std::string escape_label_value(std::string_view value);

}  // namespace mail::metrics
