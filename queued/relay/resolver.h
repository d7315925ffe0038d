// The DNS questions the relay asks: the MX records of a domain and the addresses (A and
// AAAA) of a host. An interface so that routing is tested with a fake; suite_resolver.h
// answers it with the suite's resolver (common/dns, libunbound, the [dns] section).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/net/asio.h"

namespace mail::relay {

enum class DnsStatus : uint8_t {
  Ok,        // records found
  NoData,    // the name exists but has no record of this type
  NxDomain,  // the name does not exist
  TempFail,  // SERVFAIL, timeout, network trouble: try again later
};

struct MxRecord {
  uint16_t preference = 0;
  std::string host;  // without the trailing dot; "" for the null MX "." (RFC 7505)
  bool operator==(const MxRecord&) const = default;
};

struct MxAnswer {
  DnsStatus status = DnsStatus::TempFail;
  std::vector<MxRecord> records;
  bool secure = false;  // DNSSEC-validated (for DANE later)
  std::string error;    // why, for TempFail
};

struct AddressAnswer {
  DnsStatus status = DnsStatus::TempFail;
  std::vector<net::asio::ip::address> addresses;  // AAAA first, then A, as answered
  bool secure = false;
  std::string error;
};

class Resolver {
 public:
  virtual ~Resolver() = default;
  // Never throws; every failure is a status. Runs on the caller's executor.
  virtual net::awaitable<MxAnswer> mx(const std::string& domain) = 0;
  virtual net::awaitable<AddressAnswer> addresses(const std::string& host) = 0;
};

}  // namespace mail::relay
