// The suite's configuration: one TOML file, one section per daemon plus shared sections.
// Every key, its type and its default live here and in config.cpp's schema table, and
// are documented in docs/config.md. Unknown keys and bad values stop start-up with an
// error naming the key and its line. Without --config, the embedded defaults apply
// (loopback ports, ./data).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.h"

namespace mail {

struct ServerConfig {
  std::string hostname = "localhost";       // our name in greetings and Received headers
  std::filesystem::path data_dir = "data";  // holds store/, queue/, directory/
  int io_threads = 0;                       // event-loop threads; 0 = one per core
  int worker_threads = 4;                   // pool for blocking calls (LMDB, argon2, fsync)

  // Privileges (docs/security.md). Started as root, a daemon binds its listeners, then
  // runs as `user`:`group` (group empty: the user's primary group); "" keeps the starting
  // user, which as root needs allow_root. Not started as root, the keys are ignored.
  std::string user = "mail";
  std::string group;
  bool allow_root = false;

  // Output and timing bounds of every connection (common/net).
  // Queued reply octets before reads wait for them. 100 clients that never read cost about
  // 100 x 430 KB at this value (measured; 490 KB at 1 MiB), within the 64 MiB the hostile
  // tests allow; a command whose reply fills the limit (RETR, FETCH) makes it the bound.
  uint64_t max_output_buffer = 256 * 1024;
  int write_timeout = 60;          // seconds for the peer to take queued output
  int tls_handshake_timeout = 30;  // seconds for a TLS handshake (465/993/995, STARTTLS)
  int shutdown_grace = 10;         // seconds sessions get to end after SIGTERM

  // LMDB maps (common/lmdb): each starts small and grows on demand up to its maximum.
  uint64_t store_max_size = uint64_t{16} << 30;     // octets, store/
  uint64_t queue_max_size = uint64_t{8} << 30;      // octets, queue/
  uint64_t directory_max_size = uint64_t{1} << 30;  // octets, directory/
  int reader_check_interval = 60;  // seconds between clearing reader slots of dead processes
};

struct TlsConfig {
  std::filesystem::path cert_file;  // PEM chain; TLS is off when empty
  std::filesystem::path key_file;   // PEM private key
  bool enabled() const { return !cert_file.empty(); }
};

struct LogConfig {
  std::string level = "info";  // "debug", "info", "warn", "error"
};

struct SmtpdConfig {
  std::string listen = "127.0.0.1:2525";              // MX (port 25 in production)
  std::string submission_listen = "127.0.0.1:2587";   // submission, STARTTLS (587)
  std::string submissions_listen = "127.0.0.1:2465";  // submissions, implicit TLS (465)
  uint64_t max_message_size = 25 * 1024 * 1024;       // octets, advertised in SIZE
  int max_recipients = 100;                           // per message; more get 452 4.5.3
  int max_line_length = 1000;                         // command line octets incl. CRLF
  int max_connections = 1000;                         // concurrent sessions, all listeners
  int max_errors = 10;                                // protocol errors before 421
  int command_timeout = 300;                          // seconds (RFC 5321 4.5.3.2.7)
  int data_timeout = 180;                             // seconds per DATA read (4.5.3.2.5)
  int max_connections_per_ip = 50;                    // concurrent sessions from one client address
  int max_session_time = 3600;                        // seconds a session may last; then 421 4.4.2
};

struct ImapdConfig {
  std::string listen = "127.0.0.1:2143";      // IMAP with STARTTLS (143)
  std::string tls_listen = "127.0.0.1:2993";  // IMAPS, implicit TLS (993)
  int max_line_length = 65536;                // command line octets, literals excluded
  uint64_t max_literal_size = 25 * 1024 * 1024;
  int max_connections = 5000;
  // Clients keep several connections each (one IDLE per watched mailbox) and an office
  // behind NAT shares one address: higher than SMTP's.
  int max_connections_per_ip = 100;
  int max_session_time = 86400;  // seconds; then * BYE (clients reconnect)
  int max_bad_commands = 20;     // BAD replies before BYE
  int idle_timeout = 1800;       // seconds of silence before autologout (RFC 9051: >= 30 min)
  bool allow_plaintext_auth_on_loopback = false;  // LOGIN without TLS from 127.0.0.0/8, ::1
};

struct Pop3dConfig {
  std::string listen = "127.0.0.1:2110";      // POP3 with STLS (110)
  std::string tls_listen = "127.0.0.1:2995";  // POP3S, implicit TLS (995)
  int max_line_length = 1024;
  int max_connections = 1000;
  int max_connections_per_ip = 50;
  int max_session_time = 3600;  // seconds; then -ERR [SYS/TEMP]
  int max_bad_commands = 10;
  int idle_timeout = 600;  // seconds (RFC 1939: at least 10 minutes)
  bool allow_plaintext_auth_on_loopback = false;
};

struct QueuedConfig {
  int scan_interval = 30;   // seconds between scans of the queue for due messages
  int retry_delay = 300;    // seconds before retrying a temporary failure
  int shutdown_grace = 30;  // seconds a delivery pass gets to finish after SIGTERM
};

struct Config {
  ServerConfig server;
  TlsConfig tls;
  LogConfig log;
  SmtpdConfig smtpd;
  ImapdConfig imapd;
  Pop3dConfig pop3d;
  QueuedConfig queued;

  std::filesystem::path store_dir() const { return server.data_dir / "store"; }
  std::filesystem::path queue_dir() const { return server.data_dir / "queue"; }
  std::filesystem::path directory_dir() const { return server.data_dir / "directory"; }
  // queued's control socket: smtpd sends a datagram here after each enqueue.
  std::filesystem::path queued_socket() const { return server.data_dir / "queued.sock"; }
};

// Parses TOML text. Relative paths are taken relative to `base_dir`. The error names the
// key and the line ("config.toml:12: smtpd.max_recipients: expected an integer >= 1").
Result<Config> parse_config(std::string_view text, std::string_view source_name,
                            const std::filesystem::path& base_dir);
Result<Config> load_config(const std::filesystem::path& path);

}  // namespace mail
