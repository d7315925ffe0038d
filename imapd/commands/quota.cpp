// QUOTA (RFC 9208): GETQUOTA (section 4.2), GETQUOTAROOT (4.3) and SETQUOTA (4.1). One
// quota root per account, named "" (RFC 9208's own examples), holding every mailbox of
// the account. Its resources are the limits `mailctl quota set` puts in the store:
// STORAGE (reported in units of 1024 octets, RFC 9208 section 5.1) and MESSAGE (5.2).
// A resource without a limit is not reported; an account without any has no quota root.
// Limits are the administrator's: SETQUOTA is refused (QUOTASET is not advertised).
#include "imapd/commands/handlers.h"
#include "imapd/commands/mailbox_names.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {
namespace {

constexpr std::string_view kRoot = "";

bool has_limits(const store::Quota& q) {
  return q.limits.storage.has_value() || q.limits.messages.has_value();
}

// "* QUOTA "" (STORAGE used limit MESSAGE used limit)".
// REQUIRES: has_limits(q).
void write_quota(Session& s, const store::Quota& q) {
  auto& out = s.out();
  out.untagged().atom("QUOTA").string(kRoot).open();
  if (q.limits.storage) {
    // Usage rounds up: a message of 10 octets uses storage; a limit rounds down.
    out.atom("STORAGE").number((q.storage_used + 1023) / 1024).number(*q.limits.storage / 1024);
  }
  if (q.limits.messages) out.atom("MESSAGE").number(q.messages_used).number(*q.limits.messages);
  out.close().end();
}

}  // namespace

net::awaitable<void> getquota(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::MailboxArgs>(c.args);
  auto& store = s.context().store;
  const std::string& account = s.account();
  auto quota = co_await s.blocking([&] { return store.quota(account); });
  if (!quota) {
    no_for_store_error(s, c, quota.error());
    co_return;
  }
  if (args.mailbox != kRoot || !has_limits(*quota)) {
    s.no(c, "NONEXISTENT", "No such quota root");
    co_return;
  }
  write_quota(s, *quota);
  s.completed(c);
}

net::awaitable<void> getquotaroot(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::MailboxArgs>(c.args);
  const std::optional<std::string> name = mailbox_argument(s, c, args.mailbox);
  if (!name) co_return;
  auto& store = s.context().store;
  const std::string& account = s.account();
  auto info = co_await s.blocking([&] { return store.mailbox(account, *name); });
  if (!info) {
    no_for_store_error(s, c, info.error());
    co_return;
  }
  auto quota = co_await s.blocking([&] { return store.quota(account); });
  if (!quota) {
    no_for_store_error(s, c, quota.error());
    co_return;
  }
  auto& out = s.out();
  out.untagged().atom("QUOTAROOT").mailbox(info->name);
  if (has_limits(*quota)) out.string(kRoot);
  out.end();
  if (has_limits(*quota)) write_quota(s, *quota);
  s.completed(c);
}

net::awaitable<void> setquota(Session& s, const imap::Command& c) {
  s.no(c, "NOPERM", "Quotas are set by the administrator");
  co_return;
}

}  // namespace mail::imapd::commands
