// The head of an HTTP/1.x request (RFC 9112 section 2 and 3): what the metrics endpoint
// needs from a scraper, the method and the target. Pure function over untrusted bytes,
// no sockets: unit tests and the metrics_http fuzz target call it directly.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mail::net {

struct HttpRequestHead {
  std::string method;  // "GET", as sent (methods are case-sensitive, RFC 9110 9.1)
  std::string target;  // "/metrics", "/metrics?x=1"
};

enum class HttpParseStatus {
  NeedMore,  // no empty line yet, and fewer than max_size octets
  Complete,  // the head ended (CRLF CRLF, or LF LF as RFC 9112 2.2 lets a server accept)
  Bad,       // not an HTTP/1.x request line
  TooLarge,  // max_size octets without the end of the head
};

struct HttpParseResult {
  HttpParseStatus status = HttpParseStatus::NeedMore;
  HttpRequestHead head;  // Complete only
};

// Looks at the first octets received. Header fields are skipped (a scrape needs none).
HttpParseResult parse_http_request_head(std::string_view received, size_t max_size);

// "/metrics?name[]=x" -> "/metrics".
std::string_view http_target_path(std::string_view target);

}  // namespace mail::net
