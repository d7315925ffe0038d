// Loads the suite's TOML configuration into Config. The schema below is the single list of
// keys: each entry names its section and key and knows how to check and store its value.
// Input is untrusted text: every key is checked, unknown ones are refused.
#include "common/config.h"

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <sstream>
#include <vector>

namespace mail {
namespace {

// Checks one value and stores it; returns an error text (without the key) or "".
using Setter =
    std::function<std::string(const toml::node&, Config&, const std::filesystem::path& base)>;

struct Key {
  std::string section;
  std::string name;
  Setter set;
};

template <typename Section>
Setter str(Section Config::*section, std::string Section::*field) {
  return [=](const toml::node& n, Config& c, const std::filesystem::path&) -> std::string {
    auto v = n.value<std::string>();
    if (!v) return "expected a string";
    (c.*section).*field = *v;
    return "";
  };
}

template <typename Section>
Setter path(Section Config::*section, std::filesystem::path Section::*field) {
  return [=](const toml::node& n, Config& c, const std::filesystem::path& base) -> std::string {
    auto v = n.value<std::string>();
    if (!v) return "expected a path string";
    std::filesystem::path p(*v);
    (c.*section).*field = (p.empty() || p.is_absolute()) ? p : base / p;
    return "";
  };
}

template <typename Section, typename Int>
Setter integer(Section Config::*section, Int Section::*field, int64_t min,
               int64_t max = std::numeric_limits<int32_t>::max()) {
  return [=](const toml::node& n, Config& c, const std::filesystem::path&) -> std::string {
    auto v = n.value<int64_t>();
    if (!n.is_integer() || !v) return "expected an integer";
    if (*v < min || *v > max)
      return "expected an integer between " + std::to_string(min) + " and " + std::to_string(max);
    (c.*section).*field = static_cast<Int>(*v);
    return "";
  };
}

template <typename Section>
Setter boolean(Section Config::*section, bool Section::*field) {
  return [=](const toml::node& n, Config& c, const std::filesystem::path&) -> std::string {
    if (!n.is_boolean()) return "expected true or false";
    (c.*section).*field = *n.value<bool>();
    return "";
  };
}

// "host:port" or "[v6]:port"; empty disables the listener.
template <typename Section>
Setter endpoint(Section Config::*section, std::string Section::*field) {
  return [=](const toml::node& n, Config& c, const std::filesystem::path&) -> std::string {
    auto v = n.value<std::string>();
    if (!v) return "expected \"address:port\" or \"\"";
    if (!v->empty()) {
      auto colon = v->rfind(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == v->size())
        return "expected \"address:port\", got \"" + *v + "\"";
      std::string port = v->substr(colon + 1);
      if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
          std::stoi(port) > 65535)
        return "bad port in \"" + *v + "\"";
    }
    (c.*section).*field = *v;
    return "";
  };
}

// "IP" or "IP@port", as libunbound's forwarders take them.
bool resolver_address(const std::string& s) {
  std::string host = s, port;
  if (auto at = s.find('@'); at != std::string::npos) {
    host = s.substr(0, at);
    port = s.substr(at + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) == 0 ||
        std::stoi(port) > 65535)
      return false;
  }
  if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF.:") != std::string::npos)
    return false;
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

Setter resolvers(std::vector<std::string> DnsConfig::*field) {
  return [=](const toml::node& n, Config& c, const std::filesystem::path&) -> std::string {
    const toml::array* a = n.as_array();
    if (!a) return "expected an array of \"IP\" or \"IP@port\" strings";
    if (a->size() > 16) return "at most 16 resolvers";
    std::vector<std::string> out;
    for (const toml::node& e : *a) {
      auto v = e.value<std::string>();
      if (!v || !resolver_address(*v))
        return "expected \"IP\" or \"IP@port\" strings, got " +
               (v ? "\"" + *v + "\"" : std::string("a non-string"));
      out.push_back(*v);
    }
    c.dns.*field = std::move(out);
    return "";
  };
}
// LMDB map maxima: at least 1 MiB, at most 1 TiB (the map is virtual address space).
constexpr int64_t kMinMapSize = int64_t{1} << 20;
constexpr int64_t kMaxMapSize = int64_t{1} << 40;

template <typename Section>
Setter one_of(Section Config::*section, std::string Section::*field,
              std::vector<std::string> allowed) {
  return [=](const toml::node& n, Config& c, const std::filesystem::path&) -> std::string {
    auto v = n.value<std::string>();
    if (v && std::find(allowed.begin(), allowed.end(), *v) != allowed.end()) {
      (c.*section).*field = *v;
      return "";
    }
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "\"" : ", \"") + a + "\"";
    return "expected one of " + list;
  };
}

bool ip_literal(const std::string& s, int family) {
  unsigned char buf[16];
  return ::inet_pton(family, s.c_str(), buf) == 1;
}

// A relay next hop: "host:port", "[host]:port" or "[IPv6]:port" (Postfix's forms; the
// brackets only make an IPv6 address unambiguous here, no MX lookup is ever made).
std::string check_host_port(const std::string& v) {
  const auto colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == v.size())
    return "expected \"host:port\", got \"" + v + "\"";
  std::string host = v.substr(0, colon);
  const std::string port = v.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) == 0 || std::stoi(port) > 65535)
    return "bad port in \"" + v + "\"";
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return "bad host in \"" + v + "\"";
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return "an IPv6 address needs brackets: \"[" + host + "]:" + port + "\"";
  }
  if (host.size() > 253 ||
      host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") !=
          std::string::npos)
    return "bad host in \"" + v + "\"";
  return "";
}

Setter host_port(std::string RelayConfig::*field) {
  return [=](const toml::node& n, Config& c, const std::filesystem::path&) -> std::string {
    auto v = n.value<std::string>();
    if (!v) return "expected \"host:port\" or \"\"";
    if (!v->empty()) {
      std::string problem = check_host_port(*v);
      if (!problem.empty()) return problem;
    }
    c.relay.*field = *v;
    return "";
  };
}

Setter ip_address(std::string RelayConfig::*field, int family) {
  return [=](const toml::node& n, Config& c, const std::filesystem::path&) -> std::string {
    auto v = n.value<std::string>();
    if (!v || (!v->empty() && !ip_literal(*v, family)))
      return family == AF_INET ? "expected an IPv4 address or \"\""
                               : "expected an IPv6 address or \"\"";
    c.relay.*field = *v;
    return "";
  };
}

// A domain or address used as a table key: lower-cased; no white space or control
// characters, at most 320 octets.
std::string table_key(std::string_view key, std::string& problem) {
  std::string out(key);
  if (out.empty() || out.size() > 320) problem = "bad key \"" + out + "\"";
  for (char& ch : out) {
    const auto u = static_cast<unsigned char>(ch);
    if (u <= 0x20 || u == 0x7f) problem = "bad key \"" + std::string(key) + "\"";
    ch = static_cast<char>(std::tolower(u));
  }
  return out;
}

constexpr size_t kMaxTableEntries = 10000;

// A table of domain -> string, each value checked by `check` ("" when fine).
Setter string_table(std::map<std::string, std::string> RelayConfig::*field,
                    std::function<std::string(const std::string&)> check) {
  return [=](const toml::node& n, Config& c, const std::filesystem::path&) -> std::string {
    const toml::table* t = n.as_table();
    if (!t) return "expected a table of domain = \"value\"";
    if (t->size() > kMaxTableEntries) return "more than 10000 entries";
    std::map<std::string, std::string> out;
    for (auto&& [k, v] : *t) {
      std::string problem;
      std::string key = table_key(k.str(), problem);
      auto value = v.value<std::string>();
      if (problem.empty() && !value) problem = "\"" + key + "\": expected a string";
      if (problem.empty()) {
        problem = check(*value);
        if (!problem.empty()) problem = "\"" + key + "\": " + problem;
      }
      if (!problem.empty()) return problem;
      out[key] = *value;
    }
    c.relay.*field = std::move(out);
    return "";
  };
}

std::string check_tls_policy(const std::string& v) {
  if (v == "none" || v == "may" || v == "encrypt" || v == "verify") return "";
  return "expected one of \"none\", \"may\", \"encrypt\", \"verify\"";
}

Setter sender_routes() {
  return [](const toml::node& n, Config& c, const std::filesystem::path& base) -> std::string {
    const toml::table* t = n.as_table();
    if (!t) return "expected a table of sender = { relayhost = ..., source_address = ... }";
    if (t->size() > kMaxTableEntries) return "more than 10000 entries";
    std::map<std::string, SenderRoute> out;
    for (auto&& [k, v] : *t) {
      std::string problem;
      const std::string key = table_key(k.str(), problem);
      if (!problem.empty()) return problem;
      const toml::table* entry = v.as_table();
      if (!entry) return "\"" + key + "\": expected { relayhost = ..., source_address = ... }";
      SenderRoute route;
      for (auto&& [field, value] : *entry) {
        const std::string name(field.str());
        auto text = value.value<std::string>();
        if (!text) return "\"" + key + "\"." + name + ": expected a string";
        if (name == "relayhost") {
          if (!text->empty()) problem = check_host_port(*text);
          route.relayhost = *text;
        } else if (name == "source_address") {
          if (!text->empty() && !ip_literal(*text, AF_INET) && !ip_literal(*text, AF_INET6))
            problem = "expected an IP address";
          route.source_address = *text;
        } else if (name == "user") {
          route.user = *text;
        } else if (name == "password_file") {
          std::filesystem::path p(*text);
          route.password_file = (p.empty() || p.is_absolute()) ? p : base / p;
        } else {
          problem = "unknown field (relayhost, source_address, user, password_file)";
        }
        if (!problem.empty()) return "\"" + key + "\"." + name + ": " + problem;
      }
      if (route.user.empty() != route.password_file.empty())
        return "\"" + key + "\": user and password_file go together";
      if (!route.user.empty() && route.relayhost.empty())
        return "\"" + key + "\": user needs a relayhost";
      out[key] = std::move(route);
    }
    c.relay.sender_routes = std::move(out);
    return "";
  };
}

Setter destination_limits() {
  return [](const toml::node& n, Config& c, const std::filesystem::path&) -> std::string {
    const toml::table* t = n.as_table();
    if (!t) return "expected a table of domain = { concurrency = N, rate = N }";
    if (t->size() > kMaxTableEntries) return "more than 10000 entries";
    std::map<std::string, DestinationLimit> out;
    for (auto&& [k, v] : *t) {
      std::string problem;
      const std::string key = table_key(k.str(), problem);
      if (!problem.empty()) return problem;
      const toml::table* entry = v.as_table();
      if (!entry) return "\"" + key + "\": expected { concurrency = N, rate = N }";
      DestinationLimit limit;
      for (auto&& [field, value] : *entry) {
        const std::string name(field.str());
        auto number = value.value<int64_t>();
        if (!value.is_integer() || !number || *number < 0 || *number > 1000000)
          return "\"" + key + "\"." + name + ": expected an integer between 0 and 1000000";
        if (name == "concurrency") {
          limit.concurrency = static_cast<int>(*number);
        } else if (name == "rate") {
          limit.rate = static_cast<int>(*number);
        } else {
          return "\"" + key + "\"." + name + ": unknown field (concurrency, rate)";
        }
      }
      out[key] = limit;
    }
    c.relay.destination_limits = std::move(out);
    return "";
  };
}

// A table of domain = action, e.g. { "example.org" = "quarantine" }.
Setter domain_actions(std::map<std::string, std::string> MailauthConfig::*field,
                      std::vector<std::string> words) {
  return [=](const toml::node& n, Config& c, const std::filesystem::path&) -> std::string {
    const toml::table* t = n.as_table();
    if (!t) return "expected a table of \"domain\" = \"action\"";
    if (t->size() > 10000) return "at most 10000 domains";
    std::map<std::string, std::string> out;
    for (auto&& [k, v] : *t) {
      std::string domain(k.str());
      if (domain.empty() || domain.size() > 255 ||
          domain.find_first_of(" \t\r\n@;\"") != std::string::npos)
        return "bad domain \"" + domain + "\"";
      auto action = v.value<std::string>();
      bool known = false;
      for (const auto& w : words) known |= action && *action == w;
      if (!known) return "bad action for \"" + domain + "\" (expected reject, quarantine or mark)";
      for (char& ch : domain)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
      out[domain] = *action;
    }
    c.mailauth.*field = std::move(out);
    return "";
  };
}

const std::vector<Key>& schema() {
  static const std::vector<Key> keys = {
      {"server", "hostname", str(&Config::server, &ServerConfig::hostname)},
      {"server", "data_dir", path(&Config::server, &ServerConfig::data_dir)},
      {"server", "io_threads", integer(&Config::server, &ServerConfig::io_threads, 0, 256)},
      {"server", "worker_threads", integer(&Config::server, &ServerConfig::worker_threads, 1, 256)},
      {"server", "postmaster",
       [](const toml::node& n, Config& c, const std::filesystem::path&) -> std::string {
         auto v = n.value<std::string>();
         if (!v) return "expected an address string";
         const auto at = v->find('@');
         if (!v->empty() && (at == std::string::npos || at == 0 || at + 1 == v->size() ||
                             v->find_first_of(" \t\r\n<>") != std::string::npos))
           return "expected \"local@domain\" or \"\", got \"" + *v + "\"";
         c.server.postmaster = *v;
         return "";
       }},
      {"server", "user", str(&Config::server, &ServerConfig::user)},
      {"server", "group", str(&Config::server, &ServerConfig::group)},
      {"server", "allow_root", boolean(&Config::server, &ServerConfig::allow_root)},
      {"server", "max_output_buffer",
       integer(&Config::server, &ServerConfig::max_output_buffer, 4096, int64_t{1} << 30)},
      {"server", "write_timeout", integer(&Config::server, &ServerConfig::write_timeout, 1, 3600)},
      {"server", "tls_handshake_timeout",
       integer(&Config::server, &ServerConfig::tls_handshake_timeout, 1, 3600)},
      {"server", "shutdown_grace",
       integer(&Config::server, &ServerConfig::shutdown_grace, 0, 3600)},
      {"server", "store_max_size",
       integer(&Config::server, &ServerConfig::store_max_size, kMinMapSize, kMaxMapSize)},
      {"server", "queue_max_size",
       integer(&Config::server, &ServerConfig::queue_max_size, kMinMapSize, kMaxMapSize)},
      {"server", "directory_max_size",
       integer(&Config::server, &ServerConfig::directory_max_size, kMinMapSize, kMaxMapSize)},
      {"server", "reader_check_interval",
       integer(&Config::server, &ServerConfig::reader_check_interval, 1, 86400)},
      {"tls", "cert_file", path(&Config::tls, &TlsConfig::cert_file)},
      {"tls", "key_file", path(&Config::tls, &TlsConfig::key_file)},
      {"log", "level",
       [](const toml::node& n, Config& c, const std::filesystem::path&) -> std::string {
         auto v = n.value<std::string>();
         if (!v || (*v != "debug" && *v != "info" && *v != "warn" && *v != "error"))
           return "expected one of \"debug\", \"info\", \"warn\", \"error\"";
         c.log.level = *v;
         return "";
       }},
      {"smtpd", "listen", endpoint(&Config::smtpd, &SmtpdConfig::listen)},
      {"smtpd", "submission_listen", endpoint(&Config::smtpd, &SmtpdConfig::submission_listen)},
      {"smtpd", "submissions_listen", endpoint(&Config::smtpd, &SmtpdConfig::submissions_listen)},
      {"smtpd", "max_message_size",
       integer(&Config::smtpd, &SmtpdConfig::max_message_size, 1024, int64_t{1} << 40)},
      {"smtpd", "max_recipients", integer(&Config::smtpd, &SmtpdConfig::max_recipients, 1, 100000)},
      {"smtpd", "max_line_length",
       integer(&Config::smtpd, &SmtpdConfig::max_line_length, 512, 1 << 20)},
      {"smtpd", "max_connections",
       integer(&Config::smtpd, &SmtpdConfig::max_connections, 1, 1000000)},
      {"smtpd", "max_errors", integer(&Config::smtpd, &SmtpdConfig::max_errors, 1, 1000)},
      {"smtpd", "command_timeout",
       integer(&Config::smtpd, &SmtpdConfig::command_timeout, 1, 86400)},
      {"smtpd", "data_timeout", integer(&Config::smtpd, &SmtpdConfig::data_timeout, 1, 86400)},
      {"smtpd", "max_commands_without_progress",
       integer(&Config::smtpd, &SmtpdConfig::max_commands_without_progress, 1, 100000)},
      {"smtpd", "greeting_delay", integer(&Config::smtpd, &SmtpdConfig::greeting_delay, 0, 300)},
      {"smtpd", "shutdown_grace", integer(&Config::smtpd, &SmtpdConfig::shutdown_grace, 0, 3600)},
      {"smtpd", "smtputf8", boolean(&Config::smtpd, &SmtpdConfig::smtputf8)},
      {"smtpd", "dsn", boolean(&Config::smtpd, &SmtpdConfig::dsn)},
      {"smtpd", "chunking", boolean(&Config::smtpd, &SmtpdConfig::chunking)},
      {"smtpd", "auth_on_mx", boolean(&Config::smtpd, &SmtpdConfig::auth_on_mx)},
      {"smtpd", "allow_plaintext_auth_on_loopback",
       boolean(&Config::smtpd, &SmtpdConfig::allow_plaintext_auth_on_loopback)},
      {"smtpd", "max_auth_failures",
       integer(&Config::smtpd, &SmtpdConfig::max_auth_failures, 1, 1000)},
      {"smtpd", "check_header_from", boolean(&Config::smtpd, &SmtpdConfig::check_header_from)},
      {"smtpd", "max_author_addresses",
       integer(&Config::smtpd, &SmtpdConfig::max_author_addresses, 1, 1000)},
      {"smtpd", "hide_authenticated_user",
       boolean(&Config::smtpd, &SmtpdConfig::hide_authenticated_user)},
      {"smtpd", "max_connections_per_ip",
       integer(&Config::smtpd, &SmtpdConfig::max_connections_per_ip, 1, 1000000)},
      {"smtpd", "max_session_time",
       integer(&Config::smtpd, &SmtpdConfig::max_session_time, 1, 86400 * 7)},
      {"imapd", "listen", endpoint(&Config::imapd, &ImapdConfig::listen)},
      {"imapd", "tls_listen", endpoint(&Config::imapd, &ImapdConfig::tls_listen)},
      {"imapd", "max_line_length",
       integer(&Config::imapd, &ImapdConfig::max_line_length, 1024, 1 << 24)},
      {"imapd", "max_command_size",
       integer(&Config::imapd, &ImapdConfig::max_command_size, 1024, int64_t{1} << 30)},
      {"imapd", "max_literal_size",
       integer(&Config::imapd, &ImapdConfig::max_literal_size, 1024, int64_t{1} << 40)},
      {"imapd", "max_literal_before_login",
       integer(&Config::imapd, &ImapdConfig::max_literal_before_login, 256, int64_t{1} << 30)},
      {"imapd", "max_list_pattern",
       integer(&Config::imapd, &ImapdConfig::max_list_pattern, 16, 1 << 20)},
      {"imapd", "max_append_command_size",
       integer(&Config::imapd, &ImapdConfig::max_append_command_size, 1024, int64_t{1} << 40)},
      {"imapd", "max_mailboxes",
       integer(&Config::imapd, &ImapdConfig::max_mailboxes, 10, 10000000)},
      {"imapd", "compress", boolean(&Config::imapd, &ImapdConfig::compress)},
      {"imapd", "max_connections",
       integer(&Config::imapd, &ImapdConfig::max_connections, 1, 1000000)},
      {"imapd", "max_connections_per_ip",
       integer(&Config::imapd, &ImapdConfig::max_connections_per_ip, 1, 1000000)},
      {"imapd", "max_session_time",
       integer(&Config::imapd, &ImapdConfig::max_session_time, 1, 86400 * 7)},
      {"imapd", "max_bad_commands",
       integer(&Config::imapd, &ImapdConfig::max_bad_commands, 1, 1000)},
      {"imapd", "max_commands_before_login",
       integer(&Config::imapd, &ImapdConfig::max_commands_before_login, 1, 100000)},
      {"imapd", "idle_timeout", integer(&Config::imapd, &ImapdConfig::idle_timeout, 1, 86400)},
      {"imapd", "login_timeout", integer(&Config::imapd, &ImapdConfig::login_timeout, 1, 86400)},
      {"imapd", "allow_plaintext_auth_on_loopback",
       boolean(&Config::imapd, &ImapdConfig::allow_plaintext_auth_on_loopback)},
      {"imapd", "idle_refresh_interval",
       integer(&Config::imapd, &ImapdConfig::idle_refresh_interval, 1, 86400)},
      {"imapd", "idle_keepalive", integer(&Config::imapd, &ImapdConfig::idle_keepalive, 1, 86400)},
      {"imapd", "max_login_failures",
       integer(&Config::imapd, &ImapdConfig::max_login_failures, 1, 1000)},
      {"imapd", "max_update_contexts",
       integer(&Config::imapd, &ImapdConfig::max_update_contexts, 0, 1000)},
      {"imapd", "max_update_changes",
       integer(&Config::imapd, &ImapdConfig::max_update_changes, 1, 10000000)},
      {"imapd", "max_url_length",
       integer(&Config::imapd, &ImapdConfig::max_url_length, 256, 1 << 20)},
      {"imapd", "max_urlfetch_urls",
       integer(&Config::imapd, &ImapdConfig::max_urlfetch_urls, 1, 100000)},
      {"imapd", "notify_max_mailboxes",
       integer(&Config::imapd, &ImapdConfig::notify_max_mailboxes, 1, 100000)},
      {"imapd", "notify_max_pending",
       integer(&Config::imapd, &ImapdConfig::notify_max_pending, 1, 1000000)},
      {"pop3d", "listen", endpoint(&Config::pop3d, &Pop3dConfig::listen)},
      {"pop3d", "tls_listen", endpoint(&Config::pop3d, &Pop3dConfig::tls_listen)},
      {"pop3d", "max_line_length",
       integer(&Config::pop3d, &Pop3dConfig::max_line_length, 256, 1 << 20)},
      {"pop3d", "max_connections",
       integer(&Config::pop3d, &Pop3dConfig::max_connections, 1, 1000000)},
      {"pop3d", "max_connections_per_ip",
       integer(&Config::pop3d, &Pop3dConfig::max_connections_per_ip, 1, 1000000)},
      {"pop3d", "max_session_time",
       integer(&Config::pop3d, &Pop3dConfig::max_session_time, 1, 86400 * 7)},
      {"pop3d", "max_bad_commands",
       integer(&Config::pop3d, &Pop3dConfig::max_bad_commands, 1, 1000)},
      {"pop3d", "idle_timeout", integer(&Config::pop3d, &Pop3dConfig::idle_timeout, 1, 86400)},
      {"pop3d", "allow_plaintext_auth_on_loopback",
       boolean(&Config::pop3d, &Pop3dConfig::allow_plaintext_auth_on_loopback)},
      {"pop3d", "login_timeout", integer(&Config::pop3d, &Pop3dConfig::login_timeout, 1, 86400)},
      {"pop3d", "max_login_commands",
       integer(&Config::pop3d, &Pop3dConfig::max_login_commands, 1, 10000)},
      {"pop3d", "max_login_failures",
       integer(&Config::pop3d, &Pop3dConfig::max_login_failures, 1, 1000)},
      {"queued", "scan_interval", integer(&Config::queued, &QueuedConfig::scan_interval, 1, 86400)},
      {"queued", "retry_delay", integer(&Config::queued, &QueuedConfig::retry_delay, 1, 86400 * 7)},
      {"auth", "failure_delay_ms", integer(&Config::auth, &AuthConfig::failure_delay_ms, 0, 60000)},
      {"auth", "max_failure_delay_ms",
       integer(&Config::auth, &AuthConfig::max_failure_delay_ms, 0, 300000)},
      {"auth", "ip_failure_limit",
       integer(&Config::auth, &AuthConfig::ip_failure_limit, 1, 1000000)},
      {"auth", "account_failure_limit",
       integer(&Config::auth, &AuthConfig::account_failure_limit, 1, 1000000)},
      {"auth", "lockout", integer(&Config::auth, &AuthConfig::lockout, 0, 86400)},
      {"auth", "failure_memory", integer(&Config::auth, &AuthConfig::failure_memory, 1, 86400 * 7)},
      {"auth", "throttle_map_size",
       integer(&Config::auth, &AuthConfig::throttle_map_size, int64_t{1} << 20, int64_t{1} << 34)},
      {"auth", "password_threads", integer(&Config::auth, &AuthConfig::password_threads, 1, 64)},
      {"auth", "password_queue", integer(&Config::auth, &AuthConfig::password_queue, 1, 100000)},
      {"auth", "cache_ttl", integer(&Config::auth, &AuthConfig::cache_ttl, 0, 3600)},
      {"auth", "cache_size", integer(&Config::auth, &AuthConfig::cache_size, 0, 10000000)},
      {"auth", "scram_iterations",
       integer(&Config::auth, &AuthConfig::scram_iterations, 4096, 10000000)},
      {"queued", "max_retry_delay",
       integer(&Config::queued, &QueuedConfig::max_retry_delay, 1, 86400 * 7)},
      {"queued", "queue_lifetime",
       integer(&Config::queued, &QueuedConfig::queue_lifetime, 60, 86400 * 60)},
      {"queued", "claim_lease", integer(&Config::queued, &QueuedConfig::claim_lease, 10, 86400)},
      {"queued", "batch_size", integer(&Config::queued, &QueuedConfig::batch_size, 1, 10000)},
      {"queued", "local_concurrency",
       integer(&Config::queued, &QueuedConfig::local_concurrency, 1, 64)},
      {"queued", "worker_name",
       [](const toml::node& n, Config& c, const std::filesystem::path&) -> std::string {
         auto v = n.value<std::string>();
         if (!v || v->empty() || v->size() > 64 ||
             v->find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                  "._-") != std::string::npos)
           return "expected 1-64 letters, digits, '.', '_' or '-'";
         c.queued.worker_name = *v;
         return "";
       }},
      {"queue", "backend",
       [](const toml::node& n, Config& c, const std::filesystem::path&) -> std::string {
         auto v = n.value<std::string>();
         if (!v || *v != "lmdb") return "expected \"lmdb\"";
         c.queue.backend = *v;
         return "";
       }},
      {"queue", "report_retention_days",
       integer(&Config::queue, &QueueConfig::report_retention_days, 1, 3660)},
      {"queue", "report_max_records",
       integer(&Config::queue, &QueueConfig::report_max_records, 1000, 1'000'000'000)},
      {"queue", "report_max_domains",
       integer(&Config::queue, &QueueConfig::report_max_domains, 10, 10'000'000)},
      {"smtpd", "metrics_listen", endpoint(&Config::smtpd, &SmtpdConfig::metrics_listen)},
      {"imapd", "metrics_listen", endpoint(&Config::imapd, &ImapdConfig::metrics_listen)},
      {"pop3d", "metrics_listen", endpoint(&Config::pop3d, &Pop3dConfig::metrics_listen)},
      {"queued", "metrics_listen", endpoint(&Config::queued, &QueuedConfig::metrics_listen)},
      {"dns", "resolvers", resolvers(&DnsConfig::resolvers)},
      {"dns", "timeout", integer(&Config::dns, &DnsConfig::timeout, 1, 300)},
      {"dns", "trust_anchor_file", path(&Config::dns, &DnsConfig::trust_anchor_file)},
      {"relay", "helo_name", str(&Config::relay, &RelayConfig::helo_name)},
      {"relay", "smtp_port", integer(&Config::relay, &RelayConfig::smtp_port, 1, 65535)},
      {"relay", "smarthost", host_port(&RelayConfig::smarthost)},
      {"relay", "smarthost_user", str(&Config::relay, &RelayConfig::smarthost_user)},
      {"relay", "smarthost_password_file",
       path(&Config::relay, &RelayConfig::smarthost_password_file)},
      {"relay", "source_address", ip_address(&RelayConfig::source_address, AF_INET)},
      {"relay", "source_address6", ip_address(&RelayConfig::source_address6, AF_INET6)},
      {"relay", "address_families",
       one_of(&Config::relay, &RelayConfig::address_families, {"both", "ipv4", "ipv6"})},
      {"relay", "tls_policy",
       one_of(&Config::relay, &RelayConfig::tls_policy, {"none", "may", "encrypt", "verify"})},
      {"relay", "tls_ca_file", path(&Config::relay, &RelayConfig::tls_ca_file)},
      {"relay", "tls_policies", string_table(&RelayConfig::tls_policies, check_tls_policy)},
      {"relay", "transport", string_table(&RelayConfig::transport, check_host_port)},
      {"relay", "sender_routes", sender_routes()},
      {"relay", "destination_concurrency",
       integer(&Config::relay, &RelayConfig::destination_concurrency, 1, 1000)},
      {"relay", "destination_rate",
       integer(&Config::relay, &RelayConfig::destination_rate, 0, 1000000)},
      {"relay", "destination_limits", destination_limits()},
      {"relay", "rate_max_wait", integer(&Config::relay, &RelayConfig::rate_max_wait, 0, 3600)},
      {"relay", "connect_timeout", integer(&Config::relay, &RelayConfig::connect_timeout, 1, 3600)},
      {"relay", "greeting_timeout",
       integer(&Config::relay, &RelayConfig::greeting_timeout, 1, 3600)},
      {"relay", "command_timeout", integer(&Config::relay, &RelayConfig::command_timeout, 1, 3600)},
      {"relay", "mail_timeout", integer(&Config::relay, &RelayConfig::mail_timeout, 1, 3600)},
      {"relay", "rcpt_timeout", integer(&Config::relay, &RelayConfig::rcpt_timeout, 1, 3600)},
      {"relay", "data_init_timeout",
       integer(&Config::relay, &RelayConfig::data_init_timeout, 1, 3600)},
      {"relay", "data_block_timeout",
       integer(&Config::relay, &RelayConfig::data_block_timeout, 1, 3600)},
      {"relay", "data_done_timeout",
       integer(&Config::relay, &RelayConfig::data_done_timeout, 1, 3600)},
      {"relay", "tls_timeout", integer(&Config::relay, &RelayConfig::tls_timeout, 1, 3600)},
      {"relay", "max_reply_lines",
       integer(&Config::relay, &RelayConfig::max_reply_lines, 1, 10000)},
      {"relay", "max_reply_line_length",
       integer(&Config::relay, &RelayConfig::max_reply_line_length, 512, 65536)},
      {"relay", "max_mx_hosts", integer(&Config::relay, &RelayConfig::max_mx_hosts, 1, 50)},
      {"relay", "max_addresses", integer(&Config::relay, &RelayConfig::max_addresses, 1, 100)},
      {"relay", "max_messages_per_connection",
       integer(&Config::relay, &RelayConfig::max_messages_per_connection, 1, 100000)},
      {"relay", "connection_cache_time",
       integer(&Config::relay, &RelayConfig::connection_cache_time, 0, 300)},
      {"relay", "dead_destination_time",
       integer(&Config::relay, &RelayConfig::dead_destination_time, 0, 3600)},
      {"relay", "max_received_headers",
       integer(&Config::relay, &RelayConfig::max_received_headers, 1, 1000)},
      {"relay", "bounce_size_limit",
       integer(&Config::relay, &RelayConfig::bounce_size_limit, 0, 1 << 30)},
      {"relay", "delay_notice_after",
       integer(&Config::relay, &RelayConfig::delay_notice_after, 0, 86400 * 60)},
      {"relay", "concurrency", integer(&Config::relay, &RelayConfig::concurrency, 1, 10000)},
      {"relay", "user_hourly_limit",
       integer(&Config::relay, &RelayConfig::user_hourly_limit, 0, 100000000)},
      {"relay", "user_daily_limit",
       integer(&Config::relay, &RelayConfig::user_daily_limit, 0, 100000000)},
      {"relay", "suppression", boolean(&Config::relay, &RelayConfig::suppression)},
      {"mailauth", "spf", boolean(&Config::mailauth, &MailauthConfig::spf)},
      {"mailauth", "dkim_verify", boolean(&Config::mailauth, &MailauthConfig::dkim_verify)},
      {"mailauth", "dmarc", boolean(&Config::mailauth, &MailauthConfig::dmarc)},
      {"mailauth", "dkim_sign", boolean(&Config::mailauth, &MailauthConfig::dkim_sign)},
      {"mailauth", "authserv_id",
       [](const toml::node& n, Config& c, const std::filesystem::path&) -> std::string {
         auto v = n.value<std::string>();
         if (!v || v->size() > 255 || v->find_first_of(" \t\r\n;()\"\\") != std::string::npos)
           return "expected a host name";
         c.mailauth.authserv_id = *v;
         return "";
       }},
      {"mailauth", "on_temperror",
       one_of(&Config::mailauth, &MailauthConfig::on_temperror, {"defer", "accept"})},
      {"mailauth", "spf_fail",
       one_of(&Config::mailauth, &MailauthConfig::spf_fail, {"mark", "reject"})},
      {"mailauth", "dmarc_reject",
       one_of(&Config::mailauth, &MailauthConfig::dmarc_reject, {"reject", "quarantine", "mark"})},
      {"mailauth", "dmarc_quarantine",
       one_of(&Config::mailauth, &MailauthConfig::dmarc_quarantine, {"quarantine", "mark"})},
      {"mailauth", "dmarc_reject_by_domain",
       domain_actions(&MailauthConfig::dmarc_reject_by_domain, {"reject", "quarantine", "mark"})},
      {"mailauth", "timeout", integer(&Config::mailauth, &MailauthConfig::timeout, 1, 600)},
      {"mailauth", "threads", integer(&Config::mailauth, &MailauthConfig::threads, 1, 256)},
      {"mailauth", "dkim_max_signatures",
       integer(&Config::mailauth, &MailauthConfig::dkim_max_signatures, 1, 100)},
      {"mailauth", "dkim_min_key_bits",
       integer(&Config::mailauth, &MailauthConfig::dkim_min_key_bits, 512, 16384)},
      {"mailauth", "public_suffix_list",
       path(&Config::mailauth, &MailauthConfig::public_suffix_list)},
      {"queued", "shutdown_grace",
       integer(&Config::queued, &QueuedConfig::shutdown_grace, 0, 3600)},
  };
  return keys;
}

std::string where(std::string_view source, const toml::source_region& region) {
  return std::string(source) + ":" + std::to_string(region.begin.line);
}

// Keys a SIGHUP applies (see is_live_key): limits each new session reads from its
// daemon's configuration, and the log level. Listeners, threads, paths, the data
// directory, the TLS files (reloaded on their own) and everything built once at start-up
// (the Authenticator, the scheduler, the stores) need a restart.
constexpr std::string_view kLiveKeys[] = {
    "log.level",
    "smtpd.max_message_size",
    "smtpd.max_recipients",
    "smtpd.max_errors",
    "smtpd.command_timeout",
    "smtpd.data_timeout",
    "smtpd.max_commands_without_progress",
    "smtpd.greeting_delay",
    "smtpd.smtputf8",
    "smtpd.dsn",
    "smtpd.chunking",
    "imapd.max_command_size",
    "imapd.max_literal_size",
    "imapd.max_literal_before_login",
    "imapd.max_list_pattern",
    "imapd.max_bad_commands",
    "imapd.max_update_contexts",
    "imapd.max_update_changes",
    "imapd.notify_max_mailboxes",
    "imapd.notify_max_pending",
    "imapd.max_commands_before_login",
    "imapd.idle_timeout",
    "imapd.login_timeout",
    "imapd.allow_plaintext_auth_on_loopback",
    "pop3d.max_bad_commands",
    "pop3d.idle_timeout",
    "pop3d.login_timeout",
    "pop3d.max_login_commands",
    "pop3d.max_login_failures",
    "pop3d.allow_plaintext_auth_on_loopback",
};

Result<toml::table> parse_toml(std::string_view text, std::string_view source_name) {
  try {
    return toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    return make_error(ErrorKind::Invalid, std::string(source_name) + ":" +
                                              std::to_string(e.source().begin.line) + ": " +
                                              std::string(e.description()));
  }
}

// An environment value as a TOML value (25, true, ["a"]), or else the text as a string.
std::unique_ptr<toml::node> environment_value(const std::string& text) {
  try {
    toml::table t = toml::parse("v = " + text);
    if (t.size() == 1 && t.contains("v")) {
      if (const toml::node* n = t.get("v")) {
        std::unique_ptr<toml::node> out;
        n->visit([&](const auto& v) { out = std::make_unique<std::decay_t<decltype(v)>>(v); });
        return out;
      }
    }
  } catch (const toml::parse_error&) {
  }
  return std::make_unique<toml::value<std::string>>(text);
}

// Puts MAIL_<SECTION>_<KEY> variables into the parsed file, each checked by its key's
// setter first so that a bad one is named by its variable.
Result<void> apply_environment(toml::table& root, const Environment& environment,
                               const std::filesystem::path& base_dir) {
  if (!environment) return {};
  for (const Key& k : schema()) {
    const std::string name = environment_name(k.section, k.name);
    const char* raw = environment(name.c_str());
    if (raw == nullptr) continue;
    auto node = environment_value(raw);
    Config scratch;
    std::string problem = k.set(*node, scratch, base_dir);
    if (!problem.empty() && !node->is_string()) {
      // "12345" as a hostname: the text itself may be what the key wants.
      auto as_text = std::make_unique<toml::value<std::string>>(std::string(raw));
      if (k.set(*as_text, scratch, base_dir).empty()) {
        node = std::move(as_text);
        problem.clear();
      }
    }
    if (!problem.empty())
      return make_error(ErrorKind::Invalid,
                        "environment " + name + ": " + k.section + "." + k.name + ": " + problem);
    if (!root.contains(k.section)) root.insert(k.section, toml::table{});
    toml::table* section = root.get_as<toml::table>(k.section);
    if (!section)
      return make_error(ErrorKind::Invalid, "environment " + name + ": [" + k.section +
                                                "] is not a section in the file");
    node->visit([&](auto& v) { section->insert_or_assign(k.name, std::move(v)); });
  }
  return {};
}

Result<Config> parse_table(const toml::table& root, std::string_view source_name,
                           const std::filesystem::path& base_dir) {
  Config config;
  config.server.data_dir = base_dir / config.server.data_dir;
  for (auto&& [section_key, section_node] : root) {
    const std::string section(section_key.str());
    const toml::table* table = section_node.as_table();
    bool known_section = false;
    for (const Key& k : schema()) known_section |= k.section == section;
    if (!known_section || !table)
      return make_error(ErrorKind::Invalid, where(source_name, section_key.source()) +
                                                ": unknown section [" + section + "]");
    for (auto&& [key, node] : *table) {
      const std::string name(key.str());
      const Key* found = nullptr;
      for (const Key& k : schema())
        if (k.section == section && k.name == name) found = &k;
      if (!found)
        return make_error(ErrorKind::Invalid, where(source_name, key.source()) + ": unknown key " +
                                                  section + "." + name);
      std::string problem = found->set(node, config, base_dir);
      if (!problem.empty())
        return make_error(ErrorKind::Invalid, where(source_name, node.source()) + ": " + section +
                                                  "." + name + ": " + problem);
    }
  }
  if (config.tls.cert_file.empty() != config.tls.key_file.empty())
    return make_error(
        ErrorKind::Invalid,
        std::string(source_name) + ": tls.cert_file and tls.key_file must be set together");
  if (config.queued.max_retry_delay < config.queued.retry_delay)
    return make_error(
        ErrorKind::Invalid,
        std::string(source_name) + ": queued.max_retry_delay must be at least queued.retry_delay");
  if (config.relay.smarthost_user.empty() != config.relay.smarthost_password_file.empty())
    return make_error(ErrorKind::Invalid,
                      std::string(source_name) +
                          ": relay.smarthost_user and relay.smarthost_password_file go together");
  if (!config.relay.smarthost_user.empty() && config.relay.smarthost.empty())
    return make_error(ErrorKind::Invalid,
                      std::string(source_name) + ": relay.smarthost_user needs relay.smarthost");
  return config;
}

// The key's node in the file, or null when the file does not set it.
const toml::node* find_key(const toml::table& root, const Key& k) {
  const toml::table* section = root.get_as<toml::table>(k.section);
  return section ? section->get(k.name) : nullptr;
}

std::string node_text(const toml::node* n) {
  if (n == nullptr) return "";
  toml::table wrapper;
  n->visit([&](const auto& v) { wrapper.insert("v", v); });
  std::ostringstream out;
  out << wrapper;
  return out.str();
}

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorKind::NotFound, "cannot read config file " + path.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

const char* process_environment(const char* name) {
  return std::getenv(name);
}

}  // namespace

std::string environment_name(std::string_view section, std::string_view key) {
  std::string out = "MAIL_";
  for (char c : section) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  out += '_';
  for (char c : key) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool is_live_key(std::string_view section, std::string_view key) {
  for (std::string_view k : kLiveKeys)
    if (k.size() == section.size() + 1 + key.size() && k.starts_with(section) &&
        k[section.size()] == '.' && k.ends_with(key))
      return true;
  return false;
}

Result<Config> parse_config(std::string_view text, std::string_view source_name,
                            const std::filesystem::path& base_dir, const Environment& environment) {
  auto root = parse_toml(text, source_name);
  if (!root) return root.error();
  if (auto r = apply_environment(*root, environment, base_dir); !r) return r.error();
  return parse_table(*root, source_name, base_dir);
}

Result<ConfigReload> reload_config(std::string_view running_text, std::string_view new_text,
                                   std::string_view source_name,
                                   const std::filesystem::path& base_dir,
                                   const Environment& environment) {
  auto running = parse_toml(running_text, source_name);
  if (!running) return running.error();
  auto fresh = parse_toml(new_text, source_name);
  if (!fresh) return fresh.error();
  ConfigReload out;
  for (const Key& k : schema()) {
    const toml::node* was = find_key(*running, k);
    const toml::node* now = find_key(*fresh, k);
    if (node_text(was) == node_text(now)) continue;
    const std::string dotted = k.section + "." + k.name;
    if (is_live_key(k.section, k.name)) {
      out.changed.push_back(dotted);
      continue;
    }
    out.need_restart.push_back(dotted);
    // Keep the running value: the daemon cannot apply the new one before a restart.
    toml::table* section = fresh->get_as<toml::table>(k.section);
    if (was == nullptr) {
      if (section) section->erase(k.name);
      continue;
    }
    if (!section) {
      fresh->insert_or_assign(k.section, toml::table{});
      section = fresh->get_as<toml::table>(k.section);
    }
    if (!section)
      return make_error(ErrorKind::Invalid,
                        std::string(source_name) + ": [" + k.section + "] is not a section");
    was->visit([&](const auto& v) { section->insert_or_assign(k.name, v); });
  }
  if (auto r = apply_environment(*fresh, environment, base_dir); !r) return r.error();
  auto config = parse_table(*fresh, source_name, base_dir);
  if (!config) return config.error();
  out.config = std::move(config.value());
  return out;
}

Result<Config> load_config(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text) return text.error();
  return parse_config(*text, path.string(), std::filesystem::absolute(path).parent_path(),
                      process_environment);
}

Result<Config> default_config() {
  return parse_config("", "defaults", std::filesystem::current_path(), process_environment);
}

}  // namespace mail
