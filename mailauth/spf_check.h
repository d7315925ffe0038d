// SPF (RFC 7208) with libspf2, its DNS lookups answered by our resolver.
//
// libspf2 evaluates a record by calling a DNS "layer" (SPF_dns_server_t) synchronously, one
// lookup after another, and offers no way to suspend and resume an evaluation. So the check
// runs on a worker thread of the mail authentication pool (mailauth.threads; never on an
// event loop), and our layer answers each lookup with dns::Resolver's *_sync forms: the
// query itself runs on the resolver's event loop (libunbound), only the worker thread
// waits. Every lookup after the check's deadline fails at once as temporary, so a record
// that leads through slow servers ends in temperror within mailauth.timeout. The SPF RR
// type (99, obsolete since RFC 7208 3.1) is answered "no data" without a query, so one TXT
// lookup finds a record.
//
// libspf2's "free ride" for 127.0.0.0/8 and ::1 (always pass) is not used: RFC 7208 has no
// such rule, and a relay on our own host should submit with AUTH.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/dns/resolver.h"
#include "mailauth/results.h"

namespace mail::mailauth {

class SpfChecker {
 public:
  // `receiver`: our host name, for the %{r} macro (RFC 7208 7.3).
  SpfChecker(dns::Resolver& resolver, std::string receiver);

  // Blocking: call on a worker thread. `mail_from` is the reverse-path without brackets,
  // "" for the null sender, whose HELO identity is checked instead (RFC 7208 2.4).
  SpfOutcome check(std::string_view client_ip, std::string_view helo, std::string_view mail_from,
                   std::chrono::steady_clock::time_point deadline) const;

 private:
  dns::Resolver& resolver_;
  const std::string receiver_;
};

// True for a name RFC 7208 4.3 can check: at least two labels, each 1-63 octets of
// letters, digits, '-' and '_', 253 octets at most. SPF of anything else is "none".
bool spf_checkable_domain(std::string_view domain);

}  // namespace mail::mailauth
