// APPEND (RFC 9051 section 6.3.12) with MULTIAPPEND (RFC 3502), APPENDUID (RFC 4315
// section 3), literal8 (RFC 3516) and UTF8 (RFC 6855 section 4): messages from the client,
// already received within imapd.max_literal_size each and imapd.max_append_command_size
// together (the receiver refused anything larger with NO [TOOBIG] or BYE), stored in one
// transaction: all of them or none.
#include <ctime>

#include "common/log.h"
#include "imapd/commands/handlers.h"
#include "imapd/commands/mailbox_names.h"
#include "imapd/message_flags.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {

net::awaitable<void> append(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::AppendArgs>(c.args);
  const std::optional<std::string> mailbox = mailbox_argument(s, c, args.mailbox);
  if (!mailbox) co_return;
  const int64_t now = std::time(nullptr);
  std::vector<store::IncomingMessage> batch;
  batch.reserve(args.messages.size());
  for (const imap::AppendMessage& m : args.messages) {
    store::Flags flags;
    std::string bad_name;
    if (!to_store_flags(m.flags, flags, bad_name)) {
      s.bad(c.tag, "Invalid flag " + bad_name);
      co_return;
    }
    // RFC 6855 section 4: the UTF8 form only after ENABLE UTF8=ACCEPT.
    if (m.utf8 && !s.enabled(Extension::Utf8Accept)) {
      s.bad(c.tag, "APPEND UTF8 needs ENABLE UTF8=ACCEPT");
      co_return;
    }
    // RFC 3502 section 6.3.11: an empty message cancels the command; nothing is stored.
    if (m.message.empty()) {
      s.no(c, "CANNOT", "Empty message: nothing appended");
      co_return;
    }
    batch.push_back(
        store::IncomingMessage{m.message,
                               m.date_time ? m.date_time->unix_seconds : now,
                               {store::Delivery{s.account(), *mailbox, std::move(flags), {}}}});
  }
  auto& store = s.context().store;
  auto delivered = co_await s.blocking([&] { return store.deliver_all(batch); });
  if (!delivered) {
    switch (delivered.error().kind) {
      case ErrorKind::NotFound:  // RFC 9051 section 6.3.12: never created implicitly
        s.no(c, "TRYCREATE", "Mailbox does not exist");
        break;
      case ErrorKind::Invalid:
        s.no(c, "LIMIT", "Too many keywords in this mailbox");
        break;
      default:
        no_for_store_error(s, c, delivered.error());
    }
    co_return;
  }
  std::vector<uint32_t> uids;
  for (const auto& message : *delivered) uids.push_back(message.front().uid);
  const store::Delivered& first = delivered->front().front();
  log::info("append")
      .kv("session", s.connection().id())
      .kv("user", s.account())
      .kv("messages", uids.size())
      .kv("uid", uids.front());
  // The new messages are announced (EXISTS) when they went to the selected mailbox.
  if (s.is_selected() && s.view().mailbox_id() == first.mailbox_id) co_await s.refresh(false);
  // RFC 4315 section 3: the new UIDs, in the order of the messages, so clients need not
  // search for them.
  s.out()
      .tagged(c.tag)
      .status(imap::Status::Ok)
      .begin_code("APPENDUID")
      .number(first.uid_validity)
      .sequence_set(uids)
      .end_code()
      .text("APPEND completed");
}

}  // namespace mail::imapd::commands
