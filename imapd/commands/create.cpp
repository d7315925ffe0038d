// CREATE (RFC 9051 section 6.3.4): a new mailbox; a trailing delimiter is dropped
// ("foo/" creates "foo").
#include "imapd/commands/handlers.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {

net::awaitable<void> create(Session& s, const imap::Command& c) {
  std::string name = std::get<imap::MailboxArgs>(c.args).mailbox;
  while (!name.empty() && name.back() == '/') name.pop_back();
  if (name.empty() || name == "INBOX" || name.find("//") != std::string::npos ||
      name.front() == '/') {
    s.no(c, "CANNOT", "Invalid mailbox name");
    co_return;
  }
  auto& store = s.context().store;
  const std::string& account = s.account();
  auto created = co_await s.blocking([&] { return store.create_mailbox(account, name); });
  if (!created) {
    if (created.error().kind == ErrorKind::Exists) {
      s.no(c, "ALREADYEXISTS", "Mailbox already exists");
    } else {
      s.no(c, "CANNOT", "Cannot create mailbox");
    }
    co_return;
  }
  s.completed(c);
}

}  // namespace mail::imapd::commands
