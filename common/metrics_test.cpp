#include "common/metrics.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/mail_metrics.h"

namespace mail::metrics {
namespace {

TEST(MetricsTest, RendersCountersGaugesAndHistogramsInTextFormat) {
  Registry r;
  r.counter("mail_x_total", "Things.", {{"kind", "a"}}).add(3);
  r.counter("mail_x_total", "Things.", {{"kind", "b"}}).add();
  r.gauge("mail_open", "Open now.").set(2);
  auto& h = r.histogram("mail_took_seconds", "Time.", {{"op", "q"}}, {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  const std::string text = r.render();
  EXPECT_NE(text.find("# HELP mail_x_total Things.\n# TYPE mail_x_total counter\n"
                      "mail_x_total{kind=\"a\"} 3\nmail_x_total{kind=\"b\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE mail_open gauge\nmail_open 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE mail_took_seconds histogram\n"
                      "mail_took_seconds_bucket{op=\"q\",le=\"0.1\"} 1\n"
                      "mail_took_seconds_bucket{op=\"q\",le=\"1\"} 2\n"
                      "mail_took_seconds_bucket{op=\"q\",le=\"+Inf\"} 3\n"
                      "mail_took_seconds_sum{op=\"q\"} 5.55\n"
                      "mail_took_seconds_count{op=\"q\"} 3\n"),
            std::string::npos)
      << text;
}

TEST(MetricsTest, SameLabelsSameSeries) {
  Registry r;
  Counter& a = r.counter("c_total", "h", {{"x", "1"}});
  Counter& b = r.counter("c_total", "h", {{"x", "1"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &r.counter("c_total", "h", {{"x", "2"}}));
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  Registry r;
  r.counter("c_total", "h", {{"v", "x\"y"}}).add();
  EXPECT_NE(r.render().find("c_total{v=\"x\\\"y\"} 1"), std::string::npos);
}

TEST(MetricsTest, SeriesPerFamilyAreBounded) {
  Registry r;
  for (size_t i = 0; i < kMaxSeriesPerFamily + 10; ++i)
    r.counter("c_total", "h", {{"v", std::to_string(i)}}).add();
  const std::string text = r.render();
  // The first kMaxSeriesPerFamily label sets keep their series; the rest share "other".
  EXPECT_NE(text.find("c_total{v=\"0\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("c_total{v=\"other\"} 10\n"), std::string::npos);
  EXPECT_EQ(text.find("c_total{v=\"" + std::to_string(kMaxSeriesPerFamily + 5) + "\"}"),
            std::string::npos);
}

TEST(MetricsTest, CountsFromManyThreads) {
  Registry r;
  Counter& c = r.counter("c_total", "h");
  Histogram& h = r.histogram("h_seconds", "h");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.add();
        h.observe(0.001);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000u);
  EXPECT_EQ(h.count(), 40000u);
  EXPECT_EQ(h.cumulative().back(), 40000u);
}

TEST(MetricsTest, FunctionsAreReadAtRender) {
  Registry r;
  double v = 1;
  r.gauge_function("g", "h", [&] { return v; });
  EXPECT_NE(r.render().find("g 1\n"), std::string::npos);
  v = 2.5;
  EXPECT_NE(r.render().find("g 2.5\n"), std::string::npos);
}

TEST(MetricsTest, ProcessMetricsReadProc) {
  Registry r;
  register_process_metrics(r);
  const std::string text = r.render();
  for (const char* name : {"process_resident_memory_bytes ", "process_open_fds ",
                           "process_cpu_seconds_total ", "process_start_time_seconds "})
    EXPECT_NE(text.find(std::string("\n") + name), std::string::npos) << name << text;
  EXPECT_EQ(text.find("process_resident_memory_bytes 0\n"), std::string::npos);
}

TEST(MetricsTest, SuiteMetricsGoToTheProcessRegistry) {
  connection_opened("test_listener");
  command_done("smtp", "NOOP", std::chrono::milliseconds(3));
  smtp_rejected(550, "5.1.1");
  const std::string text = registry().render();
  EXPECT_NE(text.find("mail_connections_open{listener=\"test_listener\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("mail_commands_total{protocol=\"smtp\",command=\"NOOP\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("mail_smtp_rejections_total{code=\"550\",status=\"5.1.1\"} 1\n"),
            std::string::npos);
  connection_closed("test_listener");
  EXPECT_NE(registry().render().find("mail_connections_open{listener=\"test_listener\"} 0\n"),
            std::string::npos);
}

}  // namespace
}  // namespace mail::metrics
