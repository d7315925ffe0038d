// The suite's configuration: one TOML file, one section per daemon plus shared sections.
// Every key, its type and its default live here and in config.cpp's schema table, and
// are documented in docs/config.md. Unknown keys and bad values stop start-up with an
// error naming the key and its line. Without --config, the embedded defaults apply
// (loopback ports, ./data).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mail {

struct ServerConfig {
  std::string hostname = "localhost";       // our name in greetings and Received headers
  std::filesystem::path data_dir = "data";  // holds store/, queue/, directory/
  int io_threads = 0;                       // event-loop threads; 0 = one per core
  int worker_threads = 8;                   // pool for blocking calls (LMDB, fsync)
  // Account (or alias) that receives postmaster@<each local domain> and <Postmaster> when
  // no such account or alias exists (RFC 5321 4.5.1); empty: the domain's first account.
  std::string postmaster;

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
  int max_commands_without_progress = 100;  // NOOP/RSET/VRFY/HELP/EHLO... before a message
  int greeting_delay = 0;   // seconds of silence before the MX greeting (early talkers)
  int shutdown_grace = 10;  // seconds a message in DATA/BDAT may take to finish on SIGTERM
  bool smtputf8 = true;     // offer SMTPUTF8 (RFC 6531)
  bool dsn = true;          // offer DSN (RFC 3461)
  bool chunking = true;     // offer CHUNKING and BINARYMIME (RFC 3030)
  // Submission and SMTP AUTH (RFC 4954, RFC 6409).
  bool auth_on_mx = false;                        // offer AUTH on the MX listener too (after TLS)
  bool allow_plaintext_auth_on_loopback = false;  // AUTH without TLS from 127.0.0.0/8, ::1
  int max_auth_failures = 3;             // failed AUTH in one session before 421 and disconnect
  bool check_header_from = true;         // authenticated: From:/Sender: must be the user's too
  int max_author_addresses = 10;         // From: plus Sender: addresses checked; more: refused
  bool hide_authenticated_user = false;  // leave the user name out of the Received header
  std::string metrics_listen;            // Prometheus endpoint (GET /metrics); empty: off
  int max_connections_per_ip = 50;       // concurrent sessions from one client address
  int max_session_time = 3600;           // seconds a session may last; then 421 4.4.2
};

struct ImapdConfig {
  std::string listen = "127.0.0.1:2143";         // IMAP with STARTTLS (143)
  std::string tls_listen = "127.0.0.1:2993";     // IMAPS, implicit TLS (993)
  int max_line_length = 65536;                   // command line octets, literals excluded
  uint64_t max_command_size = 65536;             // lines + literals, APPEND data excepted
  uint64_t max_literal_size = 25 * 1024 * 1024;  // APPEND data of one command (APPENDLIMIT)
  uint64_t max_literal_before_login = 8192;      // any literal before authentication
  int max_list_pattern = 1024;  // LIST/LSUB reference + pattern octets, all patterns
  uint64_t max_append_command_size = 25 * 1024 * 1024;  // APPEND data of all messages (MULTIAPPEND)
  int max_mailboxes = 10000;                            // mailboxes of one account (CREATE, RENAME)
  bool compress = true;  // offer COMPRESS=DEFLATE (RFC 4978); about 77 KiB per session using it
  int max_connections = 5000;
  // Clients keep several connections each (one IDLE per watched mailbox) and an office
  // behind NAT shares one address: higher than SMTP's.
  int max_connections_per_ip = 100;
  int max_session_time = 86400;        // seconds; then * BYE (clients reconnect)
  int max_bad_commands = 20;           // BAD replies before BYE
  int max_commands_before_login = 20;  // commands without a successful login before BYE
  int idle_timeout = 1800;             // seconds of silence before autologout (RFC 9051: >= 30 min)
  int login_timeout = 60;  // seconds of silence before login (and per pre-login command)
  bool allow_plaintext_auth_on_loopback = false;  // LOGIN without TLS from 127.0.0.0/8, ::1
  std::string metrics_listen;                     // Prometheus endpoint; empty: off
  int idle_refresh_interval = 60;   // seconds between IDLE's safety refreshes (notices wake it)
  int idle_keepalive = 120;         // seconds between "* OK Still here" during IDLE
  int max_login_failures = 3;       // failed LOGIN/AUTHENTICATE in one session before BYE
  int max_update_contexts = 10;     // live SEARCH/SORT RETURN (UPDATE) contexts (RFC 5267)
  int max_update_changes = 10000;   // changed messages one refresh re-evaluates for them
  int max_url_length = 8192;        // octets of one IMAP URL (URLAUTH, URLFETCH, CATENATE)
  int max_urlfetch_urls = 100;      // URLs in one URLFETCH command (RFC 5524)
  int notify_max_mailboxes = 1000;  // names in one NOTIFY SET and mailboxes it may watch (RFC 5465)
  int notify_max_pending = 1000;    // changes held for a NOTIFY session before overflow
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
  int login_timeout = 60;       // seconds from connect to a successful login
  int max_login_commands = 20;  // commands before login; then -ERR and disconnect
  int max_login_failures = 3;   // failed logins in one session before disconnect
  std::string metrics_listen;   // Prometheus endpoint; empty: off
};

// Login throttling, the password-check pool and cache, SCRAM keys (auth/authenticator.h).
// Shared by smtpd, imapd and pop3d.
struct AuthConfig {
  int failure_delay_ms = 2000;            // delay after the first failed login, doubling
  int max_failure_delay_ms = 15000;       // ... up to this (Dovecot's auth penalty: 2 s to 15 s)
  int ip_failure_limit = 30;              // failures from one address (IPv6: /64) before refusal
  int account_failure_limit = 10;         // failures for one account before refusal
  int lockout = 300;                      // seconds of refusal after the limit's last failure
  int failure_memory = 900;               // seconds after which a failure counter is forgotten
  uint64_t throttle_map_size = 64 << 20;  // octets of the data_dir/throttle LMDB map
  int password_threads = 2;               // threads of the password-check pool (argon2id)
  int password_queue = 64;                // checks waiting for a thread; more: temporary failure
  int cache_ttl = 60;                     // seconds a successful verification is remembered; 0: off
  int cache_size = 10000;                 // entries of that cache
  int scram_iterations = 10000;           // PBKDF2 count of SCRAM-SHA-256 keys (RFC 7677: >= 4096)
};

struct QueueConfig {
  std::string backend = "lmdb";  // the spool's backend (queue::open_spool); its map maximum
                                 // is server.queue_max_size
  // The delivery history behind `mailctl report` (queue/spool.h HistoryRecord).
  int report_retention_days = 30;          // days a recipient attempt's record is kept
  int64_t report_max_records = 5'000'000;  // records kept at most; the oldest go first
  int report_max_domains = 100000;  // destination domains one report tallies; more: "(other)"
};

struct QueuedConfig {
  int scan_interval = 30;              // seconds between scans of the queue for due messages
  int retry_delay = 300;               // seconds before the first retry; doubles per attempt
  int max_retry_delay = 3600;          // seconds: the longest wait between two attempts
  int queue_lifetime = 5 * 86400;      // seconds a recipient may stay pending, then it fails
  int claim_lease = 300;               // seconds a claim holds a message; renewed while busy
  int batch_size = 256;                // messages claimed and delivered in one transaction
  int local_concurrency = 2;           // local delivery batches in flight at once
  std::string worker_name = "queued";  // names our claims; distinct per queued on one queue
  std::string metrics_listen;          // Prometheus endpoint; empty: off
  int shutdown_grace = 30;             // seconds a delivery pass gets to finish after SIGTERM
};

struct DnsConfig {
  // Resolvers to ask, "IP" or "IP@port" ("127.0.0.1@5353", "::1@53"); empty: the system's
  // (nameserver lines of /etc/resolv.conf, and /etc/hosts).
  std::vector<std::string> resolvers;
  int timeout = 10;  // seconds for one lookup, then it fails as temporary (Timeout)
  // DNSSEC trust anchors (unbound's format, e.g. /usr/share/dns/root.key); empty: no
  // validation, every answer is "insecure".
  std::filesystem::path trust_anchor_file;
};

// A sender-dependent route (Postfix's sender_dependent_relayhost_maps and
// smtp_bind_address): mail from this sender goes through `relayhost` and/or leaves from
// `source_address`. Either may be empty.
struct SenderRoute {
  std::string relayhost;                // "host:port" or "[host]:port"; "" keeps the route
  std::string source_address;           // IPv4 or IPv6 address to send from; "" the default
  std::string user;                     // AUTH to the relayhost (over TLS only)
  std::filesystem::path password_file;  // its password, first line of the file
};

// Per destination domain; 0 means the [relay] default.
struct DestinationLimit {
  int concurrency = 0;  // connections at once
  int rate = 0;         // messages per minute
};

struct RelayConfig {
  std::string helo_name;       // our EHLO name; "" means server.hostname
  int smtp_port = 25;          // port of MX hosts (tests point it at a sink)
  std::string smarthost;       // "host:port": all remote mail goes there; "" MX routing
  std::string smarthost_user;  // AUTH PLAIN/LOGIN to the smarthost, over TLS only
  std::filesystem::path smarthost_password_file;
  std::string source_address;             // IPv4 address outgoing connections bind to; "" any
  std::string source_address6;            // IPv6 address outgoing connections bind to; "" any
  std::string address_families = "both";  // "both", "ipv4", "ipv6"
  std::string tls_policy = "may";         // "none", "may" (opportunistic), "encrypt", "verify"
  std::filesystem::path tls_ca_file;      // CA bundle for "verify"; "" the system's
  std::map<std::string, std::string> tls_policies;   // destination domain -> policy
  std::map<std::string, std::string> transport;      // domain -> "host:port"
  std::map<std::string, SenderRoute> sender_routes;  // sender address or domain -> route
  int destination_concurrency = 20;                  // connections at once per destination domain
  int destination_rate = 0;  // messages per minute per destination domain; 0 no limit
  std::map<std::string, DestinationLimit> destination_limits;  // per-domain overrides
  int rate_max_wait = 60;            // seconds a message may wait for its rate slot
  int connect_timeout = 30;          // seconds per TCP connect
  int greeting_timeout = 300;        // RFC 5321 4.5.3.2.1
  int command_timeout = 300;         // EHLO, HELO, STARTTLS, AUTH, RSET, QUIT
  int mail_timeout = 300;            // RFC 5321 4.5.3.2.2
  int rcpt_timeout = 300;            // RFC 5321 4.5.3.2.3
  int data_init_timeout = 120;       // RFC 5321 4.5.3.2.4
  int data_block_timeout = 180;      // RFC 5321 4.5.3.2.5
  int data_done_timeout = 600;       // RFC 5321 4.5.3.2.6
  int tls_timeout = 60;              // seconds for the TLS handshake
  int max_reply_lines = 100;         // lines of one server reply
  int max_reply_line_length = 2048;  // octets of one reply line (RFC 5321 4.5.3.1.5: 512)
  int max_mx_hosts = 5;              // MX hosts tried per destination
  int max_addresses = 10;            // addresses tried per destination
  int max_messages_per_connection = 100;
  int connection_cache_time = 2;      // seconds an idle connection waits for the next message
  int dead_destination_time = 120;    // seconds a next hop that took no connection is skipped
  int max_received_headers = 100;     // more: the message loops, bounce 5.4.6
  int bounce_size_limit = 50000;      // octets of the original a bounce returns in full
  int delay_notice_after = 4 * 3600;  // seconds after arrival: a "delayed" DSN; 0 none
  int concurrency = 50;               // relay batches in flight at once (each: one next hop)
  int user_hourly_limit = 0;          // messages per hour per authenticated user; 0 no limit
  int user_daily_limit = 0;           // messages per day per authenticated user; 0 no limit
  bool suppression = true;            // refuse suppressed (hard-bounced) recipients at RCPT
};

// Mail authentication (mailauth/, docs/mail-authentication.md): SPF, DKIM and DMARC on
// mail arriving at the MX port, DKIM signing of authenticated senders' mail.
struct MailauthConfig {
  bool spf = true;          // check SPF at MAIL FROM (HELO for the null sender)
  bool dkim_verify = true;  // verify every DKIM signature after DATA/BDAT
  bool dmarc = true;        // apply the sender domain's DMARC policy
  bool dkim_sign = true;    // sign mail of authenticated senders with data_dir/dkim keys
  std::string authserv_id;  // our name in Authentication-Results; empty: server.hostname
  // A temporary DNS error that could change the outcome: "defer" (451 4.7.x, the client
  // retries) or "accept" (delivered, the result says temperror).
  std::string on_temperror = "defer";
  std::string spf_fail = "mark";  // SPF fail: "mark" (DMARC decides) or "reject" (550 5.7.23)
  // DMARC p=reject: "reject" (550 5.7.1 at the end of DATA), "quarantine" or "mark".
  std::string dmarc_reject = "reject";
  std::string dmarc_quarantine = "quarantine";  // DMARC p=quarantine: "quarantine" or "mark"
  // Per recipient domain (ours), replaces dmarc_reject: { "example.org" = "quarantine" }.
  std::map<std::string, std::string> dmarc_reject_by_domain;
  int timeout = 20;              // seconds for all checks of one message (then temperror)
  int threads = 8;               // threads running libspf2 and libopendkim (they wait on DNS)
  int dkim_max_signatures = 8;   // signatures verified per message; the rest are ignored
  int dkim_min_key_bits = 1024;  // RSA keys below this fail (RFC 8301 3.2)
  std::filesystem::path public_suffix_list = "/usr/share/publicsuffix/public_suffix_list.dat";
};

struct Config {
  ServerConfig server;
  TlsConfig tls;
  LogConfig log;
  SmtpdConfig smtpd;
  ImapdConfig imapd;
  Pop3dConfig pop3d;
  QueueConfig queue;
  QueuedConfig queued;
  AuthConfig auth;
  DnsConfig dns;
  RelayConfig relay;
  MailauthConfig mailauth;

  std::filesystem::path store_dir() const { return server.data_dir / "store"; }
  std::filesystem::path queue_dir() const { return server.data_dir / "queue"; }
  std::filesystem::path directory_dir() const { return server.data_dir / "directory"; }
  // Login failure counters shared by smtpd, imapd and pop3d (no fsync).
  std::filesystem::path throttle_dir() const { return server.data_dir / "throttle"; }
  // Suppression list and per-user sending counters (queued/relay/sending_policy.h).
  std::filesystem::path sending_dir() const { return server.data_dir / "sending"; }
  // queued's control socket: smtpd sends a datagram here after each enqueue.
  std::filesystem::path queued_socket() const { return server.data_dir / "queued.sock"; }
  // DKIM signing keys: dkim/<domain>/<selector>.pem and dkim/<domain>/active (mailctl dkim).
  std::filesystem::path dkim_dir() const { return server.data_dir / "dkim"; }
  // Our authserv-id (RFC 8601 2.5): mailauth.authserv_id, or the host name.
  const std::string& authserv_id() const {
    return mailauth.authserv_id.empty() ? server.hostname : mailauth.authserv_id;
  }
};

// Looks up an environment variable (std::getenv in the programs; a table in tests).
using Environment = std::function<const char*(const char* name)>;

// Parses TOML text. Relative paths are taken relative to `base_dir`. The error names the
// key and the line ("config.toml:12: smtpd.max_recipients: expected an integer >= 1").
// With `environment`, a variable MAIL_<SECTION>_<KEY> (MAIL_SERVER_HOSTNAME,
// MAIL_SMTPD_LISTEN, MAIL_TLS_CERT_FILE...) overrides that key of the file; its value is
// read as a TOML value (25, true, ["1.1.1.1"]) or else as a string (for containers:
// docker/README.md).
Result<Config> parse_config(std::string_view text, std::string_view source_name,
                            const std::filesystem::path& base_dir,
                            const Environment& environment = nullptr);
// Reads the file and applies the process environment's overrides.
Result<Config> load_config(const std::filesystem::path& path);
// The embedded defaults (no file) with the environment's overrides; relative paths are
// taken relative to the current directory.
Result<Config> default_config();

// The environment variable that overrides a key: "smtpd", "max_recipients" ->
// "MAIL_SMTPD_MAX_RECIPIENTS".
std::string environment_name(std::string_view section, std::string_view key);

// SIGHUP (common/net/config_reload.h): the file as it is now, merged with the running one.
// Keys that can change in a running daemon (is_live_key) take the file's new values; every
// other key keeps its running value and is named in `need_restart`.
struct ConfigReload {
  Config config;
  std::vector<std::string> changed;       // live keys that differ from the running file
  std::vector<std::string> need_restart;  // other keys that differ: ignored until restart
};
Result<ConfigReload> reload_config(std::string_view running_text, std::string_view new_text,
                                   std::string_view source_name,
                                   const std::filesystem::path& base_dir,
                                   const Environment& environment = nullptr);

// Whether a SIGHUP applies a key ("log.level", "smtpd.max_recipients") to new sessions
// of running daemons. docs/config.md marks the others "restart".
bool is_live_key(std::string_view section, std::string_view key);

}  // namespace mail
