// Start-up and run steps every network daemon shares: open a backend or exit with a
// message naming what failed, load TLS from the config, bind listeners, drop root, and
// run until SIGTERM (closing sessions) with SIGHUP reloading the certificate. A daemon's
// main() reads as that list:
//   open stores -> load_tls_or_exit -> Runtime -> Server(server_limits(...)) ->
//   listen_or_exit... -> drop_privileges_or_exit -> run_daemon
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/config.h"
#include "common/net/server.h"
#include "common/net/tls.h"
#include "common/result.h"

namespace mail::net {

[[noreturn]] void exit_with_error(std::string_view program, std::string_view what,
                                  const Error& error);

// The value, or exit(1) with "program: cannot open what: reason".
template <typename T>
T open_or_exit(Result<T> result, std::string_view program, std::string_view what) {
  if (!result) exit_with_error(program, "cannot open " + std::string(what), result.error());
  return std::move(result.value());
}

// Null when no certificate is configured; exits when the files cannot be loaded.
std::shared_ptr<TlsContexts> load_tls_or_exit(const TlsConfig& config, std::string_view program);

// The Server limits of one daemon: its section's max_connections, max_connections_per_ip
// and max_session_time, and [server]'s output, write and TLS handshake bounds.
ServerLimits server_limits(const Config& config, int max_connections, int max_connections_per_ip,
                           int max_session_time);

// Binds one listener or exits.
void listen_or_exit(Server& server, ListenerSpec spec, SessionHandler handler,
                    std::string_view program);

// After the listeners are bound: switches to server.user (common/privileges.h) or exits.
// With TLS, checks that the key can still be read for SIGHUP and warns when it cannot.
void drop_privileges_or_exit(const Config& config, std::string_view program, TlsContexts* tls);

// Every server.reader_check_interval, clears LMDB reader slots left by dead processes
// (lmdb::check_stale_readers), so a crashed peer cannot pin old pages forever.
void start_reader_check(Runtime& runtime, const Config& config);

// Runs the event loops until SIGTERM/SIGINT; SIGHUP reloads `tls` when there is one.
// Sessions get `grace` (default server.shutdown_grace) to end. Starts the reader check.
void run_daemon(Runtime& runtime, Server& server, TlsContexts* tls, const Config& config,
                std::optional<std::chrono::seconds> grace = std::nullopt);

}  // namespace mail::net
