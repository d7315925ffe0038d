// The IMAP server session (RFC 3501, RFC 9051): one coroutine per connection.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "auth/authenticator.h"
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
  auth::Authenticator& authenticator;  // LOGIN, AUTHENTICATE (commands/login.cpp)
  // Wakes IDLE sessions on the store's change notices (null: IDLE polls on its timer).
  ChangeHub* changes = nullptr;
  // Capability words taken as advertised besides imapd/capabilities.cpp's table. Empty in
  // imapd; the per-command tests set it to exercise what depends on a word other parts of
  // imapd add later (IMAP4rev2 is advertised only once every extension it includes is).
  std::span<const std::string_view> assumed_capabilities = {};
};

net::awaitable<void> run_session(ImapContext& context, std::shared_ptr<net::Connection> connection);

}  // namespace mail::imapd
