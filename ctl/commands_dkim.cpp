// mailctl dkim generate/list/show/activate/retire (DKIM signing keys, mailauth/dkim_keys.h;
// the records to publish are in commands_dns.cpp). Keys are written by DkimKeyStore (atomic
// renames); smtpd sees changes within a second, without a restart.
#include <ctime>
#include <iostream>

#include "common/ascii.h"
#include "ctl/commands.h"
#include "mailauth/dkim_keys.h"

namespace mail::ctl {

using mailauth::DkimKey;
using mailauth::DkimKeyStore;
using mailauth::KeyAlgorithm;

namespace {

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
  const std::string domain = ascii::lower(inv.operands[0]);
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
  auto keys = inv.operands.empty() ? store.list() : store.keys_of(ascii::lower(inv.operands[0]));
  if (!keys) return keys.error();
  for (const DkimKey& k : *keys) print_key_line(k);
  return {};
}

Result<void> dkim_show(const Invocation& inv) {
  DkimKeyStore store(inv.config.dkim_dir());
  auto keys = store.keys_of(ascii::lower(inv.operands[0]));
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
  return DkimKeyStore(inv.config.dkim_dir())
      .activate(ascii::lower(inv.operands[0]), inv.operands[1]);
}

Result<void> dkim_retire(const Invocation& inv) {
  return DkimKeyStore(inv.config.dkim_dir()).retire(ascii::lower(inv.operands[0]), inv.operands[1]);
}

}  // namespace mail::ctl
