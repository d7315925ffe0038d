// AUTH (RFC 4954). SMTP AUTH arrives with the SASL library in auth/ (the submission
// issue). The command table already lets AUTH through only in State::Ready (4: not in a
// transaction, once per session) and, where the port's policy requires TLS, only after
// STARTTLS; a successful exchange sets user_, which satisfies the "needs AUTH" rules of
// the submission ports. Until then the command is not implemented.
#include "smtpd/session_impl.h"

namespace mail::smtpd {

using namespace smtp;

net::awaitable<void> Session::auth(const Command&) {
  error(replies::not_implemented("AUTH not available"));
  co_return;
}

}  // namespace mail::smtpd
