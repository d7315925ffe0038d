// The POP3 server session (RFC 1939, CAPA RFC 2449, STLS RFC 2595, AUTH RFC 5034): one
// coroutine per connection, from greeting through AUTHORIZATION and TRANSACTION to UPDATE.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "auth/authenticator.h"
#include "auth/directory.h"
#include "common/config.h"
#include "common/net/connection.h"
#include "common/net/tls.h"
#include "store/mail_store.h"

namespace mail::pop3d {

// The exclusive-access lock on a maildrop (RFC 1939 4): one POP3 session per account in
// this process, so two clients cannot delete each other's numbering out from under them.
class MaildropLocks {
 public:
  bool try_lock(const std::string& account);
  void unlock(const std::string& account);

 private:
  std::mutex mutex_;
  std::set<std::string> locked_;
};

// What every session shares; outlives them all.
struct Pop3Context {
  const Config& config;
  auth::Directory& directory;
  store::MailStore& store;
  net::asio::thread_pool& workers;  // runs LMDB calls off the event loop
  net::TlsContexts* tls;            // null when no certificate is configured
  // Checks every USER/PASS and AUTH: throttling, argon2id on its own pool, SASL.
  auth::Authenticator& authenticator;
  MaildropLocks locks{};
};

net::awaitable<void> run_session(Pop3Context& context, std::shared_ptr<net::Connection> connection);

}  // namespace mail::pop3d
