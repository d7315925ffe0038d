// pop3d: the POP3 server. Listens on pop3d.listen (POP3 with STLS) and, when a certificate
// is configured, pop3d.tls_listen (POP3S, implicit TLS, RFC 8314). Reads the directory for
// logins and the store for INBOX; writes the store only to remove messages after QUIT.
//
// SECURITY: passwords are accepted only over TLS (or on loopback when
// pop3d.allow_plaintext_auth_on_loopback is set). Every input is bounded (see Pop3dConfig).
#include <optional>

#include "auth/authenticator.h"
#include "auth/open_directory.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/net/config_reload.h"
#include "common/net/daemon.h"
#include "common/net/metrics_server.h"
#include "pop3d/session.h"
#include "store/open_store.h"

int main(int argc, char** argv) {
  using namespace mail;
  auto cli = parse_command_line(argc, argv, "pop3d", "");
  const Config& config = cli.config;
  log::init("pop3d", config.log.level);
  auto store = net::open_or_exit(store::open_store(config), "pop3d", "store");
  auto directory = net::open_or_exit(auth::open_directory(config), "pop3d", "directory");
  auto tls = net::load_tls_or_exit(config.tls, "pop3d");

  net::Runtime runtime(config.server.io_threads, config.server.worker_threads);
  // After the Runtime: its password pool must stop before the event loops are destroyed.
  auto authenticator =
      net::open_or_exit(auth::Authenticator::open(*directory, config), "pop3d", "login throttle");
  // SIGHUP: new sessions get a context built from the re-read configuration. Each session
  // holds its generation (and so the context where its destructor releases the maildrop
  // lock) until it is destroyed, also on a forced shutdown.
  net::ConfigReloader reloader(cli.config_path, config);
  net::LiveContext<pop3d::Pop3Context> live(reloader.current(), [&](const Config& c) {
    return pop3d::Pop3Context{c, *directory, *store, runtime.workers(), tls.get(), *authenticator};
  });
  reloader.on_change([&live](std::shared_ptr<const Config> c) { live.replace(std::move(c)); });
  net::reload_config_on_sighup(runtime, reloader);
  auto metrics = net::start_metrics_or_exit(runtime, config.pop3d.metrics_listen, "pop3d");
  const auto& limits = config.pop3d;
  net::Server server(runtime, "pop3d",
                     net::server_limits(config, limits.max_connections,
                                        limits.max_connections_per_ip, limits.max_session_time),
                     tls);

  // RFC 3206 4: SYS/TEMP tells the client to try again later.
  const std::string busy = "-ERR [SYS/TEMP] Too many connections\r\n";
  const std::string per_ip = "-ERR [SYS/TEMP] Too many connections from your address\r\n";
  const std::string bye = "-ERR [SYS/TEMP] Server shutting down\r\n";
  const std::string expired = "-ERR [SYS/TEMP] Session time limit reached\r\n";
  const size_t max_line = static_cast<size_t>(config.pop3d.max_line_length);
  auto handler = [&live](std::shared_ptr<net::Connection> conn, const net::ListenerSpec& spec) {
    auto generation = live.current();
    auto session = pop3d::run_session(generation->context, std::move(conn));
    return net::observed_session(std::move(generation), spec.name, std::move(session));
  };
  net::listen_or_exit(server,
                      {"pop3", config.pop3d.listen, false, max_line, busy, bye, per_ip, expired},
                      handler, "pop3d");
  if (tls)
    net::listen_or_exit(
        server, {"pop3s", config.pop3d.tls_listen, true, max_line, busy, bye, per_ip, expired},
        handler, "pop3d");
  net::drop_privileges_or_exit(config, "pop3d", tls.get());
  net::run_daemon(runtime, server, tls.get(), config);
  return 0;
}
