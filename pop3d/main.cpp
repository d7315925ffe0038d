// pop3d: the POP3 server. Listens on pop3d.listen (POP3 with STLS) and, when a certificate
// is configured, pop3d.tls_listen (POP3S, implicit TLS, RFC 8314). Reads the directory for
// logins and the store for INBOX; writes the store only to remove messages after QUIT.
//
// SECURITY: passwords are accepted only over TLS (or on loopback when
// pop3d.allow_plaintext_auth_on_loopback is set). Every input is bounded (see Pop3dConfig).
#include <cstdio>

#include "auth/directory.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/net/server.h"
#include "pop3d/session.h"
#include "store/mail_store.h"

int main(int argc, char** argv) {
  using namespace mail;
  auto cli = parse_command_line(argc, argv, "pop3d", "");
  const Config& config = cli.config;
  log::init("pop3d", config.log.level);

  auto store = store::open_lmdb_store(config.store_dir());
  if (!store) {
    std::fprintf(stderr, "pop3d: cannot open store: %s\n", store.error().message.c_str());
    return 1;
  }
  auto directory = auth::open_lmdb_directory(config.directory_dir());
  if (!directory) {
    std::fprintf(stderr, "pop3d: cannot open directory: %s\n", directory.error().message.c_str());
    return 1;
  }
  std::shared_ptr<net::TlsContexts> tls;
  if (config.tls.enabled()) {
    tls = std::make_shared<net::TlsContexts>(config.tls.cert_file, config.tls.key_file);
    if (auto r = tls->load(); !r) {
      std::fprintf(stderr, "pop3d: %s\n", r.error().message.c_str());
      return 1;
    }
  }

  net::Runtime runtime(config.server.io_threads, config.server.worker_threads);
  pop3d::Pop3Context context{config, **directory, **store, runtime.workers(), tls.get()};
  net::Server server(runtime, "pop3d", config.pop3d.max_connections, tls);

  // RFC 3206 4: SYS/TEMP tells the client to try again later.
  const std::string busy = "-ERR [SYS/TEMP] Too many connections\r\n";
  const size_t max_line = static_cast<size_t>(config.pop3d.max_line_length);
  struct Spec {
    const char* name;
    std::string address;
    bool implicit_tls;
  };
  const Spec specs[] = {
      {"pop3", config.pop3d.listen, false},
      {"pop3s", tls ? config.pop3d.tls_listen : "", true},
  };
  for (const auto& spec : specs) {
    if (spec.address.empty()) continue;
    auto r =
        server.listen(net::ListenerSpec{spec.name, spec.address, spec.implicit_tls, max_line, busy},
                      [&context](std::shared_ptr<net::Connection> conn, const net::ListenerSpec&) {
                        return pop3d::run_session(context, std::move(conn));
                      });
    if (!r) {
      std::fprintf(stderr, "pop3d: %s\n", r.error().message.c_str());
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
