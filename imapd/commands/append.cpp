// APPEND (RFC 9051 section 6.3.12, APPENDUID from RFC 4315): a message from the client, already
// read as a literal bounded by imapd.max_literal_size, stored in one transaction.
#include <ctime>

#include "common/log.h"
#include "imapd/session_impl.h"

namespace mail::imapd {

net::awaitable<void> Session::append(const imap::Command& c) {
  const auto& args = std::get<imap::AppendArgs>(c.args);
  store::Flags flags;
  std::string bad_name;
  if (!parse_flags(args.flags, flags, bad_name)) {
    bad(c.tag, "Invalid flag " + bad_name);
    co_return;
  }
  if (args.message.empty()) {
    no(c, "Empty message", "CANNOT");
    co_return;
  }
  const int64_t date = args.date_time ? args.date_time->unix_seconds : std::time(nullptr);
  store::Delivery destination{account_, args.mailbox, flags, {}};
  auto delivered = co_await blocking(
      [&] { return ctx_.store.deliver(std::span(&destination, 1), args.message, date); });
  if (!delivered) {
    if (delivered.error().kind == ErrorKind::NotFound) {
      no(c, "Mailbox does not exist", "TRYCREATE");
    } else {
      no(c, "Cannot append", "SERVERBUG");
    }
    co_return;
  }
  log::info("append")
      .kv("session", conn_->id())
      .kv("user", account_)
      .kv("uid", delivered->front().uid);
  if (selected_ && selected_->info.id == delivered->front().mailbox_id) co_await refresh(false);
  // RFC 4315 section 3: the new message's UID, so clients need not search for it.
  const auto& d = delivered->front();
  ok(c, "APPEND completed",
     "APPENDUID " + std::to_string(d.uid_validity) + " " + std::to_string(d.uid));
}

}  // namespace mail::imapd
