#include "common/net/start_tls.h"

#include "common/log.h"

namespace mail::net {

awaitable<bool> upgrade_to_tls(Connection& conn, const TlsContexts& contexts,
                               std::chrono::seconds timeout) {
  auto context = contexts.current();
  if (!co_await conn.start_tls(*context, timeout)) {
    log::info("tls_failed").kv("session", conn.id());
    co_return false;
  }
  log::info("tls")
      .kv("session", conn.id())
      .kv("version", conn.tls_version())
      .kv("cipher", conn.tls_cipher());
  co_return true;
}

}  // namespace mail::net
