#include "common/net/http_request.h"

#include <gtest/gtest.h>

namespace mail::net {
namespace {

struct Case {
  const char* input;
  HttpParseStatus status;
  const char* method;
  const char* target;
};

TEST(HttpRequestTest, RequestHeads) {
  const Case cases[] = {
      {"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", HttpParseStatus::Complete, "GET", "/metrics"},
      {"GET /metrics HTTP/1.0\r\n\r\n", HttpParseStatus::Complete, "GET", "/metrics"},
      {"HEAD /metrics?a=b HTTP/1.1\n\n", HttpParseStatus::Complete, "HEAD", "/metrics?a=b"},
      {"GET /metrics HTTP/1.1\r\nHost: x\r\n", HttpParseStatus::NeedMore, "", ""},
      {"GET /metrics", HttpParseStatus::NeedMore, "", ""},
      {"", HttpParseStatus::NeedMore, "", ""},
      {"GET  /metrics HTTP/1.1\r\n\r\n", HttpParseStatus::Bad, "", ""},
      {"GET /metrics HTTP/2.0\r\n\r\n", HttpParseStatus::Bad, "", ""},
      {"GET /metrics\r\n\r\n", HttpParseStatus::Bad, "", ""},
      {"G(T /metrics HTTP/1.1\r\n\r\n", HttpParseStatus::Bad, "", ""},
      {"GET /me\x01trics HTTP/1.1\r\n\r\n", HttpParseStatus::Bad, "", ""},
      {"\r\n\r\n", HttpParseStatus::Bad, "", ""},
  };
  for (const Case& c : cases) {
    auto r = parse_http_request_head(c.input, 8192);
    EXPECT_EQ(r.status, c.status) << c.input;
    if (c.status == HttpParseStatus::Complete) {
      EXPECT_EQ(r.head.method, c.method);
      EXPECT_EQ(r.head.target, c.target);
    }
  }
}

TEST(HttpRequestTest, HeadAtTheLimit) {
  std::string head = "GET /metrics HTTP/1.1\r\nX: ";
  head += std::string(100 - head.size() - 4, 'a');
  head += "\r\n\r\n";
  ASSERT_EQ(head.size(), 100u);
  EXPECT_EQ(parse_http_request_head(head, 100).status, HttpParseStatus::Complete);
  EXPECT_EQ(parse_http_request_head(head, 95).status, HttpParseStatus::TooLarge);
  // No end in sight and the limit reached: too large, not "need more".
  EXPECT_EQ(parse_http_request_head(std::string(100, 'a'), 100).status, HttpParseStatus::TooLarge);
  EXPECT_EQ(parse_http_request_head(std::string(99, 'a'), 100).status, HttpParseStatus::NeedMore);
}

TEST(HttpRequestTest, TargetPath) {
  EXPECT_EQ(http_target_path("/metrics?x=1"), "/metrics");
  EXPECT_EQ(http_target_path("/metrics"), "/metrics");
}

}  // namespace
}  // namespace mail::net
