// imapd: the IMAP server. Listens on imapd.listen (STARTTLS) and imapd.tls_listen
// (implicit TLS); one coroutine per connection over the shared mailbox store.
//
// SECURITY: passwords are accepted only over TLS, or from loopback when
// imapd.allow_plaintext_auth_on_loopback is set (tests, the demo), and checked by the
// shared, throttled auth::Authenticator. Every input is bounded (see ImapdConfig).
#include <optional>

#include "auth/authenticator.h"
#include "auth/open_directory.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/net/config_reload.h"
#include "common/net/daemon.h"
#include "common/net/metrics_server.h"
#include "imapd/change_hub.h"
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

  net::Runtime runtime(config.server.io_threads, config.server.worker_threads);
  // After the Runtime: its password pool must stop before the event loops are destroyed.
  auto authenticator =
      net::open_or_exit(auth::Authenticator::open(*directory, config), "imapd", "login throttle");
  // One change-notice socket per process, fanned out to the IDLE sessions.
  auto listener = store::ChangeListener::open(store::notify_dir(config));
  if (!listener) log::warn("change_notices_unavailable").kv("error", listener.error().message);
  imapd::ChangeHub hub(runtime.main_context().get_executor(),
                       listener ? std::move(*listener) : nullptr);
  net::asio::co_spawn(runtime.main_context(), hub.run(), net::asio::detached);
  runtime.on_shutdown([&hub] { hub.stop(); });
  // SIGHUP: new sessions get a context built from the re-read configuration.
  net::ConfigReloader reloader(cli.config_path, config);
  net::LiveContext<imapd::ImapContext> live(reloader.current(), [&](const Config& c) {
    return imapd::ImapContext{c,   *directory, *store, tls.get(), runtime.workers(), *authenticator,
                              &hub};
  });
  reloader.on_change([&live](std::shared_ptr<const Config> c) { live.replace(std::move(c)); });
  net::reload_config_on_sighup(runtime, reloader);
  auto metrics = net::start_metrics_or_exit(runtime, config.imapd.metrics_listen, "imapd");
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
  auto handler = [&live](std::shared_ptr<net::Connection> conn, const net::ListenerSpec& spec) {
    auto generation = live.current();
    auto session = imapd::run_session(generation->context, std::move(conn));
    return net::observed_session(std::move(generation), spec.name, std::move(session));
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
