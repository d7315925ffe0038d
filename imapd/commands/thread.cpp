// THREAD and UID THREAD (RFC 5256 sections 3 and 4): ORDEREDSUBJECT and REFERENCES over
// the messages a search matched, from the stored summaries' thread keys (base subject,
// sent date, Message-ID, References and In-Reply-To); the algorithms are in
// imapd/search/thread_tree.h.
#include "imapd/commands/handlers.h"
#include "imapd/commands/search_run.h"
#include "imapd/search/thread_tree.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {
namespace {

search::ThreadMessage thread_keys(const store::MessageView& m) {
  mime::MessageSummary summary = summary_of(m);
  mime::SortKeys& k = summary.sort;
  search::ThreadMessage t;
  t.date = k.has_date ? k.date : m.info.internal_date;  // section 2.2
  t.base_subject = std::move(k.base_subject);
  t.reply_or_forward = k.reply_or_forward;
  t.message_id = std::move(k.message_id);
  // Section 3 (REFERENCES 1.A): References, or else the first In-Reply-To id.
  t.references = std::move(k.references);
  if (t.references.empty() && !k.in_reply_to.empty()) t.references.push_back(k.in_reply_to);
  return t;
}

}  // namespace

net::awaitable<void> thread(Session& s, const imap::Command& c) {
  auto parsed = search::parse_thread(std::get<imap::GenericArgs>(c.args).args);
  if (auto* e = std::get_if<search::QueryError>(&parsed)) {
    refuse_query(s, c, *e);
    co_return;
  }
  search::ThreadQuery& q = std::get<search::ThreadQuery>(parsed);
  if (q.program.needs.modseq) s.enable(Extension::CondStore);
  const auto collect = [](const store::MessageView& m) { return thread_keys(m); };
  auto hits = co_await search_hits<search::ThreadMessage>(s, q.program, kSummaryParts, collect);
  if (!hits) {
    s.no(c, "SERVERBUG", "Thread failed");
    co_return;
  }
  std::vector<search::ThreadMessage> messages;
  messages.reserve(hits->size());
  for (auto& h : *hits) {
    h.extra.id = c.uid ? h.uid : h.seq;
    h.extra.order = h.seq;
    messages.push_back(std::move(h.extra));
  }
  hits->clear();
  const search::ThreadForest forest = q.algorithm == search::ThreadAlgorithm::References
                                          ? search::thread_references(messages)
                                          : search::thread_ordered_subject(messages);
  auto& out = s.out();
  out.untagged().atom("THREAD");
  if (!forest.roots.empty()) out.preformatted(search::format_threads(forest));
  out.end();
  co_await s.refresh(c.uid && !q.program.needs.sequence);
  s.completed(c);
}

}  // namespace mail::imapd::commands
