// mailctl dns DOMAIN [--check] (also "mailctl dns records DOMAIN"): every record a mail
// domain served by this host needs, in zone-file syntax, ready to paste; with --check, each
// record looked up through the [dns] resolver and compared with what is published
// (ctl/dns_records.h decides; this file only asks the resolver). Exit status 1 unless every
// record is published as printed, so that a script or a monitor can run it.
#include <ctime>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "common/ascii.h"
#include "common/dns/resolver.h"
#include "ctl/commands.h"
#include "ctl/dns_records.h"
#include "mailauth/dkim_keys.h"

namespace mail::ctl {
namespace {

namespace asio = net::asio;

template <typename T>
Published published_of(const dns::Answer<T>& answer) {
  Published p;
  p.status = answer.status;
  p.bogus = answer.security == dns::Security::Bogus;
  p.detail = answer.detail;
  return p;
}

// One record's lookup. Runs on its own thread (the *_sync forms block only the caller).
Published look_up(dns::Resolver& resolver, const DnsRecord& record) {
  if (record.kind == RecordKind::Mx) {
    auto answer = resolver.mx_sync(record.name);
    Published p = published_of(answer);
    p.mx = std::move(answer.records);
    return p;
  }
  // TXT comes back with each record's character-strings joined (dns::parse_txt, RFC 6376
  // 3.6.2.2): an RSA key split into 255-octet strings compares as one value.
  auto answer = record.kind == RecordKind::Srv ? resolver.rdata_sync(record.name, record.rrtype())
                                               : resolver.txt_sync(record.name);
  Published p = published_of(answer);
  p.data = std::move(answer.records);
  return p;
}

// The resolver with its event loop on a thread of its own, for the *_sync lookups; stopped
// and destroyed in the order resolver.h requires.
class ResolverThread {
 public:
  Result<void> start(const DnsConfig& config) {
    auto r = dns::Resolver::create(loop_, config);
    if (!r) return r.error();
    resolver_ = std::move(r).value();
    thread_ = std::thread([this] { loop_.run(); });
    return {};
  }
  ~ResolverThread() {
    guard_.reset();
    loop_.stop();
    if (thread_.joinable()) thread_.join();
    resolver_.reset();  // with its loop stopped
  }
  dns::Resolver& resolver() { return *resolver_; }

 private:
  asio::io_context loop_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_{
      loop_.get_executor()};
  std::unique_ptr<dns::Resolver> resolver_;
  std::thread thread_;
};

Result<void> check_published(const Invocation& inv, const std::string& domain,
                             const std::vector<DnsRecord>& records) {
  ResolverThread dns;
  if (auto started = dns.start(inv.config.dns); !started) return started.error();
  // All lookups at once: an unreachable resolver costs one dns.timeout, not one per record.
  std::vector<std::future<Published>> lookups;
  for (const DnsRecord& r : records)
    lookups.push_back(
        std::async(std::launch::async, [&dns, &r] { return look_up(dns.resolver(), r); }));
  int counts[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < records.size(); ++i) {
    CheckResult result = check_record(records[i], lookups[i].get());
    ++counts[static_cast<int>(result.state)];
    std::cout << check_line(records[i], result) << "\n";
  }
  const int ok = counts[static_cast<int>(CheckState::Ok)];
  const int missing = counts[static_cast<int>(CheckState::Missing)];
  const int different = counts[static_cast<int>(CheckState::Different)];
  const int unknown = counts[static_cast<int>(CheckState::Unknown)];
  std::cout << "; " << domain << ": " << ok << " ok, " << missing << " missing, " << different
            << " different, " << unknown << " unknown\n";
  if (missing + different + unknown == 0) return {};
  return make_error(ErrorKind::Invalid, "dns check of " + domain + ": " + std::to_string(missing) +
                                            " missing, " + std::to_string(different) +
                                            " different, " + std::to_string(unknown) +
                                            " not checked (resolver failure)");
}

}  // namespace

Result<void> dns_records(const Invocation& inv) {
  const std::string domain = ascii::lower(inv.operands[0]);
  if (!mailauth::valid_key_domain(domain))
    return make_error(ErrorKind::Invalid, "bad domain name " + inv.operands[0]);
  const std::string host = ascii::lower(inv.config.server.hostname);
  auto keys = mailauth::DkimKeyStore(inv.config.dkim_dir()).keys_of(domain);
  if (!keys) return keys.error();
  std::vector<DkimPublication> dkim;
  for (const auto& k : *keys) dkim.push_back({k.selector, k.dns_record()});
  // The MTA-STS policy id (RFC 8461 3.1): a new one whenever the records are printed; the
  // check accepts any valid id.
  auto records = domain_records(domain, host, dkim, std::to_string(std::time(nullptr)));
  if (inv.has("check")) return check_published(inv, domain, records);
  std::cout << "; records for " << domain << " (mail host " << host << ")\n";
  if (keys->empty()) std::cout << "; no DKIM key yet: mailctl dkim generate " << domain << "\n";
  for (const DnsRecord& r : records) std::cout << zone_line(r) << "\n";
  return {};
}

}  // namespace mail::ctl
