// STARTTLS (RFC 3207). Whatever the client pipelined behind the command is discarded by
// Connection::start_tls() (plaintext command injection, RFC 3207 5); afterwards the
// session starts over and the client must say EHLO again (RFC 3207 4.2), forgetting
// everything learned before, an authentication on loopback included.
#include "common/net/start_tls.h"
#include "smtpd/session_impl.h"

namespace mail::smtpd {

using namespace smtp;
using std::chrono::seconds;

net::awaitable<void> Session::starttls(const Command&) {
  if (!tls_offered()) co_return error(replies::not_implemented("STARTTLS not available"));
  reply(replies::ready_for_tls());
  // The result in a variable, not co_await inside if() (see pop3d's stls()).
  const seconds timeout(limits_.command_timeout);
  const bool secured = co_await net::upgrade_to_tls(*conn_, *ctx_.tls, timeout);
  if (!secured) {
    closing_ = true;
    co_return;
  }
  helo_.clear();
  esmtp_ = false;
  user_.clear();
  reset_transaction();
  enter_state(State::Greeted);
}

}  // namespace mail::smtpd
