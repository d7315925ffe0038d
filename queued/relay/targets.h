// From a next hop to the addresses to try, in order (RFC 5321 5.1):
//   - MX records sorted by preference, in random order among equal preferences;
//   - MX hosts naming this host, and every MX at the same or a worse preference, dropped
//     (else mail loops back to us); none left is a permanent error (5.4.6);
//   - no MX records: the domain's own A/AAAA records as an implicit MX;
//   - a null MX (RFC 7505: one MX record "." ) fails at once with 556 5.1.10;
//   - a domain that does not exist fails permanently; a DNS failure is temporary.
// plan_mx() is pure; find_targets() asks the Resolver.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/net/asio.h"
#include "queued/relay/resolver.h"
#include "queued/relay/routing.h"
#include "smtpd/protocol/reply.h"

namespace mail::relay {

struct MxPlan {
  enum class Kind { Hosts, NullMx, Loop };
  Kind kind = Kind::Hosts;
  std::vector<std::string> hosts;  // in the order to try
};

// `local_names`: our own host names (lower case). At most `max_hosts` hosts.
MxPlan plan_mx(std::vector<MxRecord> records, const std::vector<std::string>& local_names,
               size_t max_hosts, std::mt19937_64& rng);

struct Target {
  std::string host;  // the name to verify a certificate against and to log ("" for a literal)
  net::asio::ip::address address;
  uint16_t port = 25;
};

struct TargetLimits {
  size_t max_mx_hosts = 5;
  size_t max_addresses = 10;
  bool ipv4 = true;
  bool ipv6 = true;
  std::vector<std::string> local_names;  // see plan_mx
};

struct TargetPlan {
  std::vector<Target> targets;
  // When no target was found: the reply that every recipient gets, and whether it is a
  // permanent failure (else retried later).
  std::optional<smtp::Reply> failure;
  bool permanent = false;
  bool dnssec = false;  // every answer used was DNSSEC-validated
};

net::awaitable<TargetPlan> find_targets(Resolver& resolver, const NextHop& hop,
                                        const TargetLimits& limits, std::mt19937_64& rng);

}  // namespace mail::relay
