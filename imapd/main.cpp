// imapd: the IMAP server. Listens on imapd.listen (STARTTLS) and imapd.tls_listen
// (implicit TLS); one coroutine per connection over the shared mailbox store.
//
// SECURITY: passwords are accepted only over TLS, or from loopback when
// imapd.allow_plaintext_auth_on_loopback is set (tests, the demo). Every input is bounded
// (see ImapdConfig).
#include <optional>

#include "auth/open_directory.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/net/daemon.h"
#include "imapd/session.h"
#include "store/open_store.h"

int main(int argc, char** argv) {
  using namespace mail;
  auto cli = parse_command_line(argc, argv, "imapd", "");
  const Config& config = cli.config;
  log::init("imapd", config.log.level);
  auto store = net::open_or_exit(store::open_store(config), "imapd", "store");
  auto directory = net::open_or_exit(auth::open_directory(config), "imapd", "directory");
  auto tls = net::load_tls_or_exit(config.tls, "imapd");

  // Declared before the runtime, so it outlives the sessions the runtime's loops destroy
  // on a forced shutdown.
  std::optional<imapd::ImapContext> context;
  net::Runtime runtime(config.server.io_threads, config.server.worker_threads);
  context.emplace(config, *directory, *store, tls.get(), runtime.workers());
  const auto& limits = config.imapd;
  net::Server server(runtime, "imapd",
                     net::server_limits(config, limits.max_connections,
                                        limits.max_connections_per_ip, limits.max_session_time),
                     tls);

  const std::string busy = "* BYE Too many connections, try again later\r\n";
  const std::string per_ip = "* BYE Too many connections from your address\r\n";
  const std::string bye = "* BYE Server shutting down\r\n";
  const std::string expired = "* BYE Session time limit reached, please reconnect\r\n";
  const size_t max_line = static_cast<size_t>(config.imapd.max_line_length);
  auto handler = [&context](std::shared_ptr<net::Connection> conn, const net::ListenerSpec&) {
    return imapd::run_session(*context, std::move(conn));
  };
  net::listen_or_exit(server,
                      {"imap", config.imapd.listen, false, max_line, busy, bye, per_ip, expired},
                      handler, "imapd");
  if (tls)
    net::listen_or_exit(
        server, {"imaps", config.imapd.tls_listen, true, max_line, busy, bye, per_ip, expired},
        handler, "imapd");
  net::drop_privileges_or_exit(config, "imapd", tls.get());
  net::run_daemon(runtime, server, tls.get(), config);
  return 0;
}
