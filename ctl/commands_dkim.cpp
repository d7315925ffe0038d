// mailctl dkim generate/list/show/activate/retire (DKIM signing keys, mailauth/dkim_keys.h)
// and mailctl dns DOMAIN (every record a mail domain needs, in zone-file syntax, ready to
// paste). Keys are written by DkimKeyStore (atomic renames); smtpd sees changes within a
// second, without a restart.
#include <ctime>
#include <iostream>

#include "ctl/commands.h"
#include "mailauth/dkim_keys.h"

namespace mail::ctl {

using mailauth::DkimKey;
using mailauth::DkimKeyStore;
using mailauth::KeyAlgorithm;

namespace {

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return s;
}

// A TXT record in zone-file syntax; RFC 1035 3.3.14 limits one character-string to 255
// octets, so a longer value (an RSA 2048 key) is split into several (RFC 6376 3.6.2.2
// joins them back).
std::string txt_record(const std::string& name, const std::string& value) {
  std::string out = name + ". 3600 IN TXT (";
  for (size_t i = 0; i < value.size(); i += 255) out += " \"" + value.substr(i, 255) + "\"";
  return out + " )";
}

Result<KeyAlgorithm> algorithm_option(const Invocation& inv) {
  auto it = inv.options.find("algorithm");
  if (it == inv.options.end() || it->second == "rsa") return KeyAlgorithm::Rsa;
  if (it->second == "ed25519") return KeyAlgorithm::Ed25519;
  return make_error(ErrorKind::Invalid, "--algorithm must be rsa or ed25519");
}

void print_key_line(const DkimKey& k) {
  std::cout << k.domain << "\t" << k.selector << "\t" << mailauth::key_type_name(k.algorithm)
            << "\t" << k.bits << "\t" << (k.active ? "active" : "published") << "\n";
}

}  // namespace

Result<void> dkim_generate(const Invocation& inv) {
  const std::string domain = lower(inv.operands[0]);
  auto algorithm = algorithm_option(inv);
  if (!algorithm) return algorithm.error();
  std::string selector = inv.has("selector")
                             ? inv.options.at("selector")
                             : mailauth::default_selector(*algorithm, std::time(nullptr));
  DkimKeyStore store(inv.config.dkim_dir());
  auto key = store.generate(domain, selector, *algorithm);
  if (!key) return key.error();
  // The record to publish before (or, for the first key, as soon as) it signs.
  std::cout << txt_record(key->dns_name(), key->dns_record()) << "\n";
  if (!key->active)
    std::cerr << "mailctl: " << key->selector << " does not sign yet: publish the record, then "
              << "mailctl dkim activate " << domain << " " << key->selector << "\n";
  return {};
}

Result<void> dkim_list(const Invocation& inv) {
  DkimKeyStore store(inv.config.dkim_dir());
  auto keys = inv.operands.empty() ? store.list() : store.keys_of(lower(inv.operands[0]));
  if (!keys) return keys.error();
  for (const DkimKey& k : *keys) print_key_line(k);
  return {};
}

Result<void> dkim_show(const Invocation& inv) {
  DkimKeyStore store(inv.config.dkim_dir());
  auto keys = store.keys_of(lower(inv.operands[0]));
  if (!keys) return keys.error();
  bool any = false;
  for (const DkimKey& k : *keys) {
    if (inv.has("selector") && k.selector != inv.options.at("selector")) continue;
    std::cout << txt_record(k.dns_name(), k.dns_record()) << "\n";
    any = true;
  }
  if (!any) return make_error(ErrorKind::NotFound, "no DKIM key for " + inv.operands[0]);
  return {};
}

Result<void> dkim_activate(const Invocation& inv) {
  return DkimKeyStore(inv.config.dkim_dir()).activate(lower(inv.operands[0]), inv.operands[1]);
}

Result<void> dkim_retire(const Invocation& inv) {
  return DkimKeyStore(inv.config.dkim_dir()).retire(lower(inv.operands[0]), inv.operands[1]);
}

// Every record of a mail domain served by this host (server.hostname): MX (RFC 5321 5.1),
// SPF (RFC 7208: only the MX may send), DKIM per key (RFC 6376 3.6.2), DMARC with an
// aggregate-report address (RFC 7489 6.3), MTA-STS (RFC 8461 3.1) and TLS-RPT (RFC 8460 3),
// and SRV records for client autoconfiguration (RFC 6186 3, RFC 8314 5.1).
Result<void> dns_records(const Invocation& inv) {
  const std::string domain = lower(inv.operands[0]);
  if (!mailauth::valid_key_domain(domain))
    return make_error(ErrorKind::Invalid, "bad domain name " + inv.operands[0]);
  const std::string host = lower(inv.config.server.hostname);
  DkimKeyStore store(inv.config.dkim_dir());
  auto keys = store.keys_of(domain);
  if (!keys) return keys.error();
  std::cout << "; records for " << domain << " (mail host " << host << ")\n";
  std::cout << domain << ". 3600 IN MX 10 " << host << ".\n";
  std::cout << txt_record(domain, "v=spf1 mx -all") << "\n";
  for (const DkimKey& k : *keys) std::cout << txt_record(k.dns_name(), k.dns_record()) << "\n";
  if (keys->empty()) std::cout << "; no DKIM key yet: mailctl dkim generate " << domain << "\n";
  std::cout << txt_record(
                   "_dmarc." + domain,
                   "v=DMARC1; p=quarantine; adkim=r; aspf=r; rua=mailto:postmaster@" + domain)
            << "\n";
  // The policy id changes when the policy file (https://mta-sts.DOMAIN/.well-known/...) does.
  std::cout << txt_record("_mta-sts." + domain, "v=STSv1; id=" + std::to_string(std::time(nullptr)))
            << "\n";
  std::cout << txt_record("_smtp._tls." + domain, "v=TLSRPTv1; rua=mailto:postmaster@" + domain)
            << "\n";
  struct Srv {
    const char* service;
    int port;
  };
  for (Srv s :
       {Srv{"_submissions._tcp", 465}, Srv{"_submission._tcp", 587}, Srv{"_imaps._tcp", 993},
        Srv{"_imap._tcp", 143}, Srv{"_pop3s._tcp", 995}, Srv{"_pop3._tcp", 110}})
    std::cout << s.service << "." << domain << ". 3600 IN SRV 0 1 " << s.port << " " << host
              << ".\n";
  return {};
}

}  // namespace mail::ctl
