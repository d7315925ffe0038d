#include "common/net/daemon.h"

#include <functional>
#include <memory>

#include "common/lmdb.h"
#include "common/log.h"
#include "common/privileges.h"

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

ServerLimits server_limits(const Config& config, int max_connections, int max_connections_per_ip,
                           int max_session_time) {
  ServerLimits limits;
  limits.max_connections = max_connections;
  limits.max_connections_per_ip = max_connections_per_ip;
  limits.max_session_time = std::chrono::seconds(max_session_time);
  limits.connection.max_output = static_cast<size_t>(config.server.max_output_buffer);
  limits.connection.write_timeout = std::chrono::seconds(config.server.write_timeout);
  limits.connection.tls_handshake_timeout =
      std::chrono::seconds(config.server.tls_handshake_timeout);
  return limits;
}

void drop_privileges_or_exit(const Config& config, std::string_view program, TlsContexts* tls) {
  auto outcome = drop_privileges(config);
  if (!outcome) exit_with_error(program, "", outcome.error());
  if (*outcome == PrivilegeOutcome::Dropped && tls) {
    if (auto r = tls->load(); !r)
      log::warn("tls_reload_unavailable").kv("error", r.error().message);
  }
}

namespace {

awaitable<void> reader_check_loop(std::shared_ptr<asio::steady_timer> timer,
                                  std::chrono::seconds interval) {
  for (;;) {
    timer->expires_after(interval);
    auto [ec] = co_await timer->async_wait(use_nothrow);
    if (ec) co_return;
    // mdb_reader_check only scans the reader table: short enough for the event loop.
    if (int cleared = lmdb::check_stale_readers(); cleared > 0)
      log::warn("stale_readers_cleared").kv("count", cleared);
  }
}

}  // namespace

void start_reader_check(Runtime& runtime, const Config& config) {
  auto timer = std::make_shared<asio::steady_timer>(runtime.main_context());
  asio::co_spawn(
      runtime.main_context(),
      reader_check_loop(timer, std::chrono::seconds(config.server.reader_check_interval)),
      asio::detached);
  runtime.on_shutdown([timer] { timer->cancel(); });
}

void listen_or_exit(Server& server, ListenerSpec spec, SessionHandler handler,
                    std::string_view program) {
  if (auto r = server.listen(std::move(spec), std::move(handler)); !r)
    exit_with_error(program, "", r.error());
}

void run_daemon(Runtime& runtime, Server& server, TlsContexts* tls, const Config& config,
                std::optional<std::chrono::seconds> grace) {
  runtime.on_shutdown([&server] { server.shutdown(); });
  runtime.on_reload([tls] {
    if (!tls) return;
    if (auto r = tls->load(); !r) log::error("tls_reload_failed").kv("error", r.error().message);
  });
  start_reader_check(runtime, config);
  log::info("started").kv("hostname", config.server.hostname);
  runtime.run(grace.value_or(std::chrono::seconds(config.server.shutdown_grace)));
  log::info("stopped");
}

}  // namespace mail::net
