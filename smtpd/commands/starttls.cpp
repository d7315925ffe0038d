// STARTTLS (RFC 3207). Whatever the client pipelined behind the command is discarded by
// Connection::start_tls() (plaintext command injection, RFC 3207 5); afterwards the
// session starts over and the client must say EHLO again (RFC 3207 4.2), forgetting
// everything learned before, an authentication on loopback included.
#include "common/log.h"
#include "smtpd/session_impl.h"

namespace mail::smtpd {

using namespace smtp;
using std::chrono::seconds;

net::awaitable<void> Session::starttls(const Command&) {
  if (!tls_offered()) co_return error(replies::not_implemented("STARTTLS not available"));
  reply(replies::ready_for_tls());
  auto context = ctx_.tls->current();
  if (!co_await conn_->start_tls(*context, seconds(limits_.command_timeout))) {
    log::info("tls_failed").kv("session", conn_->id());
    closing_ = true;
    co_return;
  }
  log::info("tls")
      .kv("session", conn_->id())
      .kv("version", conn_->tls_version())
      .kv("cipher", conn_->tls_cipher());
  helo_.clear();
  esmtp_ = false;
  user_.clear();
  reset_transaction();
  enter_state(State::Greeted);
}

}  // namespace mail::smtpd
