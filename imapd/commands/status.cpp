// STATUS (RFC 9051 section 6.3.11, RFC 8438 STATUS=SIZE): counters of a mailbox without
// selecting it.
#include "imapd/commands/handlers.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {
namespace {

std::optional<uint64_t> status_value(const store::MailboxInfo& info, std::string_view item) {
  if (item == "MESSAGES") return info.messages;
  if (item == "UIDNEXT") return info.uid_next;
  if (item == "UIDVALIDITY") return info.uid_validity;
  if (item == "UNSEEN") return info.unseen;
  if (item == "RECENT") return 0;  // rev1 only; \Recent is not kept
  if (item == "SIZE") return info.size;
  return std::nullopt;
}

}  // namespace

net::awaitable<void> status(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::StatusArgs>(c.args);
  for (const auto& item : args.items) {
    if (!status_value({}, item)) {
      s.bad(c.tag, "Unknown STATUS item " + item);
      co_return;
    }
  }
  auto& store = s.context().store;
  const std::string& account = s.account();
  auto info = co_await s.blocking([&] { return store.mailbox(account, args.mailbox); });
  if (!info) {
    s.no(c, "NONEXISTENT", "Mailbox does not exist");
    co_return;
  }
  auto& out = s.out();
  out.untagged().atom("STATUS").astring(info->name).open();
  for (const auto& item : args.items) out.atom(item).number(*status_value(*info, item));
  out.close().end();
  s.completed(c);
}

}  // namespace mail::imapd::commands
