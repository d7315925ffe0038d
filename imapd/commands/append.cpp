// APPEND (RFC 9051 section 6.3.12) with MULTIAPPEND (RFC 3502), APPENDUID (RFC 4315
// section 3), literal8 (RFC 3516), UTF8 (RFC 6855 section 4) and CATENATE (RFC 4469):
// messages from the client, already received within imapd.max_literal_size each literal
// and imapd.max_append_command_size together (the receiver refused anything larger with
// NO [TOOBIG] or BYE), CATENATE ones assembled within the same limits, stored in one
// transaction: all of them or none.
#include <ctime>

#include "common/log.h"
#include "imapd/commands/catenate.h"
#include "imapd/commands/handlers.h"
#include "imapd/commands/mailbox_names.h"
#include "imapd/message_flags.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {
namespace {

bool uses_utf8(const imap::AppendMessage& m) {
  if (m.utf8) return true;
  for (const imap::CatenatePart& part : m.catenate)
    if (part.utf8) return true;
  return false;
}

// RFC 4469 section 4: NO [BADURL url] or NO [TOOBIG]; a store failure as for any command.
void refuse_catenate(Session& s, const imap::Command& c, const CatenateFailure& failure) {
  switch (failure.kind) {
    case CatenateFailure::Kind::BadUrl:
      s.out()
          .tagged(c.tag)
          .status(imap::Status::No)
          .begin_code("BADURL")
          .code_text(failure.url)
          .end_code()
          .text("CATENATE URL cannot be resolved: nothing appended");
      break;
    case CatenateFailure::Kind::TooBig:
      s.no(c, "TOOBIG", "Catenated message too large: nothing appended");
      break;
    case CatenateFailure::Kind::Store:
      no_for_store_error(s, c, failure.error);
      break;
  }
}

}  // namespace

net::awaitable<void> append(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::AppendArgs>(c.args);
  const std::optional<std::string> mailbox = mailbox_argument(s, c, args.mailbox);
  if (!mailbox) co_return;
  auto& store = s.context().store;
  bool catenates = false;
  uint64_t sent_octets = 0;  // of the plain messages
  std::vector<store::Flags> flags(args.messages.size());
  for (size_t i = 0; i < args.messages.size(); ++i) {
    const imap::AppendMessage& m = args.messages[i];
    std::string bad_name;
    if (!to_store_flags(m.flags, flags[i], bad_name)) {
      s.bad(c.tag, "Invalid flag " + bad_name);
      co_return;
    }
    // RFC 6855 section 4: the UTF8 form only after ENABLE UTF8=ACCEPT.
    if (uses_utf8(m) && !s.enabled(Extension::Utf8Accept)) {
      s.bad(c.tag, "APPEND UTF8 needs ENABLE UTF8=ACCEPT");
      co_return;
    }
    catenates = catenates || m.is_catenate();
    sent_octets += m.message.size();
  }

  // CATENATE (RFC 4469 section 3): each such message is put together from its parts
  // before anything is stored; the first part that fails fails the whole command.
  std::vector<std::string> built(args.messages.size());
  if (catenates) {
    // A missing mailbox is TRYCREATE even when a URL is bad too (as Dovecot answers;
    // imaptest's catenate group expects it): the client can fix that first.
    const std::string& account = s.account();
    auto target = co_await s.blocking([&] { return store.mailbox(account, *mailbox); });
    if (!target) {
      if (target.error().kind == ErrorKind::NotFound) {
        s.no(c, "TRYCREATE", "Mailbox does not exist");
      } else {
        no_for_store_error(s, c, target.error());
      }
      co_return;
    }
    const CatenateContext context{account,
                                  s.is_selected() ? std::optional(s.view().name()) : std::nullopt,
                                  static_cast<size_t>(s.config().max_url_length)};
    // Each message within APPENDLIMIT, all of them within the command's APPEND budget,
    // as for literals (RFC 4469 section 4.2).
    const uint64_t per_message = s.config().max_literal_size;
    const uint64_t per_command = s.config().max_append_command_size;
    auto failure = co_await s.blocking([&]() -> std::optional<CatenateFailure> {
      uint64_t total = sent_octets;
      for (size_t i = 0; i < args.messages.size(); ++i) {
        const imap::AppendMessage& m = args.messages[i];
        if (!m.is_catenate()) continue;
        const uint64_t left = per_command - std::min(total, per_command);
        auto failed =
            catenate_message(store, context, m.catenate, std::min(per_message, left), built[i]);
        if (failed) return failed;
        total += built[i].size();
      }
      return std::nullopt;
    });
    if (failure) {
      refuse_catenate(s, c, *failure);
      co_return;
    }
  }

  const int64_t now = std::time(nullptr);
  std::vector<store::IncomingMessage> batch;
  batch.reserve(args.messages.size());
  for (size_t i = 0; i < args.messages.size(); ++i) {
    const imap::AppendMessage& m = args.messages[i];
    const std::string_view octets = m.is_catenate() ? std::string_view(built[i]) : m.message;
    // RFC 3502 section 6.3.11: an empty message cancels the command; nothing is stored.
    if (octets.empty()) {
      s.no(c, "CANNOT", "Empty message: nothing appended");
      co_return;
    }
    batch.push_back(
        store::IncomingMessage{octets,
                               m.date_time ? m.date_time->unix_seconds : now,
                               {store::Delivery{s.account(), *mailbox, std::move(flags[i]), {}}}});
  }
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
