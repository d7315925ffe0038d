#include "common/net/daemon.h"

#include "common/log.h"

namespace mail::net {

void exit_with_error(std::string_view program, std::string_view what, const Error& error) {
  std::fprintf(stderr, "%.*s: %.*s%s%s\n", static_cast<int>(program.size()), program.data(),
               static_cast<int>(what.size()), what.data(), what.empty() ? "" : ": ",
               error.message.c_str());
  std::exit(1);
}

std::shared_ptr<TlsContexts> load_tls_or_exit(const TlsConfig& config, std::string_view program) {
  if (!config.enabled()) return nullptr;
  auto tls = std::make_shared<TlsContexts>(config.cert_file, config.key_file);
  if (auto r = tls->load(); !r) exit_with_error(program, "", r.error());
  return tls;
}

void listen_or_exit(Server& server, ListenerSpec spec, SessionHandler handler,
                    std::string_view program) {
  if (auto r = server.listen(std::move(spec), std::move(handler)); !r)
    exit_with_error(program, "", r.error());
}

void run_daemon(Runtime& runtime, Server& server, TlsContexts* tls, const Config& config,
                std::chrono::seconds grace) {
  runtime.on_shutdown([&server] { server.shutdown(); });
  runtime.on_reload([tls] {
    if (!tls) return;
    if (auto r = tls->load(); !r) log::error("tls_reload_failed").kv("error", r.error().message);
  });
  log::info("started").kv("hostname", config.server.hostname);
  runtime.run(grace);
  log::info("stopped");
}

}  // namespace mail::net
