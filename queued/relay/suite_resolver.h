// The relay's Resolver (resolver.h) on the suite's shared resolver (common/dns/resolver.h,
// libunbound, the [dns] section): MX lookups as they are, and a host's addresses as its
// AAAA and A records asked in parallel (IPv6 first). A status the suite calls temporary
// (SERVFAIL, timeout, an answer failing DNSSEC validation) is TempFail here.
#pragma once

#include "common/dns/resolver.h"
#include "queued/relay/resolver.h"

namespace mail::relay {

class SuiteResolver final : public Resolver {
 public:
  explicit SuiteResolver(dns::Resolver& resolver) : resolver_(resolver) {}
  net::awaitable<MxAnswer> mx(const std::string& domain) override;
  net::awaitable<AddressAnswer> addresses(const std::string& host) override;

 private:
  dns::Resolver& resolver_;
};

}  // namespace mail::relay
