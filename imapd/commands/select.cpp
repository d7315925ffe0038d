// Selecting a mailbox and leaving it: SELECT and EXAMINE (RFC 9051 sections 6.3.2 and
// 6.3.3, RFC 3501 section 6.3.1 for the rev1 responses) with the CONDSTORE and QRESYNC
// parameters (RFC 7162 sections 3.1.8 and 3.2.5), CLOSE (RFC 9051 6.4.1), UNSELECT
// (RFC 3691). The selected mailbox costs the session a few watermarks, not a list of its
// messages (imapd/mailbox_view.h): SELECT on 100,000 messages reads a handful of keys.
#include "common/log.h"
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

std::optional<uint64_t> number(const imap::Arg& a) {
  if (a.kind != imap::Arg::Kind::Atom || a.value.empty() || a.value.size() > 20) return {};
  uint64_t n = 0;
  for (char ch : a.value) {
    if (ch < '0' || ch > '9') return {};
    const uint64_t next = n * 10 + static_cast<uint64_t>(ch - '0');
    if (next < n) return {};
    n = next;
  }
  return n;
}

// RFC 7162 section 3.2.5: QRESYNC (uidvalidity mod-sequence [known-uids [seq-match]]).
struct Qresync {
  uint32_t uid_validity = 0;
  uint64_t modseq = 0;
  std::optional<imap::SequenceSet> known_uids;
};

struct SelectParams {
  bool condstore = false;
  std::optional<Qresync> qresync;
};

// Parses the select parameters; false (with `error` set) for anything else or malformed.
bool parse_params(const std::vector<imap::Arg>& params, SelectParams& out, std::string& error) {
  for (size_t i = 0; i < params.size(); ++i) {
    const imap::Arg& p = params[i];
    const std::string name = p.kind == imap::Arg::Kind::Atom ? imap::to_upper(p.value) : "";
    if (name == "CONDSTORE") {
      out.condstore = true;
      continue;
    }
    if (name != "QRESYNC" || i + 1 >= params.size() ||
        params[i + 1].kind != imap::Arg::Kind::List) {
      error = "Unknown SELECT parameter";
      return false;
    }
    const auto& q = params[++i].list;
    Qresync r;
    auto validity = q.size() >= 2 ? number(q[0]) : std::nullopt;
    auto modseq = q.size() >= 2 ? number(q[1]) : std::nullopt;
    // mod-value is a positive 63-bit number (RFC 7162 section 7); a uidvalidity nz-number.
    if (!validity || !modseq || *validity == 0 || *validity > UINT32_MAX || *modseq == 0 ||
        *modseq > INT64_MAX || q.size() > 4) {
      error = "Invalid QRESYNC parameters";
      return false;
    }
    r.uid_validity = static_cast<uint32_t>(*validity);
    r.modseq = *modseq;
    if (q.size() >= 3) {
      if (q[2].kind != imap::Arg::Kind::Atom ||
          !(r.known_uids = imap::SequenceSet::parse(q[2].value))) {
        error = "Invalid QRESYNC known-uids";
        return false;
      }
    }
    // seq-match data (a list of two sets) is accepted and not needed: the store records
    // every expunge, so VANISHED (EARLIER) is exact without it.
    if (q.size() == 4 && q[3].kind != imap::Arg::Kind::List) {
      error = "Invalid QRESYNC seq-match data";
      return false;
    }
    out.qresync = std::move(r);
  }
  return true;
}

// RFC 3501 2.3.2: SELECT claims the messages no session has seen as \Recent yet (a store
// write on the worker pool: the next session will not see them as recent); EXAMINE claims
// nothing and sees those same messages as \Recent. Returns the RECENT count.
net::awaitable<uint32_t> recent_at_select(Session& s, uint32_t first_recent_uid) {
  MailboxView& v = s.view();
  store::RecentClaim claim{first_recent_uid, v.uid_next()};
  if (!v.read_only() && first_recent_uid < v.uid_next()) {
    auto& store = s.context().store;
    const uint64_t id = v.mailbox_id();
    const uint32_t up_to = v.uid_next();
    auto claimed = co_await s.blocking([&] { return store.claim_recent(id, up_to); });
    if (!claimed) {
      log::warn("claim_recent_failed").kv("session", s.connection().id());
      co_return 0;
    }
    claim = *claimed;
  }
  if (!s.is_selected()) co_return 0;
  MailboxView& view = s.view();
  view.add_recent(claim);
  uint32_t count = 0;
  if (view.has_recent()) {
    auto counted = view.read(s.context().store, [&](MailboxView::Snapshot& snap) -> Result<void> {
      auto n = snap.recent_count();
      if (!n) return std::move(n.error());
      count = *n;
      return {};
    });
    if (!counted) count = 0;
  }
  view.set_announced_recent(count);
  co_return count;
}

}  // namespace

net::awaitable<void> select(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::MailboxArgs>(c.args);
  const bool read_only = c.name == "EXAMINE";
  SelectParams params;
  std::string error;
  if (!parse_params(args.params, params, error)) {
    s.bad(c.tag, error);
    co_return;
  }
  // RFC 7162 section 3.2.5: QRESYNC must have been enabled first.
  if (params.qresync && !s.enabled(Extension::QResync)) {
    s.bad(c.tag, "QRESYNC is not enabled");
    co_return;
  }
  // RFC 9051 section 6.3.2: a failed SELECT leaves no mailbox selected, and the mailbox
  // closed this way is reported with [CLOSED] (also RFC 7162 section 3.2.11), so that a
  // client can tell which responses belong to which mailbox.
  if (s.is_selected()) {
    s.out().untagged().status(imap::Status::Ok).code("CLOSED").text("Previous mailbox closed");
    deselect(s, "select");
  }
  if (params.condstore) s.enable(Extension::CondStore);  // RFC 7162 section 3.1
  // The name as the store keeps it (modified UTF-7 or UTF-8 on the wire, RFC 6855).
  const std::optional<std::string> name = mailbox_argument(s, c, args.mailbox);
  if (!name) co_return;
  auto& store = s.context().store;
  const std::string account = s.account();
  auto info = store.mailbox(account, *name);
  if (!info) {
    if (info.error().kind == ErrorKind::NotFound) {
      s.no(c, "NONEXISTENT", "Mailbox does not exist");
    } else {
      s.no(c, "UNAVAILABLE", "Mailbox unavailable");
    }
    co_return;
  }
  // The view starts from one snapshot: counts, UIDNEXT, HIGHESTMODSEQ, keywords, first
  // unseen and (QRESYNC) the changes since the client's MODSEQ all agree.
  std::optional<MailboxView> view;
  std::optional<uint32_t> unseen;
  store::Changes changes;
  bool resync = false;
  uint32_t first_recent_uid = 0;
  auto read = store.read(info->id, [&](store::MailboxView& v) -> Result<void> {
    view.emplace(v.info(), read_only);
    first_recent_uid = v.info().first_recent_uid;
    auto first = v.first_unseen();
    if (!first) return std::move(first.error());
    if (*first) {
      auto pos = v.position_of(**first);
      if (!pos) return std::move(pos.error());
      unseen = *pos;
    }
    if (params.qresync && params.qresync->uid_validity == v.info().uid_validity) {
      auto since = v.changes_since(params.qresync->modseq);
      if (!since) return std::move(since.error());
      changes = std::move(*since);
      resync = true;
    }
    return {};
  });
  if (!read) {
    s.no(c, "UNAVAILABLE", "Mailbox unavailable");
    co_return;
  }
  s.change_state(Selected{account, std::move(*view), {}, {}}, read_only ? "examine" : "select");
  // RFC 3501 clients expect RECENT; RFC 9051 dropped it (appendix E, item 11).
  const bool recent_kept = !s.extensions().imap4rev2();
  std::optional<uint32_t> recent;
  if (recent_kept) {
    auto got = co_await recent_at_select(s, first_recent_uid);
    if (!s.is_selected()) co_return;
    recent = got;
  }
  MailboxView& v = s.view();
  auto& out = s.out();
  MailboxView::write_flag_lists(out, v.keywords(), read_only);
  out.untagged().number(v.exists()).atom("EXISTS").end();
  if (recent) out.untagged().number(*recent).atom("RECENT").end();
  if (unseen)
    out.untagged()
        .status(imap::Status::Ok)
        .begin_code("UNSEEN")
        .number(*unseen)
        .end_code()
        .text("First unseen");
  out.untagged()
      .status(imap::Status::Ok)
      .begin_code("UIDVALIDITY")
      .number(v.uid_validity())
      .end_code()
      .text("UIDs valid");
  out.untagged()
      .status(imap::Status::Ok)
      .begin_code("UIDNEXT")
      .number(v.uid_next())
      .end_code()
      .text("Predicted next UID");
  // RFC 7162 section 3.1.2.1: every SELECT/EXAMINE of a server with persistent
  // mod-sequences says HIGHESTMODSEQ (this store keeps them for every mailbox, so
  // NOMODSEQ never applies).
  out.untagged()
      .status(imap::Status::Ok)
      .begin_code("HIGHESTMODSEQ")
      .number(v.highest_modseq())
      .end_code()
      .text("Highest");
  if (resync) {
    // RFC 7162 section 3.2.5.1: what the client missed, expunges first.
    std::vector<uint32_t> vanished;
    for (const auto& e : changes.expunged)
      if (!params.qresync->known_uids || params.qresync->known_uids->contains(e.uid, UINT32_MAX))
        vanished.push_back(e.uid);
    if (!vanished.empty())
      out.untagged().atom("VANISHED").open().atom("EARLIER").close().sequence_set(vanished).end();
    // Positions in the fresh view are sequence numbers (nothing is pending yet).
    auto written = s.read_view([&](MailboxView::Snapshot& snap) -> Result<void> {
      for (const auto& m : changes.changed) {
        if (m.uid >= v.uid_next()) break;
        auto seq = snap.seq_of(m.uid);
        if (!seq) return std::move(seq.error());
        if (*seq) write_flag_update(out, **seq, m, true, true, v.is_recent(m.uid));
      }
      return {};
    });
    if (!written) log::warn("qresync_failed").kv("session", s.connection().id());
  }
  out.tagged(c.tag)
      .status(imap::Status::Ok)
      .code(read_only ? "READ-ONLY" : "READ-WRITE")
      .text(c.name + " completed");
}

// RFC 9051 section 6.4.1: removes the \Deleted messages silently (no EXPUNGE responses)
// unless the mailbox was opened with EXAMINE, then leaves it.
net::awaitable<void> close(Session& s, const imap::Command& c) {
  MailboxView& view = s.view();
  if (!view.read_only()) {
    auto& store = s.context().store;
    const uint64_t id = view.mailbox_id();
    // Only the messages this client knows: one delivered since the last EXISTS is not its
    // to remove.
    const store::UidRange known{1, view.uid_next() - 1};
    auto removed = co_await s.blocking(
        [&] { return store.expunge_deleted(id, std::span<const store::UidRange>(&known, 1)); });
    if (!removed && removed.error().kind != ErrorKind::NotFound) {
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
