// Server TLS contexts: OpenSSL 3, TLS 1.2 and 1.3 only, forward-secret AEAD ciphers, no
// compression, no renegotiation. The certificate and key come from files and can be
// reloaded (SIGHUP) without dropping sessions: new handshakes use the new context.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "common/net/asio.h"
#include "common/result.h"

namespace mail::net {

Result<std::shared_ptr<ssl::context>> make_server_tls_context(
    const std::filesystem::path& cert_file, const std::filesystem::path& key_file);

// Holds the current context; sessions take a reference per handshake.
class TlsContexts {
 public:
  TlsContexts(std::filesystem::path cert_file, std::filesystem::path key_file)
      : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}
  Result<void> load();  // (re)reads the files; keeps the old context on failure
  std::shared_ptr<ssl::context> current() const;

 private:
  std::filesystem::path cert_file_, key_file_;
  mutable std::mutex mutex_;
  std::shared_ptr<ssl::context> current_;
};

}  // namespace mail::net
