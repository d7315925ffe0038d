// The SMTP client dialogue (RFC 5321) over one connection to one server, as a coroutine:
//
//   open():  220 greeting, EHLO (HELO when EHLO is refused), STARTTLS whenever offered
//            (RFC 3207; required by the Encrypt and Verify policies, with the certificate
//            checked against the MX host name for Verify) and EHLO again, AUTH PLAIN or
//            LOGIN (RFC 4954) when the next hop has credentials, over TLS only.
//   send():  one transaction: RSET (from the second message on), MAIL FROM with SIZE,
//            BODY, SMTPUTF8, RET, ENVID; RCPT TO with NOTIFY, ORCPT; pipelined when the
//            server offers PIPELINING (RFC 2920); then DATA (dot-stuffed) or, for
//            BINARYMIME, BDAT LAST (RFC 3030). Every recipient gets the reply that decided
//            its fate, and whether the connection can carry another message.
//   quit():  QUIT.
//
// Before any command, send() checks what the server announced (RFC 1870, 6152, 6531):
// a message larger than the SIZE limit fails 552 5.3.4; 8-bit content to a server without
// 8BITMIME fails 554 5.6.3 (we bounce rather than downgrade: converting the MIME parts to
// quoted-printable would break the DKIM signatures added at submission, and every
// current MTA offers 8BITMIME); binary content needs BINARYMIME and CHUNKING (554 5.6.3);
// a message that needs SMTPUTF8 (a UTF-8 sender or header) to a server without it fails
// 553 5.6.7, as does each recipient with a UTF-8 address.
//
// Timeouts are RFC 5321 4.5.3.2's (greeting, MAIL, RCPT, DATA initiation, data block, DATA
// termination), from [relay]. A timeout, a lost connection or a malformed reply ends the
// session: the recipients still open get a temporary failure (4.4.2) saying at which
// step, and the connection must not be reused.
//
// Trusts nothing the server sends: replies are bounded (lines, octets) and parsed strictly.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/net/client.h"
#include "queue/spool.h"
#include "queued/relay/protocol/capabilities.h"
#include "queued/relay/protocol/message_traits.h"
#include "queued/relay/protocol/reply_parser.h"
#include "queued/relay/routing.h"
#include "smtpd/protocol/reply.h"

namespace mail::relay {

struct SessionTimeouts {
  std::chrono::seconds greeting{300};    // 4.5.3.2.1
  std::chrono::seconds command{300};     // EHLO, HELO, STARTTLS, AUTH, RSET, QUIT
  std::chrono::seconds mail{300};        // 4.5.3.2.2
  std::chrono::seconds rcpt{300};        // 4.5.3.2.3
  std::chrono::seconds data_init{120};   // 4.5.3.2.4
  std::chrono::seconds data_block{180};  // 4.5.3.2.5
  std::chrono::seconds data_done{600};   // 4.5.3.2.6
  std::chrono::seconds tls{60};
};

struct SessionSettings {
  std::string helo_name = "localhost";
  TlsPolicy tls = TlsPolicy::May;
  net::ssl::context* tls_context = nullptr;  // nullptr: no TLS at all
  std::shared_ptr<const Credentials> auth;
  SessionTimeouts timeouts;
  size_t max_reply_lines = 100;
};

struct OutgoingRecipient {
  std::string address;
  uint8_t notify = 0;  // queue::DsnNotify bits
  std::string orcpt;   // decoded "type;address"
};

struct OutgoingMessage {
  std::string sender;  // "" for the null sender
  std::vector<OutgoingRecipient> recipients;
  queue::DsnRet ret = queue::DsnRet::Unspecified;
  std::string envid;
  queue::BodyType body = queue::BodyType::SevenBit;
  bool smtputf8 = false;
  std::string_view content;  // must outlive send()
  MessageTraits traits;      // inspect_message(content)
};

enum class Verdict : uint8_t { Delivered, Temporary, Permanent };
Verdict verdict_for(int code);

struct RecipientOutcome {
  Verdict verdict = Verdict::Temporary;
  smtp::Reply reply;
  bool remote = false;  // the reply came from the server (else we made it up)
  std::string stage;    // the command it answered: "RCPT TO", "end of DATA", ...
};

struct TransactionResult {
  std::vector<RecipientOutcome> recipients;  // parallel to OutgoingMessage::recipients
  bool reusable = false;  // the connection is in a clean state for another message
  // RSET failed on a connection taken from the cache: nothing was attempted, the
  // message should go out over a fresh connection.
  bool stale = false;
};

struct OpenResult {
  bool ok = false;
  smtp::Reply reply;        // !ok: the reply to record
  bool remote = false;      // the reply came from the server
  bool permanent = false;   // !ok: no other MX host would do better (521/556 greeting)
  bool tls_failed = false;  // a STARTTLS handshake failed (opportunistic: retry in plain)
};

class SmtpSession {
 public:
  // `host`: the server's name (MX host; SNI and certificate name); for logs and replies.
  SmtpSession(net::ClientConnection& connection, const SessionSettings& settings, std::string host);

  net::awaitable<OpenResult> open(bool allow_tls = true);
  // probe: the connection waited in the cache; its RSET is checked on its own first.
  net::awaitable<TransactionResult> send(const OutgoingMessage& message, bool probe = false);
  net::awaitable<void> quit();

  const Capabilities& capabilities() const { return caps_; }
  bool tls() const { return connection_.is_tls(); }
  const net::ClientTlsInfo& tls_info() const { return tls_info_; }
  size_t messages() const { return messages_; }
  const std::string& host() const { return host_; }

 private:
  enum class ReadError { None, Timeout, Closed, TooLong, Malformed };
  struct Read {
    ReadError error = ReadError::None;
    smtp::Reply reply;
  };
  net::awaitable<Read> read_reply(std::chrono::seconds timeout);
  smtp::Reply lost(const Read& read, std::string_view stage) const;
  net::awaitable<OpenResult> hello();
  net::awaitable<std::optional<OpenResult>> authenticate();
  net::awaitable<void> transaction(const OutgoingMessage& message, bool probe,
                                   TransactionResult& result);

  net::ClientConnection& connection_;
  const SessionSettings& settings_;
  std::string host_;
  ReplyParser parser_;
  Capabilities caps_;
  net::ClientTlsInfo tls_info_;
  size_t messages_ = 0;
};

}  // namespace mail::relay
