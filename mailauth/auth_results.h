// Authentication-Results header fields (RFC 8601): the writer for the one we add, and a
// parser for the ones that arrive (to remove those claiming our authserv-id, section 5)
// and for queued's local agent, which reads our DMARC disposition back. Pure; every input
// of the writer may come from the network (envelope addresses, HELO names, DNS data):
// values are quoted when they are not tokens, control characters are dropped, comments
// escaped, and the field is folded so that no line exceeds 998 octets (RFC 5322 2.1.1).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mail::mailauth {

// ptype.property=value, e.g. smtp.mailfrom=alice@example.org, header.d=example.org.
struct Property {
  std::string ptype;
  std::string property;
  std::string value;
  bool operator==(const Property&) const = default;
};

// One resinfo: method=result [reason="..."] [(comment)] properties.
struct ResultInfo {
  std::string method;   // "spf", "dkim", "dmarc", ... (a Keyword: letters, digits, '-')
  std::string result;   // "pass", "fail", ...
  std::string reason;   // written as reason="..." when not empty
  std::string comment;  // written as (...) after the result when not empty; not parsed back
  std::vector<Property> properties;
  bool operator==(const ResultInfo& o) const {
    return method == o.method && result == o.result && reason == o.reason &&
           properties == o.properties;
  }
};

struct AuthResults {
  std::string authserv_id;
  std::vector<ResultInfo> results;  // empty: "none"
  bool operator==(const AuthResults&) const = default;
};

// Longest comment and property value written; longer ones are cut (comments) or left out
// (values), so that every line stays within RFC 5322's 998 octets.
inline constexpr size_t kMaxCommentLength = 200;
inline constexpr size_t kMaxValueLength = 512;

// "Authentication-Results: <id>;\r\n\t<resinfo>;\r\n\t...\r\n" (the whole field, CRLF at the
// end). Results with a method or result that is not a Keyword, and properties whose ptype
// or property is not, are left out.
std::string write_auth_results(const AuthResults& results);

// The field value (everything after "Authentication-Results:", folding allowed), or
// nullopt when it does not follow RFC 8601's grammar. Comments are skipped.
std::optional<AuthResults> parse_auth_results(std::string_view value);

// Only the authserv-id at the start of the value (what section 5 compares), even when the
// rest is malformed; nullopt when there is none.
std::optional<std::string> authserv_id_of(std::string_view value);

// What the writer makes of a value: control characters dropped (the parser returns this).
std::string sanitized_value(std::string_view value);

}  // namespace mail::mailauth
