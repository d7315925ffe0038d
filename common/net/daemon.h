// Start-up and run steps every network daemon shares: open a backend or exit with a
// message naming what failed, load TLS from the config, bind listeners, and run until
// SIGTERM (closing sessions) with SIGHUP reloading the certificate.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>
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

// Binds one listener or exits.
void listen_or_exit(Server& server, ListenerSpec spec, SessionHandler handler,
                    std::string_view program);

// Runs the event loops until SIGTERM/SIGINT; SIGHUP reloads `tls` when there is one. After
// SIGTERM, open sessions get `grace` to end before the loops stop.
void run_daemon(Runtime& runtime, Server& server, TlsContexts* tls, const Config& config,
                std::chrono::seconds grace = std::chrono::seconds(10));

}  // namespace mail::net
