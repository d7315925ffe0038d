#include "queued/relay/routing.h"

#include <arpa/inet.h>

#include <cctype>
#include <fstream>

namespace mail::relay {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_ipv6(const std::string& s) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

Result<std::shared_ptr<const Credentials>> read_credentials(const std::string& user,
                                                            const std::filesystem::path& file) {
  if (user.empty()) return std::shared_ptr<const Credentials>();
  std::ifstream in(file);
  std::string password;
  if (!in || !std::getline(in, password))
    return make_error(ErrorKind::Invalid, "cannot read password file " + file.string());
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty())
    return make_error(ErrorKind::Invalid, "password file " + file.string() + " is empty");
  return std::make_shared<const Credentials>(Credentials{user, password});
}

// The entry for `domain` or, failing that, for ".parent" of any parent domain.
template <typename Map>
const typename Map::mapped_type* find_domain(const Map& map, const std::string& domain) {
  if (auto it = map.find(domain); it != map.end()) return &it->second;
  for (size_t dot = domain.find('.'); dot != std::string::npos; dot = domain.find('.', dot + 1)) {
    if (auto it = map.find(domain.substr(dot)); it != map.end()) return &it->second;
  }
  return nullptr;
}

}  // namespace

TlsPolicy parse_tls_policy(std::string_view name) {
  if (name == "none") return TlsPolicy::None;
  if (name == "encrypt") return TlsPolicy::Encrypt;
  if (name == "verify") return TlsPolicy::Verify;
  return TlsPolicy::May;
}

const char* tls_policy_name(TlsPolicy policy) {
  switch (policy) {
    case TlsPolicy::None:
      return "none";
    case TlsPolicy::May:
      return "may";
    case TlsPolicy::Encrypt:
      return "encrypt";
    case TlsPolicy::Verify:
      return "verify";
  }
  return "?";
}

std::string NextHop::key() const {
  std::string k = domain;
  k += use_mx ? " mx" : " [" + host + "]:" + std::to_string(port);
  if (!source4.empty()) k += " from=" + source4;
  if (!source6.empty()) k += " from6=" + source6;
  if (auth) k += " auth=" + auth->user;
  k += " tls=";
  k += tls_policy_name(tls);
  return k;
}

std::string address_domain(std::string_view address) {
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos) return "";
  return lower(address.substr(at + 1));
}

Result<std::pair<std::string, uint16_t>> split_host_port(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
    return make_error(ErrorKind::Invalid, "expected host:port: " + std::string(text));
  std::string host(text.substr(0, colon));
  const std::string port(text.substr(colon + 1));
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    return make_error(ErrorKind::Invalid, "bad port: " + std::string(text));
  const int p = std::stoi(port);
  if (p < 1 || p > 65535) return make_error(ErrorKind::Invalid, "bad port: " + std::string(text));
  return std::make_pair(lower(host), static_cast<uint16_t>(p));
}

Result<Routes> Routes::from_config(const Config& config) {
  const RelayConfig& rc = config.relay;
  Routes r;
  r.smtp_port_ = static_cast<uint16_t>(rc.smtp_port);
  r.default_tls_ = parse_tls_policy(rc.tls_policy);
  for (const auto& [domain, policy] : rc.tls_policies)
    r.tls_policies_[domain] = parse_tls_policy(policy);
  for (const auto& [domain, target] : rc.transport) {
    auto hp = split_host_port(target);
    if (!hp)
      return make_error(ErrorKind::Invalid,
                        "relay.transport \"" + domain + "\": " + hp.error().message);
    r.transport_[domain] = Relayhost{hp->first, hp->second, nullptr};
  }
  if (!rc.smarthost.empty()) {
    auto hp = split_host_port(rc.smarthost);
    if (!hp) return make_error(ErrorKind::Invalid, "relay.smarthost: " + hp.error().message);
    auto auth = read_credentials(rc.smarthost_user, rc.smarthost_password_file);
    if (!auth)
      return make_error(ErrorKind::Invalid,
                        "relay.smarthost_password_file: " + auth.error().message);
    r.smarthost_ = Relayhost{hp->first, hp->second, *auth};
  }
  for (const auto& [sender, route] : rc.sender_routes) {
    SenderEntry entry;
    entry.source_address = route.source_address;
    if (!route.relayhost.empty()) {
      auto hp = split_host_port(route.relayhost);
      if (!hp)
        return make_error(ErrorKind::Invalid,
                          "relay.sender_routes \"" + sender + "\": " + hp.error().message);
      auto auth = read_credentials(route.user, route.password_file);
      if (!auth)
        return make_error(ErrorKind::Invalid,
                          "relay.sender_routes \"" + sender + "\": " + auth.error().message);
      entry.relayhost = Relayhost{hp->first, hp->second, *auth};
    }
    // "@example.org" and "example.org" both mean the sender domain.
    r.senders_[sender.front() == '@' ? sender.substr(1) : sender] = std::move(entry);
  }
  r.source4_ = rc.source_address;
  r.source6_ = rc.source_address6;
  return r;
}

TlsPolicy Routes::policy_for(const NextHop& hop) const {
  TlsPolicy policy = default_tls_;
  if (const TlsPolicy* p = hop.use_mx ? nullptr : find_domain(tls_policies_, hop.host)) {
    policy = *p;
  } else if (const TlsPolicy* d = find_domain(tls_policies_, hop.domain)) {
    policy = *d;
  }
  // Credentials never cross the network in plaintext (RFC 4954 4: SHOULD use TLS).
  if (hop.auth && (policy == TlsPolicy::None || policy == TlsPolicy::May))
    policy = TlsPolicy::Encrypt;
  return policy;
}

NextHop Routes::next_hop(std::string_view sender, std::string_view recipient) const {
  NextHop hop;
  hop.domain = address_domain(recipient);
  hop.port = smtp_port_;
  hop.via = "mx";
  hop.source4 = source4_;
  hop.source6 = source6_;

  const SenderEntry* by_sender = nullptr;
  if (!sender.empty()) {
    if (auto it = senders_.find(lower(sender)); it != senders_.end()) {
      by_sender = &it->second;
    } else if (auto d = senders_.find(address_domain(sender)); d != senders_.end()) {
      by_sender = &d->second;
    }
  }
  const auto use = [&hop](const Relayhost& relay, const char* via) {
    hop.use_mx = false;
    hop.host = relay.host;
    hop.port = relay.port;
    hop.auth = relay.auth;
    hop.via = via;
  };
  if (const Relayhost* t = find_domain(transport_, hop.domain)) {
    use(*t, "transport");
  } else if (by_sender && by_sender->relayhost) {
    use(*by_sender->relayhost, "sender_route");
  } else if (smarthost_) {
    use(*smarthost_, "smarthost");
  }
  if (by_sender && !by_sender->source_address.empty()) {
    (is_ipv6(by_sender->source_address) ? hop.source6 : hop.source4) = by_sender->source_address;
  }
  hop.tls = policy_for(hop);
  return hop;
}

}  // namespace mail::relay
