#include "common/net/tls.h"

#include <openssl/ssl.h>

namespace mail::net {

Result<std::shared_ptr<ssl::context>> make_server_tls_context(
    const std::filesystem::path& cert_file, const std::filesystem::path& key_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(
      native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // An idle session (IMAP IDLE, thousands at once) gives OpenSSL's record buffers back
  // between records. net::TlsStream (tls_stream.h) adds no buffers of its own: Asio's
  // ssl::stream held two 17 KiB vectors and a BIO pair per session (about 94 KiB per idle
  // IMAPS session in bench/imap_idle.py).
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  // TLS 1.2: ECDHE with AEAD only. TLS 1.3 suites are all AEAD and forward-secret.
  SSL_CTX_set_cipher_list(native,
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_file.string(), ec);
  if (ec)
    return make_error(ErrorKind::Invalid,
                      "tls.cert_file " + cert_file.string() + ": " + ec.message());
  ctx->use_private_key_file(key_file.string(), ssl::context::pem, ec);
  if (ec)
    return make_error(ErrorKind::Invalid,
                      "tls.key_file " + key_file.string() + ": " + ec.message());
  if (SSL_CTX_check_private_key(native) != 1)
    return make_error(ErrorKind::Invalid, "tls.key_file does not match tls.cert_file");
  return ctx;
}

Result<void> TlsContexts::load() {
  auto ctx = make_server_tls_context(cert_file_, key_file_);
  if (!ctx) return ctx.error();
  std::lock_guard lock(mutex_);
  current_ = std::move(ctx.value());
  return {};
}

std::shared_ptr<ssl::context> TlsContexts::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

}  // namespace mail::net
