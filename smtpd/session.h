// The SMTP server session: one coroutine per connection, the RFC 5321 dialogue.
#pragma once

#include <memory>

#include "auth/directory.h"
#include "common/config.h"
#include "common/net/connection.h"
#include "common/net/server.h"
#include "common/net/tls.h"
#include "queue/group_commit.h"

namespace mail::smtpd {

enum class Port {
  Mx,           // port 25: mail for our domains from anyone
  Submission,   // port 587: STARTTLS, then AUTH (RFC 6409)
  Submissions,  // port 465: implicit TLS (RFC 8314)
};

// What every session shares; outlives them all.
struct SmtpContext {
  const Config& config;
  auth::Directory& directory;
  queue::GroupCommitter& committer;
  net::TlsContexts* tls;  // null when no certificate is configured
};

net::awaitable<void> run_session(SmtpContext& context, std::shared_ptr<net::Connection> connection,
                                 Port port);

}  // namespace mail::smtpd
