// Selecting a mailbox and leaving it: SELECT and EXAMINE (RFC 9051 sections 6.3.2 and
// 6.3.3, RFC 3501 section 6.3.1 for the rev1 responses), CLOSE (6.4.2), UNSELECT
// (RFC 3691).
#include "imapd/commands/handlers.h"
#include "imapd/commands/mailbox_names.h"
#include "imapd/message_flags.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {
namespace {

// Leaves the selected mailbox, if any, for the Authenticated state.
void deselect(Session& s, std::string_view why) {
  if (s.is_selected()) s.change_state(Authenticated{s.account()}, why);
}

}  // namespace

net::awaitable<void> select(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::MailboxArgs>(c.args);
  const bool read_only = c.name == "EXAMINE";
  deselect(s, "select");  // a failed SELECT leaves no mailbox selected (section 6.3.2)
  const std::optional<std::string> name = mailbox_argument(s, c, args.mailbox);
  if (!name) co_return;
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
  auto messages = co_await s.blocking([&] { return store.messages(info->id); });
  if (!messages) {
    s.no(c, "UNAVAILABLE", "Mailbox unavailable");
    co_return;
  }
  s.change_state(Selected{account, MailboxView(*info, read_only, std::move(*messages))},
                 read_only ? "examine" : "select");
  const MailboxView& view = s.view();
  auto& out = s.out();
  static constexpr std::string_view kFlags[] = {"\\Answered", "\\Flagged", "\\Deleted", "\\Seen",
                                                "\\Draft"};
  out.untagged().atom("FLAGS").flags(kFlags).end();
  out.untagged().status(imap::Status::Ok).begin_code("PERMANENTFLAGS").open();
  for (std::string_view f : kFlags) out.flag(f);
  out.flag("\\*").close().end_code().text("Flags permitted");
  out.untagged().number(view.exists()).atom("EXISTS").end();
  out.untagged().number(0).atom("RECENT").end();  // rev1 clients expect it
  if (auto unseen = view.first_unseen())
    out.untagged()
        .status(imap::Status::Ok)
        .begin_code("UNSEEN")
        .number(*unseen)
        .end_code()
        .text("First unseen");
  out.untagged()
      .status(imap::Status::Ok)
      .begin_code("UIDVALIDITY")
      .number(view.info().uid_validity)
      .end_code()
      .text("UIDs valid");
  out.untagged()
      .status(imap::Status::Ok)
      .begin_code("UIDNEXT")
      .number(view.info().uid_next)
      .end_code()
      .text("Predicted next UID");
  out.tagged(c.tag)
      .status(imap::Status::Ok)
      .code(read_only ? "READ-ONLY" : "READ-WRITE")
      .text(c.name + " completed");
}

// Removes the \Deleted messages silently (no EXPUNGE responses) unless the mailbox was
// opened with EXAMINE, then leaves it.
net::awaitable<void> close(Session& s, const imap::Command& c) {
  MailboxView& view = s.view();
  if (!view.read_only()) {
    auto& store = s.context().store;
    const uint64_t id = view.mailbox_id();
    auto removed = co_await s.blocking([&]() -> Result<std::vector<uint32_t>> {
      auto fresh = store.messages(id);
      if (!fresh) return std::move(fresh.error());
      std::vector<uint32_t> deleted;
      for (const auto& m : *fresh)
        if (m.flags.system & store::kDeleted) deleted.push_back(m.uid);
      if (deleted.empty()) return deleted;
      return store.expunge(id, deleted);
    });
    if (!removed) {
      s.no(c, "SERVERBUG", "Expunge failed");
      co_return;
    }
  }
  deselect(s, "close");
  s.completed(c);
}

net::awaitable<void> unselect(Session& s, const imap::Command& c) {
  deselect(s, "unselect");
  s.completed(c);
  co_return;
}

}  // namespace mail::imapd::commands
