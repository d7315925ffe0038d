// Tests for mailctl's queue formatting: hostile envelope text is masked in text output
// and escaped (invalid UTF-8 replaced) in JSON; ages, sizes and the header section.
#include "ctl/queue_format.h"

#include <gtest/gtest.h>

namespace mail::ctl {
namespace {

queue::Envelope hostile() {
  queue::Envelope e;
  e.id = "ID1";
  e.sender = "a\x1b[31m@evil.test";
  e.arrival = 1000;
  e.size = 2048;
  e.held = true;
  queue::Recipient r;
  r.address = "b@example.test";
  r.attempts = 2;
  r.last_reply = "451 4.4.1 \xff\xfe bad\r\nX-Injected: yes";
  r.state = queue::Recipient::State::Pending;
  r.next_attempt = 1300;
  r.bounce_class = queue::BounceClass::Soft;
  r.dsn_notify = queue::kNotifyFailure | queue::kNotifyDelay;
  e.recipients.push_back(r);
  return e;
}

TEST(QueueFormat, TextMasksControlBytes) {
  std::string line = list_line(hostile(), 1045);
  EXPECT_EQ(line,
            "ID1 45s 2.0K [held] <a?[31m@evil.test> -> b@example.test (pending, 2 attempts, "
            "\"451 4.4.1 \xff\xfe bad??X-Injected: yes\")");
  std::string shown = show_text(hostile(), "Subject: hi\r\nX-Evil: \x07\r\n", 1045);
  EXPECT_NE(shown.find("  Subject: hi\n  X-Evil: ?\n"), std::string::npos) << shown;
  EXPECT_NE(shown.find("  notify: FAILURE,DELAY\n"), std::string::npos) << shown;
  EXPECT_NE(shown.find("  class: soft\n"), std::string::npos) << shown;
  EXPECT_EQ(shown.find('\x1b'), std::string::npos);
}

TEST(QueueFormat, JsonEscapesAndReplacesInvalidUtf8) {
  std::string out = dump_json(envelope_json(hostile(), 1045));
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
  EXPECT_NE(out.find("\\u001b[31m"), std::string::npos) << out;
  EXPECT_NE(out.find("\\r\\nX-Injected"), std::string::npos) << out;
  EXPECT_NE(out.find("\xef\xbf\xbd"), std::string::npos) << out;  // U+FFFD for \xff
  auto back = nlohmann::json::parse(out);
  EXPECT_EQ(back["recipients"][0]["state"], "pending");
  EXPECT_EQ(back["recipients"][0]["next_attempt"], 1300);
  EXPECT_EQ(back["age"], 45);
  EXPECT_EQ(back["held"], true);
}

TEST(QueueFormat, AgesSizesAndHeaders) {
  EXPECT_EQ(format_age(-5), "0s");
  EXPECT_EQ(format_age(59), "59s");
  EXPECT_EQ(format_age(3599), "59m");
  EXPECT_EQ(format_age(3 * 3600 + 4 * 60), "3h04m");
  EXPECT_EQ(format_age(2 * 86400 + 5 * 3600), "2d05h");
  EXPECT_EQ(format_size(812), "812B");
  EXPECT_EQ(format_size(3 * 1024 * 1024 + 400 * 1024), "3.4M");
  EXPECT_EQ(format_time(0), "-");
  EXPECT_EQ(format_time(86400), "1970-01-02 00:00:00Z");
  EXPECT_EQ(header_section("A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore"), "A: 1\r\nB: 2");
  EXPECT_EQ(header_section("A: 1\nB: 2\n\nbody"), "A: 1\nB: 2");
  EXPECT_EQ(header_section("no body"), "no body");
}

}  // namespace
}  // namespace mail::ctl
