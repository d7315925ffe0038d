// The DNS records a mail domain served by this host needs (`mailctl dns DOMAIN`), and the
// comparison of each with what the resolver finds published (`mailctl dns DOMAIN --check`).
// Pure: no sockets, no resolver; ctl/commands_dns.cpp does the lookups and dns_records_test
// the comparisons. What is compared is what the record means, not its bytes: SPF terms in
// order (RFC 7208 4.6), tag lists (DKIM RFC 6376 3.6.1, DMARC RFC 7489 6.3, TLS-RPT RFC 8460
// 3, MTA-STS RFC 8461 3.1) by tag with their defaults, MX and SRV as sets of records.
// Published data is untrusted text from the network.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/dns/rdata.h"

namespace mail::ctl {

enum class RecordKind { Mx, Spf, Dkim, Dmarc, MtaSts, TlsRpt, Srv };

// RFC 2782: one SRV record's data.
struct SrvRecord {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  std::string target;  // presentation form without the final dot; "" is "." (RFC 2782: none)
  bool operator==(const SrvRecord&) const = default;
};

// SRV RDATA (RFC 2782) as the resolver gives it: three 16-bit numbers and an uncompressed
// name. nullopt when malformed.
std::optional<SrvRecord> parse_srv(std::string_view rdata);

// One record to publish.
struct DnsRecord {
  RecordKind kind = RecordKind::Mx;
  std::string name;  // owner name without the final dot
  dns::MxRecord mx;  // kind Mx
  SrvRecord srv;     // kind Srv
  std::string text;  // the TXT kinds: the value (one string; zone_line splits it)

  uint16_t rrtype() const;   // 15 MX, 16 TXT, 33 SRV
  const char* type() const;  // "MX", "TXT", "SRV"
};

// What the domain needs: MX to `host` (server.hostname), SPF, one DKIM record per key
// (selector, record text as DkimKey::dns_record() makes it), DMARC and TLS-RPT reporting to
// postmaster@domain, MTA-STS with the policy id `sts_id`, and the RFC 6186 / RFC 8314 SRV
// records. `domain` and `host` lower-case, without the final dot.
struct DkimPublication {
  std::string selector;
  std::string record;
};
std::vector<DnsRecord> domain_records(const std::string& domain, const std::string& host,
                                      const std::vector<DkimPublication>& dkim,
                                      const std::string& sts_id);

// The record in zone-file syntax, ready to paste ("name. 3600 IN TYPE data"); TXT values
// longer than 255 octets are split into several character-strings (RFC 1035 3.3.14).
std::string zone_line(const DnsRecord& record);

// What the resolver answered for the record's name and type.
struct Published {
  dns::Status status = dns::Status::Error;
  bool bogus = false;             // failed DNSSEC validation
  std::vector<dns::MxRecord> mx;  // MX
  std::vector<std::string> data;  // TXT: each record's strings joined; SRV: each RDATA
  std::string detail;             // the resolver's reason for a failure
};

enum class CheckState { Ok, Missing, Different, Unknown };
const char* check_state_name(CheckState state);  // "OK", "MISSING", "DIFFERENT", "UNKNOWN"

struct CheckResult {
  CheckState state = CheckState::Unknown;
  std::string published;  // what is published (presentation form, records joined by " | ")
  std::string reason;     // why it is not OK ("p= is not our key", "nxdomain", ...)
};

CheckResult check_record(const DnsRecord& want, const Published& got);

// One line for the administrator and for scripts: "STATE name. TYPE: detail", STATE padded
// to 9 columns. OK shows what is published; MISSING what to publish; DIFFERENT the reason
// and what is published; UNKNOWN the resolver's failure.
std::string check_line(const DnsRecord& want, const CheckResult& result);

}  // namespace mail::ctl
