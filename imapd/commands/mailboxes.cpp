// Managing mailboxes: DELETE (RFC 9051 section 6.3.5), RENAME (6.3.6, with the INBOX rule),
// SUBSCRIBE (6.3.7) and UNSUBSCRIBE (6.3.8). CREATE is in create.cpp. The store keeps the
// hierarchy rules: a deleted mailbox with inferiors leaves a \NonExistent name, a rename
// takes the inferiors along, subscriptions stay (and follow a rename).
#include "common/log.h"
#include "imapd/commands/handlers.h"
#include "imapd/commands/mailbox_names.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {

net::awaitable<void> delete_(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::MailboxArgs>(c.args);
  const std::optional<std::string> name = mailbox_argument(s, c, args.mailbox);
  if (!name) co_return;
  if (*name == "INBOX") {
    s.no(c, "CANNOT", "INBOX cannot be deleted");
    co_return;
  }
  auto& store = s.context().store;
  const std::string& account = s.account();
  auto info = co_await s.blocking([&] { return store.mailbox(account, *name); });
  if (!info) {
    // Also a name that exists only as the superior of others (\NonExistent): RFC 9051
    // section 6.3.5 makes deleting one with inferiors an error.
    no_for_store_error(s, c, info.error());
    co_return;
  }
  // Deleting the selected mailbox leaves the session in the authenticated state first (as
  // Dovecot does): its messages are about to go.
  if (s.is_selected() && s.view().mailbox_id() == info->id)
    s.change_state(Authenticated{account}, "selected mailbox deleted");
  auto deleted = co_await s.blocking([&] { return store.delete_mailbox(account, *name); });
  if (!deleted) {
    no_for_store_error(s, c, deleted.error());
    co_return;
  }
  log::info("mailbox_deleted").kv("session", s.connection().id()).kv("mailbox", *name);
  s.completed(c);
}

net::awaitable<void> rename(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::RenameArgs>(c.args);
  const std::optional<std::string> from = mailbox_argument(s, c, args.from);
  if (!from) co_return;
  const std::optional<std::string> to = new_mailbox_argument(s, c, args.to);
  if (!to) co_return;
  if (*to == "INBOX") {
    s.no(c, "ALREADYEXISTS", "INBOX always exists");
    co_return;
  }
  auto& store = s.context().store;
  const std::string& account = s.account();
  const size_t max_mailboxes = static_cast<size_t>(s.config().max_mailboxes);
  bool over_limit = false;
  // RFC 9051 section 6.3.6: renaming INBOX moves its messages to a new mailbox and leaves
  // INBOX empty (the store does it in one transaction).
  auto renamed = co_await s.blocking([&]() -> Result<void> {
    auto existing = store.list_mailboxes(account);
    if (!existing) return existing.error();
    if (existing->size() >= max_mailboxes) {
      over_limit = true;
      return make_error(ErrorKind::Invalid, "too many mailboxes");
    }
    return store.rename_mailbox(account, *from, *to);
  });
  if (over_limit) {
    s.no(c, "LIMIT", "Too many mailboxes");
    co_return;
  }
  if (!renamed) {
    no_for_store_error(s, c, renamed.error());
    co_return;
  }
  log::info("mailbox_renamed").kv("session", s.connection().id()).kv("from", *from).kv("to", *to);
  s.completed(c);
}

net::awaitable<void> subscribe(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::MailboxArgs>(c.args);
  const std::optional<std::string> name = mailbox_argument(s, c, args.mailbox);
  if (!name) co_return;
  auto& store = s.context().store;
  const std::string& account = s.account();
  // A name that does not exist (yet) may be subscribed (RFC 9051 section 6.3.7).
  auto done = co_await s.blocking([&] { return store.subscribe(account, *name); });
  if (!done) {
    no_for_store_error(s, c, done.error());
    co_return;
  }
  s.completed(c);
}

net::awaitable<void> unsubscribe(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::MailboxArgs>(c.args);
  const std::optional<std::string> name = mailbox_argument(s, c, args.mailbox);
  if (!name) co_return;
  auto& store = s.context().store;
  const std::string& account = s.account();
  auto done = co_await s.blocking([&] { return store.unsubscribe(account, *name); });
  if (!done) {
    if (done.error().kind == ErrorKind::NotFound) {
      s.no(c, "NONEXISTENT", "Not subscribed");
    } else {
      no_for_store_error(s, c, done.error());
    }
    co_return;
  }
  s.completed(c);
}

}  // namespace mail::imapd::commands
