// SEARCH and UID SEARCH (RFC 9051 section 6.4.4, RFC 3501 section 6.4.4) with every
// search key (imapd/search/query.h), CHARSET US-ASCII and UTF-8, RFC 7162's MODSEQ key,
// ESEARCH's RETURN options (RFC 4731) with CONTEXT=SEARCH's PARTIAL and UPDATE (RFC 5267
// sections 4.2, 4.4; search_context.h), the saved result "$" (RFC 5182) and IMAP4rev2's
// ESEARCH answer once the client enabled it (RFC 9051 section 7.3.4). The mailbox is
// walked through the store's zero-copy view on the worker pool (search_run.h).
#include <algorithm>

#include "common/log.h"
#include "imapd/commands/handlers.h"
#include "imapd/commands/search_context.h"
#include "imapd/commands/search_response.h"
#include "imapd/commands/search_run.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {

net::awaitable<void> search(Session& s, const imap::Command& c) {
  auto parsed = search::parse_search(std::get<imap::SearchArgs>(c.args));
  // RFC 5182 section 2.4: a SEARCH with SAVE that fails leaves "$" empty.
  const auto* args = &std::get<imap::SearchArgs>(c.args);
  if (args->has_return &&
      std::any_of(args->return_options.begin(), args->return_options.end(), [](const imap::Arg& a) {
        return a.kind == imap::Arg::Kind::Atom && imap::to_upper(a.value) == "SAVE";
      }))
    s.saved_search().clear();
  if (auto* e = std::get_if<search::QueryError>(&parsed)) {
    refuse_query(s, c, *e);
    co_return;
  }
  search::Program& program = std::get<search::Program>(parsed);
  // RFC 5267 section 4.2: a duplicate UPDATE tag is BAD before anything runs.
  if (program.ret.update && !may_keep_update(s, c)) co_return;
  // RFC 7162 section 3.1: a search with MODSEQ enables CONDSTORE.
  if (program.needs.modseq) s.enable(Extension::CondStore);
  // RFC 9051 section 6.4.4: with IMAP4rev2 the answer is ESEARCH, ALL by default.
  if (!program.ret.esearch && s.enabled(Extension::Imap4rev2)) {
    program.ret.esearch = true;
    program.ret.all = true;
  }

  auto hits = co_await search_hits<NoExtra>(s, program, 0,
                                            [](const store::MessageView&) { return NoExtra{}; });
  if (!hits) {
    s.no(c, "SERVERBUG", "Search failed");
    co_return;
  }
  std::vector<ResultEntry> results;
  results.reserve(hits->size());
  for (const auto& h : *hits) results.push_back({c.uid ? h.uid : h.seq, h.modseq});
  if (program.ret.save) {
    std::vector<uint32_t> uids;
    for (size_t i : saved_entries(program.ret, hits->size())) uids.push_back((*hits)[i].uid);
    s.saved_search().assign(std::move(uids));
  }
  if (program.ret.update) {
    std::vector<uint32_t> uids;
    uids.reserve(hits->size());
    for (const auto& h : *hits) uids.push_back(h.uid);
    keep_update_context(s, c, program, {}, std::move(uids));
  }
  if (program.ret.esearch) {
    write_esearch(s.out(), c.tag, c.uid, program.ret, results, program.needs.modseq);
  } else {
    write_plain_result(s.out(), "SEARCH", results, program.needs.modseq);
  }
  // No EXPUNGE during SEARCH (RFC 9051 section 7.5.1); UID SEARCH may have them unless
  // sequence numbers were part of it.
  co_await s.refresh(c.uid && !program.needs.sequence);
  s.completed(c);
}

void substitute_saved_result(Session& s, imap::Command& c) {
  if (!s.is_selected() || !search::uses_saved_result(c)) return;
  if (c.uid || s.saved_search().empty()) {
    search::substitute(c, s.saved_search(), [](uint32_t) { return std::optional<uint32_t>(); });
    return;
  }
  // Sequence numbers as this client knows them, from one snapshot.
  Result<void> failed{};
  Result<void> read = s.read_view([&](MailboxView::Snapshot& snap) -> Result<void> {
    search::substitute(c, s.saved_search(), [&](uint32_t uid) -> std::optional<uint32_t> {
      auto seq = snap.seq_of(uid);
      if (!seq) {
        failed = seq.error();
        return std::nullopt;
      }
      return *seq;
    });
    return failed;
  });
  // A failed read leaves "$" naming fewer messages; the handler's own read reports it.
  if (!read) log::warn("saved_result_failed").kv("error", read.error().message);
}

}  // namespace mail::imapd::commands
