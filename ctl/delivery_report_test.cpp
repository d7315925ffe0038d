// Tests for `mailctl report`'s tally (ctl/delivery_report.h): counting per domain, the TLS
// share, the period and domain filter, the bounds (top rows, max_domains), hostile domain
// bytes in text and JSON, and --since parsing.
#include "ctl/delivery_report.h"

#include <gtest/gtest.h>

#include "ctl/queue_format.h"

namespace mail::ctl {
namespace {

using queue::BounceClass;
using queue::HistoryRecord;
using queue::Outcome;
using queue::Transport;

constexpr int64_t kT = 1764547200;  // 2025-12-01 00:00:00Z

HistoryRecord rec(std::string domain, Outcome::Kind kind, BounceClass c = BounceClass::None,
                  Transport t = Transport::None, int64_t time = kT) {
  HistoryRecord r;
  r.time = time;
  r.domain = std::move(domain);
  r.kind = kind;
  r.bounce_class = c;
  r.transport = t;
  return r;
}

DeliveryReport sample() {
  DeliveryReport r(kT - 100, kT + 100, "", 1000);
  // remote.test: 3 delivered (2 over TLS, 1 plain), 1 hard bounce, 1 spam bounce.
  r.add(rec("remote.test", Outcome::Kind::Delivered, BounceClass::None, Transport::Tls));
  r.add(rec("remote.test", Outcome::Kind::Delivered, BounceClass::None, Transport::Tls));
  r.add(rec("remote.test", Outcome::Kind::Delivered, BounceClass::None, Transport::Plain));
  r.add(rec("remote.test", Outcome::Kind::Failed, BounceClass::Hard, Transport::Plain));
  r.add(rec("remote.test", Outcome::Kind::Failed, BounceClass::Spam, Transport::Tls));
  // sink.test: 2 deferrals then a plaintext delivery.
  r.add(rec("sink.test", Outcome::Kind::Deferred, BounceClass::Soft, Transport::Plain));
  r.add(rec("sink.test", Outcome::Kind::Deferred, BounceClass::Soft, Transport::Plain));
  r.add(rec("sink.test", Outcome::Kind::Delivered, BounceClass::None, Transport::Plain));
  // example.test: local deliveries (no SMTP session).
  r.add(rec("example.test", Outcome::Kind::Delivered));
  r.add(rec("example.test", Outcome::Kind::Failed, BounceClass::Expired));
  return r;
}

TEST(DeliveryReport, TalliesPerDomain) {
  auto s = sample().summarize(10);
  ASSERT_EQ(s.rows.size(), 3u);
  // Most records first.
  EXPECT_EQ(s.rows[0].domain, "remote.test");
  EXPECT_EQ(s.rows[1].domain, "sink.test");
  EXPECT_EQ(s.rows[2].domain, "example.test");
  const DomainTally& remote = s.rows[0].tally;
  EXPECT_EQ(remote.delivered, 3u);
  EXPECT_EQ(remote.delivered_tls, 2u);
  EXPECT_EQ(remote.bounced, 2u);
  EXPECT_EQ(remote.deferred, 0u);
  EXPECT_EQ(remote.bounce_classes.at(BounceClass::Hard), 1u);
  EXPECT_EQ(remote.bounce_classes.at(BounceClass::Spam), 1u);
  EXPECT_NEAR(*remote.tls_percent(), 66.67, 0.01);
  const DomainTally& sink = s.rows[1].tally;
  EXPECT_EQ(sink.deferred, 2u);
  EXPECT_EQ(sink.deferral_classes.at(BounceClass::Soft), 2u);
  EXPECT_TRUE(sink.bounce_classes.empty());
  EXPECT_EQ(*sink.tls_percent(), 0.0);
  EXPECT_FALSE(s.rows[2].tally.tls_percent());  // local only: no TLS share
  EXPECT_EQ(s.total.delivered, 5u);
  EXPECT_EQ(s.total.deferred, 2u);
  EXPECT_EQ(s.total.bounced, 3u);
  EXPECT_NEAR(*s.total.tls_percent(), 50.0, 0.01);  // 2 of 4 SMTP deliveries
  EXPECT_EQ(s.others.records(), 0u);
}

TEST(DeliveryReport, PeriodAndDomainFilter) {
  DeliveryReport r(kT, kT + 10, "Remote.TEST", 1000);
  EXPECT_FALSE(r.add(rec("remote.test", Outcome::Kind::Delivered, {}, {}, kT - 1)));
  EXPECT_TRUE(r.add(rec("remote.test", Outcome::Kind::Delivered, {}, {}, kT)));
  EXPECT_TRUE(r.add(rec("remote.test", Outcome::Kind::Delivered, {}, {}, kT + 9)));
  EXPECT_FALSE(r.add(rec("remote.test", Outcome::Kind::Delivered, {}, {}, kT + 10)));
  EXPECT_FALSE(r.add(rec("other.test", Outcome::Kind::Delivered)));
  EXPECT_EQ(r.records(), 2u);
  auto s = r.summarize(10);
  ASSERT_EQ(s.rows.size(), 1u);
  EXPECT_EQ(s.rows[0].tally.delivered, 2u);
}

TEST(DeliveryReport, TopRowsThenOthers) {
  DeliveryReport r(0, kT * 2, "", 1000);
  for (int d = 0; d < 5; ++d)
    for (int n = 0; n <= d; ++n)
      r.add(rec("d" + std::to_string(d) + ".test", Outcome::Kind::Delivered));
  auto s = r.summarize(2);
  ASSERT_EQ(s.rows.size(), 2u);
  EXPECT_EQ(s.rows[0].domain, "d4.test");
  EXPECT_EQ(s.rows[1].domain, "d3.test");
  EXPECT_EQ(s.other_domains, 3u);
  EXPECT_EQ(s.others.delivered, 1u + 2u + 3u);
  EXPECT_EQ(s.total.delivered, 15u);
  const std::string text = report_text(r, 2);
  EXPECT_NE(text.find("(3 other domains)"), std::string::npos) << text;
  auto j = report_json(r, 2);
  EXPECT_EQ(j["domains"].size(), 2u);
  EXPECT_EQ(j["others"]["domains"], 3);
  EXPECT_EQ(j["others"]["delivered"], 6);
  EXPECT_EQ(j["total"]["delivered"], 15);
}

TEST(DeliveryReport, AtMostMaxDomainsTallied) {
  DeliveryReport r(0, kT * 2, "", 3);
  for (int d = 0; d < 10; ++d)
    r.add(rec("d" + std::to_string(d) + ".test", Outcome::Kind::Delivered));
  EXPECT_EQ(r.records(), 10u);
  EXPECT_EQ(r.overflow_records(), 7u);  // domains 4 to 10 arrived after the map was full
  auto s = r.summarize(100);
  EXPECT_EQ(s.rows.size(), 3u);
  EXPECT_EQ(s.others.delivered, 7u);
  EXPECT_EQ(s.total.delivered, 10u);
  // A domain already tallied keeps counting.
  r.add(rec("d0.test", Outcome::Kind::Delivered));
  EXPECT_EQ(r.summarize(100).rows[0].tally.delivered, 2u);
  EXPECT_NE(report_text(r, 100).find("more not tallied"), std::string::npos);
  EXPECT_EQ(report_json(r, 100)["others"]["untallied_records"], 7);
}

TEST(DeliveryReport, TextTable) {
  const std::string text = report_text(sample(), 10);
  EXPECT_EQ(text,
            "Delivery report 2025-11-30 23:58:20Z to 2025-12-01 00:01:40Z\n"
            "domain        delivered   deferred    bounced   TLS  bounce classes\n"
            "remote.test           3          0          2   67%  hard:1 spam:1\n"
            "sink.test             1          2          0    0%  -\n"
            "example.test          1          0          1     -  expired:1\n"
            "total                 5          2          3   50%  hard:1 spam:1 expired:1\n");
}

TEST(DeliveryReport, Json) {
  auto j = report_json(sample(), 10);
  EXPECT_EQ(j["since"], kT - 100);
  EXPECT_EQ(j["until"], kT + 100);
  EXPECT_EQ(j["records"], 10);
  EXPECT_TRUE(j["domain_filter"].is_null());
  EXPECT_TRUE(j["others"].is_null());
  ASSERT_EQ(j["domains"].size(), 3u);
  const auto& remote = j["domains"][0];
  EXPECT_EQ(remote["domain"], "remote.test");
  EXPECT_EQ(remote["delivered"], 3);
  EXPECT_EQ(remote["delivered_tls"], 2);
  EXPECT_EQ(remote["delivered_plain"], 1);
  EXPECT_EQ(remote["bounced"], 2);
  EXPECT_EQ(remote["bounce_classes"]["hard"], 1);
  EXPECT_EQ(remote["bounce_classes"]["spam"], 1);
  EXPECT_TRUE(j["domains"][2]["tls_percent"].is_null());
  EXPECT_EQ(j["domains"][1]["deferral_classes"]["soft"], 2);
  EXPECT_EQ(j["total"]["tls_percent"], 50.0);
}

TEST(DeliveryReport, HostileDomainBytes) {
  DeliveryReport r(0, kT * 2, "", 10);
  r.add(rec("evil\x1b[31m\xff.test", Outcome::Kind::Delivered));
  r.add(rec(std::string(200, 'a') + ".test", Outcome::Kind::Delivered));
  r.add(rec("", Outcome::Kind::Delivered));
  const std::string text = report_text(r, 10);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_NE(text.find("(no domain)"), std::string::npos);
  EXPECT_NE(text.find(std::string(45, 'a') + "..."), std::string::npos);
  for (const std::string& line : {text.substr(0, text.find('\n'))}) EXPECT_LT(line.size(), 200u);
  const std::string json = dump_json(report_json(r, 10));
  EXPECT_EQ(json.find('\x1b'), std::string::npos);
  EXPECT_TRUE(nlohmann::json::accept(json));
}

TEST(ParseSince, DurationsAndDates) {
  const int64_t now = kT + 3600;
  EXPECT_EQ(parse_since("90s", now).value(), now - 90);
  EXPECT_EQ(parse_since("30m", now).value(), now - 1800);
  EXPECT_EQ(parse_since("24h", now).value(), now - 86400);
  EXPECT_EQ(parse_since("7d", now).value(), now - 7 * 86400);
  EXPECT_EQ(parse_since("2w", now).value(), now - 14 * 86400);
  EXPECT_EQ(parse_since("2025-12-01", now).value(), kT);
  EXPECT_EQ(parse_since("2025-12-01T00:30", now).value(), kT + 1800);
  EXPECT_EQ(parse_since("2025-12-01 00:30:05Z", now).value(), kT + 1805);
  EXPECT_EQ(parse_since("2025-11-30T23:59:59", now).value(), kT - 1);
  for (const char* bad : {"", "h", "5", "5y", "-5h", "1.5h", "99999999999d", "2025-12-1",
                          "2025-13-01", "2025-02-30", "2025-12-01T24:00", "2025-12-01T00:00:00:00",
                          "2025-12-01X00:00", "1969-12-31", "2025-12-02", "yesterday"})
    EXPECT_FALSE(parse_since(bad, now).ok()) << bad;
}

}  // namespace
}  // namespace mail::ctl
