#include "queued/relay/targets.h"

#include <algorithm>
#include <cctype>

namespace mail::relay {
namespace {

std::string normalise_host(std::string host) {
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!host.empty() && host.back() == '.') host.pop_back();
  return host;
}

smtp::Reply reply(int code, const char* enhanced, std::string text) {
  return smtp::Reply(code, enhanced, std::move(text));
}

}  // namespace

MxPlan plan_mx(std::vector<MxRecord> records, const std::vector<std::string>& local_names,
               size_t max_hosts, std::mt19937_64& rng) {
  MxPlan plan;
  for (auto& r : records) r.host = normalise_host(std::move(r.host));
  // RFC 7505 3: a null MX is a single record with the root as its exchange. Null records
  // beside real ones are a misconfiguration; the real ones are used.
  const bool all_null =
      !records.empty() &&
      std::all_of(records.begin(), records.end(), [](const MxRecord& r) { return r.host.empty(); });
  if (all_null) {
    plan.kind = MxPlan::Kind::NullMx;
    return plan;
  }
  std::erase_if(records, [](const MxRecord& r) { return r.host.empty(); });
  // RFC 5321 5.1: lowest preference first, random order among equal preferences.
  std::shuffle(records.begin(), records.end(), rng);
  std::stable_sort(records.begin(), records.end(), [](const MxRecord& a, const MxRecord& b) {
    return a.preference < b.preference;
  });
  // RFC 5321 5.1: if we are one of the MX hosts, only better ones may be tried.
  for (const auto& r : records) {
    if (std::find(local_names.begin(), local_names.end(), r.host) != local_names.end()) {
      const uint16_t ours = r.preference;
      std::erase_if(records, [ours](const MxRecord& x) { return x.preference >= ours; });
      if (records.empty()) {
        plan.kind = MxPlan::Kind::Loop;
        return plan;
      }
      break;
    }
  }
  for (const auto& r : records) {
    if (plan.hosts.size() >= max_hosts) break;
    if (std::find(plan.hosts.begin(), plan.hosts.end(), r.host) == plan.hosts.end())
      plan.hosts.push_back(r.host);
  }
  return plan;
}

net::awaitable<TargetPlan> find_targets(Resolver& resolver, const NextHop& hop,
                                        const TargetLimits& limits, std::mt19937_64& rng) {
  TargetPlan plan;
  plan.dnssec = true;
  const auto fail = [&plan](smtp::Reply r, bool permanent) {
    plan.failure = std::move(r);
    plan.permanent = permanent;
    plan.dnssec = false;
  };
  const auto usable = [&limits](const net::asio::ip::address& a) {
    return a.is_v4() ? limits.ipv4 : limits.ipv6;
  };

  if (!hop.use_mx) {
    boost::system::error_code ec;
    const auto literal = net::asio::ip::make_address(hop.host, ec);
    if (!ec) {
      plan.dnssec = false;
      if (usable(literal)) {
        plan.targets.push_back(Target{hop.host, literal, hop.port});
      } else {
        fail(reply(451, "4.4.4", "no usable address for " + hop.host + " (relay.address_families)"),
             false);
      }
      co_return plan;
    }
    // A configured relay host that does not resolve is our problem, not the sender's:
    // the mail waits (temporary) until the configuration or the DNS is fixed.
    AddressAnswer a = co_await resolver.addresses(hop.host);
    if (a.status != DnsStatus::Ok) {
      const std::string why =
          a.status == DnsStatus::TempFail ? a.error : std::string("host not found");
      fail(reply(451, "4.4.4", "lookup of relay host " + hop.host + " failed: " + why), false);
      co_return plan;
    }
    plan.dnssec = a.secure;
    for (const auto& addr : a.addresses) {
      if (usable(addr) && plan.targets.size() < limits.max_addresses)
        plan.targets.push_back(Target{hop.host, addr, hop.port});
    }
    if (plan.targets.empty())
      fail(reply(451, "4.4.4", "no usable address for " + hop.host + " (relay.address_families)"),
           false);
    co_return plan;
  }

  MxAnswer mx = co_await resolver.mx(hop.domain);
  std::vector<std::string> hosts;
  switch (mx.status) {
    case DnsStatus::TempFail:
      fail(reply(451, "4.4.3", "MX lookup for " + hop.domain + " failed: " + mx.error), false);
      co_return plan;
    case DnsStatus::NxDomain:
      fail(reply(550, "5.1.2", "domain " + hop.domain + " does not exist (DNS: NXDOMAIN)"), true);
      co_return plan;
    case DnsStatus::NoData:
      hosts.push_back(hop.domain);  // RFC 5321 5.1: the domain itself is the implicit MX
      break;
    case DnsStatus::Ok: {
      plan.dnssec = mx.secure;
      MxPlan p = plan_mx(std::move(mx.records), limits.local_names, limits.max_mx_hosts, rng);
      if (p.kind == MxPlan::Kind::NullMx) {
        fail(reply(556, "5.1.10",
                   "domain " + hop.domain + " does not accept mail (null MX, RFC 7505)"),
             true);
        co_return plan;
      }
      if (p.kind == MxPlan::Kind::Loop) {
        fail(reply(554, "5.4.6", "mail for " + hop.domain + " loops back to myself (MX)"), true);
        co_return plan;
      }
      hosts = std::move(p.hosts);
      break;
    }
  }

  bool temporary = false;
  std::string last_error;
  for (const auto& host : hosts) {
    if (plan.targets.size() >= limits.max_addresses) break;
    AddressAnswer a = co_await resolver.addresses(host);
    if (a.status == DnsStatus::TempFail) {
      temporary = true;
      last_error = "lookup of " + host + " failed: " + a.error;
      continue;
    }
    if (a.status != DnsStatus::Ok) {
      last_error = "MX host " + host + " has no address";
      continue;
    }
    plan.dnssec = plan.dnssec && a.secure;
    for (const auto& addr : a.addresses) {
      if (usable(addr) && plan.targets.size() < limits.max_addresses)
        plan.targets.push_back(Target{host, addr, hop.port});
    }
  }
  if (plan.targets.empty()) {
    if (temporary) {
      fail(reply(451, "4.4.3", last_error), false);
    } else if (mx.status == DnsStatus::NoData) {
      fail(reply(550, "5.4.4", "domain " + hop.domain + " has no MX and no address"), true);
    } else {
      fail(reply(550, "5.4.4", "no MX host of " + hop.domain + " has a usable address"), true);
    }
  }
  co_return plan;
}

}  // namespace mail::relay
