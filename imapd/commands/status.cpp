// STATUS (RFC 9051 section 6.3.11, RFC 8438 STATUS=SIZE, RFC 7162 HIGHESTMODSEQ): counters
// of a mailbox without selecting it, read from the mailbox record (no message is visited).
#include "imapd/commands/handlers.h"
#include "imapd/commands/status_items.h"
#include "imapd/protocol/mailbox_name.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {

net::awaitable<void> status(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::StatusArgs>(c.args);
  if (!accept_status_items(s, c.tag, args.items)) co_return;
  const std::optional<std::string> name =
      imap::mailbox_from_client(args.mailbox, s.extensions().utf8());
  if (!name) {
    s.no(c, "NONEXISTENT", "Mailbox does not exist");
    co_return;
  }
  auto& store = s.context().store;
  const std::string& account = s.account();
  auto info = co_await s.blocking([&] { return store.mailbox(account, *name); });
  if (!info) {
    if (info.error().kind == ErrorKind::NotFound) {
      s.no(c, "NONEXISTENT", "Mailbox does not exist");
    } else {
      s.no(c, "UNAVAILABLE", "Mailbox unavailable");
    }
    co_return;
  }
  const bool written = co_await write_status(s, *info, args.items);
  if (!written) {
    s.no(c, "UNAVAILABLE", "Mailbox unavailable");
    co_return;
  }
  s.completed(c);
}

}  // namespace mail::imapd::commands
