// The IMAP server session (RFC 3501, RFC 9051): one coroutine per connection.
#pragma once

#include <memory>

#include "auth/directory.h"
#include "common/config.h"
#include "common/net/connection.h"
#include "common/net/tls.h"
#include "store/mail_store.h"

namespace mail::imapd {

class ChangeHub;

// What every session shares; outlives them all.
struct ImapContext {
  const Config& config;
  auth::Directory& directory;
  store::MailStore& store;
  net::TlsContexts* tls;  // null when no certificate is configured
  net::asio::thread_pool& workers;
  // Wakes IDLE sessions on the store's change notices (null: IDLE polls on its timer).
  ChangeHub* changes = nullptr;
};

net::awaitable<void> run_session(ImapContext& context, std::shared_ptr<net::Connection> connection);

}  // namespace mail::imapd
