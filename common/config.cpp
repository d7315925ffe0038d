// Loads the suite's TOML configuration into Config. The schema below is the single list of
// keys: each entry names its section and key and knows how to check and store its value.
// Input is untrusted text: every key is checked, unknown ones are refused.
#include "common/config.h"

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <fstream>
#include <functional>
#include <limits>
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
      {"imapd", "max_mailboxes", integer(&Config::imapd, &ImapdConfig::max_mailboxes, 10, 10000000)},
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
      {"dns", "resolvers", resolvers(&DnsConfig::resolvers)},
      {"dns", "timeout", integer(&Config::dns, &DnsConfig::timeout, 1, 300)},
      {"dns", "trust_anchor_file", path(&Config::dns, &DnsConfig::trust_anchor_file)},
      {"queued", "shutdown_grace",
       integer(&Config::queued, &QueuedConfig::shutdown_grace, 0, 3600)},
  };
  return keys;
}

std::string where(std::string_view source, const toml::source_region& region) {
  return std::string(source) + ":" + std::to_string(region.begin.line);
}

}  // namespace

Result<Config> parse_config(std::string_view text, std::string_view source_name,
                            const std::filesystem::path& base_dir) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    return make_error(ErrorKind::Invalid, std::string(source_name) + ":" +
                                              std::to_string(e.source().begin.line) + ": " +
                                              std::string(e.description()));
  }
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
  return config;
}

Result<Config> load_config(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorKind::NotFound, "cannot read config file " + path.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_config(buffer.str(), path.string(), std::filesystem::absolute(path).parent_path());
}

}  // namespace mail
