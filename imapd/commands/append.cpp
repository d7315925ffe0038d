// APPEND (RFC 9051 section 6.3.12, APPENDUID from RFC 4315 section 3): a message from the
// client, already received as a literal within imapd.max_literal_size (the receiver
// refused anything larger with NO [TOOBIG] or BYE), stored in one transaction.
#include <ctime>

#include "common/log.h"
#include "imapd/commands/handlers.h"
#include "imapd/message_flags.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {

net::awaitable<void> append(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::AppendArgs>(c.args);
  store::Flags flags;
  std::string bad_name;
  if (!to_store_flags(args.flags, flags, bad_name)) {
    s.bad(c.tag, "Invalid flag " + bad_name);
    co_return;
  }
  if (args.message.empty()) {
    s.no(c, "CANNOT", "Empty message");
    co_return;
  }
  const int64_t date = args.date_time ? args.date_time->unix_seconds : std::time(nullptr);
  store::Delivery destination{s.account(), args.mailbox, flags, {}};
  auto& store = s.context().store;
  auto delivered = co_await s.blocking(
      [&] { return store.deliver(std::span(&destination, 1), args.message, date); });
  if (!delivered) {
    if (delivered.error().kind == ErrorKind::NotFound) {
      s.no(c, "TRYCREATE", "Mailbox does not exist");
    } else {
      s.no(c, "SERVERBUG", "Cannot append");
    }
    co_return;
  }
  const store::Delivered& d = delivered->front();
  log::info("append").kv("session", s.connection().id()).kv("user", s.account()).kv("uid", d.uid);
  // The new message is announced (EXISTS) when it went to the selected mailbox.
  if (s.is_selected() && s.view().mailbox_id() == d.mailbox_id) co_await s.refresh(false);
  // RFC 4315 section 3: the new message's UID, so clients need not search for it.
  s.out()
      .tagged(c.tag)
      .status(imap::Status::Ok)
      .begin_code("APPENDUID")
      .number(d.uid_validity)
      .number(d.uid)
      .end_code()
      .text("APPEND completed");
}

}  // namespace mail::imapd::commands
