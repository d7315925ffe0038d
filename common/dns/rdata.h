// Pure parsers for what the resolver returns: the record data (RDATA, RFC 1035 section
// 3.3) of MX, A, AAAA and TXT records, names in uncompressed wire format, and the mapping
// of a resolver's answer flags to a Status. No sockets, no libunbound: unit tests and the
// dns_rdata_fuzz target call them directly. Input is untrusted bytes from the network.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mail::dns {

// The outcome of one lookup. NxDomain, NoData and BadName are permanent (the name, or
// records of that type, do not exist); ServFail, Timeout and Error are temporary.
enum class Status : uint8_t {
  Ok,        // records of the type asked for
  NoData,    // the name exists, no records of this type (RFC 2308 NODATA)
  NxDomain,  // the name does not exist (RCODE 3)
  ServFail,  // the server failed or refused (RCODE 2, 5, ...)
  Timeout,   // no answer within dns.timeout
  Error,     // the resolver failed (network, malformed answer, out of memory)
  BadName,   // the name asked for is not a valid domain name
};
// DNSSEC (RFC 4033): Secure answers validated up to a trust anchor; Bogus ones failed
// validation (treat as temporary); Insecure ones were not signed or not validated.
enum class Security : uint8_t { Insecure, Secure, Bogus };

const char* status_name(Status status);
const char* security_name(Security security);
bool is_temporary(Status status);

// What the resolver library reported, before the records are parsed.
struct AnswerFlags {
  bool timeout = false;       // no answer within the configured time
  int error = 0;              // the library's error code (0 none)
  bool syntax_error = false;  // the library refused the name
  int rcode = 0;
  bool havedata = false;
  bool nxdomain = false;
  bool secure = false;
  bool bogus = false;
};
Status classify(const AnswerFlags& flags);
Security security_of(const AnswerFlags& flags);

struct MxRecord {
  uint16_t preference = 0;
  std::string host;  // presentation form without the final dot; "" is the root (null MX)
  // RFC 7505: "0 ." says the domain accepts no mail.
  bool null() const { return host.empty(); }
  bool operator==(const MxRecord&) const = default;
};

// A name in uncompressed wire format that fills `wire` exactly, as presentation text
// without the final dot ("" for the root). Bytes other than letters, digits, '-' and '_'
// are written as \DDD (RFC 1035 5.1). nullopt when malformed.
std::optional<std::string> parse_name(std::string_view wire);
std::optional<MxRecord> parse_mx(std::string_view rdata);
std::optional<std::array<uint8_t, 4>> parse_a(std::string_view rdata);
std::optional<std::array<uint8_t, 16>> parse_aaaa(std::string_view rdata);
// The character-strings of one TXT record, concatenated (RFC 7208 3.3, RFC 6376 3.6.2.2).
std::optional<std::string> parse_txt(std::string_view rdata);

}  // namespace mail::dns
