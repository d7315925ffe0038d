// COPY and UID COPY (RFC 9051 section 6.4.7) with COPYUID (RFC 4315 section 3), MOVE and
// UID MOVE (RFC 6851). Each is one store transaction: the copies share the bodies and
// keep flags and dates. MOVE answers "* OK [COPYUID ...]" untagged, then reports the
// moved messages' removal (EXPUNGE, or VANISHED with QRESYNC; RFC 6851 section 3.3),
// then the tagged OK. Over quota: NO [OVERQUOTA] (RFC 9208 section 4.3, nothing copied).
#include "common/log.h"
#include "imapd/commands/handlers.h"
#include "imapd/commands/mailbox_names.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {
namespace {

void write_copyuid(imap::ResponseWriter& out, const store::CopyResult& r) {
  out.begin_code("COPYUID")
      .number(r.uid_validity)
      .sequence_set(r.source_uids)
      .sequence_set(r.destination_uids)
      .end_code();
}

net::awaitable<void> copy_or_move(Session& s, const imap::Command& c, bool move) {
  const auto& args = std::get<imap::CopyArgs>(c.args);
  MailboxView& view = s.view();
  if (move && view.read_only()) {
    s.no(c, "READ-ONLY", "Mailbox is read-only");
    co_return;
  }
  std::vector<uint32_t> uids;
  bool in_range = true, expunged = false;
  auto read = s.read_view([&](MailboxView::Snapshot& snap) -> Result<void> {
    auto ranges = snap.resolve(args.set, c.uid);
    if (!ranges) return std::move(ranges.error());
    if (!*ranges) {
      in_range = false;
      return {};
    }
    return snap.for_each(**ranges, store::kPartInfo, [&](const MailboxView::Snapshot::Message& m) {
      if (m.message) {
        uids.push_back(m.uid);
      } else {
        expunged = true;
      }
      return true;
    });
  });
  if (!read) {
    s.no(c, "SERVERBUG", "Cannot read the mailbox");
    co_return;
  }
  if (!in_range) {
    s.bad(c.tag, "Invalid message sequence number");
    co_return;
  }
  // RFC 9051 section 6.4.7: all or nothing; a message another session expunged cannot be
  // copied, so nothing is (what Dovecot does; imaptest expects it).
  if (expunged) {
    s.no(c, "EXPUNGEISSUED", "Some of the requested messages no longer exist");
    co_return;
  }
  // The destination as the store names it (modified UTF-7 or UTF-8 on the wire, RFC 6855).
  const std::optional<std::string> name = mailbox_argument(s, c, args.mailbox);
  if (!name) co_return;
  auto& store = s.context().store;
  auto destination = store.mailbox(s.account(), *name);
  if (!destination) {
    // RFC 9051 section 6.4.7: TRYCREATE when the destination does not exist.
    if (destination.error().kind == ErrorKind::NotFound) {
      s.no(c, "TRYCREATE", "Mailbox does not exist");
    } else {
      s.no(c, "SERVERBUG", "Cannot open the destination");
    }
    co_return;
  }
  if (uids.empty()) {
    s.completed(c);  // RFC 9051 section 6.4.9: no message named is not an error
    co_return;
  }
  const uint64_t from = view.mailbox_id(), to = destination->id;
  auto done = co_await s.blocking(
      [&] { return move ? store.move(from, uids, to) : store.copy(from, uids, to); });
  if (!done) {
    switch (done.error().kind) {
      case ErrorKind::OverQuota:
        s.no(c, "OVERQUOTA", "Quota exceeded");
        break;
      case ErrorKind::NotFound:
        s.no(c, "TRYCREATE", "Mailbox does not exist");
        break;
      default:
        log::warn("copy_failed")
            .kv("session", s.connection().id())
            .kv("error", done.error().message);
        s.no(c, "SERVERBUG", move ? "MOVE failed" : "COPY failed");
    }
    co_return;
  }
  auto& out = s.out();
  if (move) {
    // RFC 6851 section 4.3: COPYUID in an untagged OK, before the expunges.
    if (!done->source_uids.empty()) {
      out.untagged().status(imap::Status::Ok);
      write_copyuid(out, *done);
      out.text("Moved UIDs");
    }
    co_await s.refresh(true);
    s.completed_with_modseq(c);
    co_return;
  }
  // A copy into the selected mailbox shows up as EXISTS; other sessions' expunges may
  // come now except during UID COPY (the rule this server keeps for UID commands).
  co_await s.refresh(!c.uid || s.enabled(Extension::QResync));
  out.tagged(c.tag).status(imap::Status::Ok);
  if (!done->source_uids.empty()) write_copyuid(out, *done);
  out.text(std::string(c.uid ? "UID " : "") + "COPY completed");
}

}  // namespace

net::awaitable<void> copy(Session& s, const imap::Command& c) {
  co_await copy_or_move(s, c, false);
}

net::awaitable<void> move(Session& s, const imap::Command& c) {
  co_await copy_or_move(s, c, true);
}

}  // namespace mail::imapd::commands
