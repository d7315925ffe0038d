// The commands that move no message: RSET (RFC 5321 4.1.1.5), NOOP (4.1.1.9), VRFY
// (4.1.1.6, answered 252 as 3.5.3 allows: we do not confirm addresses to strangers), EXPN
// (4.1.1.7, not offered: it would list our aliases' targets), HELP (4.1.1.8) and QUIT
// (4.1.1.10). All but QUIT count towards smtpd.max_commands_without_progress.
#include "smtpd/session_impl.h"

namespace mail::smtpd {

using namespace smtp;

net::awaitable<void> Session::rset(const Command&) {
  reset_transaction();
  reply(replies::ok());
  co_return;
}

net::awaitable<void> Session::noop(const Command&) {
  reply(replies::ok());
  co_return;
}

net::awaitable<void> Session::vrfy(const Command&) {
  reply(replies::cannot_vrfy());
  co_return;
}

net::awaitable<void> Session::expn(const Command&) {
  error(replies::not_implemented());
  co_return;
}

net::awaitable<void> Session::help(const Command&) {
  reply(replies::help());
  co_return;
}

net::awaitable<void> Session::quit(const Command&) {
  reply(replies::bye());
  co_return;
}

}  // namespace mail::smtpd
