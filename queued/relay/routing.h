// Where a remote recipient's mail goes next, decided from the [relay] configuration alone
// (no DNS here; targets.h resolves a next hop into addresses). In Postfix's order:
//   1. the transport table, by recipient domain ("example.net", or ".example.net" for its
//      subdomains): a fixed host:port;
//   2. a sender-dependent route (sender address, then sender domain) with a relayhost;
//   3. the smarthost, when one is configured;
//   4. otherwise the MX records of the recipient domain (RFC 5321 5.1).
// A sender-dependent route may also (or only) name the source address to send from, as
// Postfix's sender_dependent_default_transport_maps with smtp_bind_address do for senders
// with a dedicated IP; it applies whichever of 1-4 chose the host.
//
// The TLS policy comes from relay.tls_policies (the next hop's host, then the recipient
// domain and its parents) or relay.tls_policy; a route with AUTH always needs TLS.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/config.h"
#include "common/result.h"

namespace mail::relay {

enum class TlsPolicy : uint8_t {
  None,     // never STARTTLS
  May,      // STARTTLS whenever offered, plaintext otherwise (opportunistic)
  Encrypt,  // STARTTLS required, any certificate
  Verify,   // STARTTLS required, the certificate must verify and name the host
};
TlsPolicy parse_tls_policy(std::string_view name);  // REQUIRES: a name the config accepted
const char* tls_policy_name(TlsPolicy policy);

struct Credentials {
  std::string user;
  std::string password;
};

struct NextHop {
  std::string domain;  // the recipient domain: destination limits, MX lookup
  bool use_mx = true;  // look up the MX of `domain`; false: connect to `host` itself
  std::string host;    // !use_mx: a host name or an IP address literal
  uint16_t port = 25;
  TlsPolicy tls = TlsPolicy::May;
  std::shared_ptr<const Credentials> auth;  // AUTH PLAIN/LOGIN after STARTTLS
  std::string source4;                      // IPv4 address to bind, or ""
  std::string source6;                      // IPv6 address to bind, or ""
  std::string via;                          // "mx", "transport", "sender_route", "smarthost" (logs)

  // The batch key: messages with equal keys can share one connection.
  std::string key() const;
};

// The domain of an address ("b@Example.NET" -> "example.net"); "" without '@'.
std::string address_domain(std::string_view address);

class Routes {
 public:
  // Reads the password files named in the config. The error names the file.
  static Result<Routes> from_config(const Config& config);

  NextHop next_hop(std::string_view sender, std::string_view recipient) const;

 private:
  struct Relayhost {
    std::string host;
    uint16_t port = 25;
    std::shared_ptr<const Credentials> auth;
  };
  struct SenderEntry {
    std::optional<Relayhost> relayhost;
    std::string source_address;
  };

  TlsPolicy policy_for(const NextHop& hop) const;

  uint16_t smtp_port_ = 25;
  TlsPolicy default_tls_ = TlsPolicy::May;
  std::map<std::string, TlsPolicy> tls_policies_;
  std::map<std::string, Relayhost> transport_;
  std::map<std::string, SenderEntry> senders_;
  std::optional<Relayhost> smarthost_;
  std::string source4_, source6_;
};

// "host:port" or "[host]:port" as the config accepts it.
Result<std::pair<std::string, uint16_t>> split_host_port(std::string_view text);

}  // namespace mail::relay
