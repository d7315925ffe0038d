// imapd: the IMAP server. Listens on imapd.listen (STARTTLS) and imapd.tls_listen
// (implicit TLS); one coroutine per connection over the shared mailbox store.
//
// SECURITY: passwords are accepted only over TLS, or from loopback when
// imapd.allow_plaintext_auth_on_loopback is set (tests, the demo). Every input is bounded
// (see ImapdConfig).
#include <cstdio>

#include "auth/directory.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/net/server.h"
#include "imapd/session.h"
#include "store/mail_store.h"

int main(int argc, char** argv) {
  using namespace mail;
  auto cli = parse_command_line(argc, argv, "imapd", "");
  const Config& config = cli.config;
  log::init("imapd", config.log.level);

  auto store = store::open_lmdb_store(config.store_dir());
  if (!store) {
    std::fprintf(stderr, "imapd: cannot open store: %s\n", store.error().message.c_str());
    return 1;
  }
  auto directory = auth::open_lmdb_directory(config.directory_dir());
  if (!directory) {
    std::fprintf(stderr, "imapd: cannot open directory: %s\n", directory.error().message.c_str());
    return 1;
  }
  std::shared_ptr<net::TlsContexts> tls;
  if (config.tls.enabled()) {
    tls = std::make_shared<net::TlsContexts>(config.tls.cert_file, config.tls.key_file);
    if (auto r = tls->load(); !r) {
      std::fprintf(stderr, "imapd: %s\n", r.error().message.c_str());
      return 1;
    }
  }

  net::Runtime runtime(config.server.io_threads, config.server.worker_threads);
  imapd::ImapContext context{config, **directory, **store, tls.get(), runtime.workers()};
  net::Server server(runtime, "imapd", config.imapd.max_connections, tls);
  const std::string busy = "* BYE Too many connections, try again later\r\n";
  const size_t max_line = static_cast<size_t>(config.imapd.max_line_length);
  auto handler = [&context](std::shared_ptr<net::Connection> conn, const net::ListenerSpec&) {
    return imapd::run_session(context, std::move(conn));
  };
  for (auto spec : {net::ListenerSpec{"imap", config.imapd.listen, false, max_line, busy},
                    net::ListenerSpec{"imaps", tls ? config.imapd.tls_listen : "", true, max_line, busy}}) {
    if (auto r = server.listen(spec, handler); !r) {
      std::fprintf(stderr, "imapd: %s\n", r.error().message.c_str());
      return 1;
    }
  }
  runtime.on_shutdown([&] { server.shutdown(); });
  runtime.on_reload([&] {
    if (!tls) return;
    if (auto r = tls->load(); !r) log::error("tls_reload_failed").kv("error", r.error().message);
  });
  log::info("started").kv("hostname", config.server.hostname);
  runtime.run();
  log::info("stopped");
  return 0;
}
