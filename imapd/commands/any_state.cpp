// Commands valid in any state: CAPABILITY (RFC 9051 section 6.1.1), NOOP (6.1.2) and
// CHECK (RFC 3501 section 6.4.1, a NOOP in effect), LOGOUT (6.1.3), ID (RFC 2971).
#include "imapd/commands/handlers.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {

net::awaitable<void> capability(Session& s, const imap::Command& c) {
  s.out().untagged().atom("CAPABILITY");
  s.write_capabilities(s.out());
  s.out().end();
  s.completed(c);
  co_return;
}

// The poll for changes: a selected mailbox reports new messages, flag changes and
// expunges (RFC 9051 section 7.5.1 allows EXPUNGE here).
net::awaitable<void> noop(Session& s, const imap::Command& c) {
  co_await s.refresh(true);
  s.completed(c);
}

net::awaitable<void> logout(Session& s, const imap::Command& c) {
  s.bye("Logging out");
  s.completed(c);
  co_return;
}

// RFC 2971 section 3.1: the server's identification; the client's parameters are only
// for its logs.
net::awaitable<void> id(Session& s, const imap::Command& c) {
  s.out().untagged().atom("ID").open().string("name").string("mailsuite").close().end();
  s.completed(c);
  co_return;
}

}  // namespace mail::imapd::commands
