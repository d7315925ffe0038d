// The server side of upgrading a live plaintext session to TLS (SMTP STARTTLS, RFC 3207;
// POP3 STLS, RFC 2595 4; IMAP STARTTLS can adopt it): the handshake with the current
// certificate, and the one "tls" / "tls_failed" log line every daemon writes for it.
// The protocol's own reply before the handshake and the state it forgets afterwards stay
// with each protocol.
#pragma once

#include <chrono>

#include "common/net/asio.h"
#include "common/net/connection.h"
#include "common/net/tls.h"

namespace mail::net {

// Does the handshake within `timeout` with contexts.current() (Connection::start_tls
// drops whatever the client pipelined behind the command: plaintext injection). false:
// it failed and the session must end.
awaitable<bool> upgrade_to_tls(Connection& conn, const TlsContexts& contexts,
                               std::chrono::seconds timeout);

}  // namespace mail::net
