// The SMTP server session: one coroutine per connection, the RFC 5321 dialogue.
#pragma once

#include <memory>

#include "auth/authenticator.h"
#include "auth/directory.h"
#include "common/config.h"
#include "common/net/connection.h"
#include "common/net/server.h"
#include "common/net/tls.h"
#include "queue/group_commit.h"

namespace mail::relay {
class SendingPolicy;
}
namespace mail::mailauth {
class Service;
}

namespace mail::smtpd {

enum class Port {
  Mx,           // port 25: mail for our domains from anyone
  Submission,   // port 587: STARTTLS, then AUTH (RFC 6409)
  Submissions,  // port 465: implicit TLS (RFC 8314)
};

// What a listener demands. The command table (smtpd/session.cpp) marks commands "needs
// TLS" and "needs AUTH"; a port's policy says whether those marks apply there. The refusal
// is 530 5.7.0 (RFC 3207 4, RFC 4954 6), given before the command runs. "TLS" is met by
// TLS, or from loopback where smtpd.allow_plaintext_auth_on_loopback says so.
struct PortPolicy {
  Port port = Port::Mx;
  bool tls_required = false;    // needs-TLS commands are refused until TLS is on
  bool auth_required = false;   // needs-AUTH commands are refused until AUTH succeeded
  bool auth_offered = false;    // AUTH (RFC 4954) is offered here (once the channel is private)
  bool greeting_delay = false;  // smtpd.greeting_delay applies; early talkers are refused
};

// The policy of each listener: MX takes mail for our domains from anyone and offers AUTH
// only with smtpd.auth_on_mx; submission (587, RFC 6409) wants TLS before AUTH and AUTH
// before MAIL; submissions (465, RFC 8314) is TLS already.
PortPolicy port_policy(Port port, const SmtpdConfig& config);

// What every session shares; outlives them all.
struct SmtpContext {
  const Config& config;
  auth::Directory& directory;
  queue::GroupCommitter& committer;
  net::TlsContexts* tls;               // null when no certificate is configured
  auth::Authenticator& authenticator;  // SMTP AUTH (commands/auth.cpp)
  // SPF, DKIM and DMARC of MX-port mail, DKIM signing of submitted mail (mailauth/inbound.h);
  // null: no checks, no signatures.
  mailauth::Service* mailauth = nullptr;
  // The suppression list (queued/relay/sending_policy.h), checked at RCPT for foreign
  // recipients of authenticated sessions when relay.suppression is on; null: no check.
  relay::SendingPolicy* sending = nullptr;
  // Blocking work of a session (the sending-limit counter's fsync'd write); null: none.
  net::asio::thread_pool* workers = nullptr;
};

net::awaitable<void> run_session(SmtpContext& context, std::shared_ptr<net::Connection> connection,
                                 const PortPolicy& policy);

}  // namespace mail::smtpd
