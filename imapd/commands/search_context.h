// RFC 5267 CONTEXT=SEARCH and CONTEXT=SORT: SEARCH/SORT RETURN (UPDATE) keep their result
// up to date (section 4.2), and the session reports each change to it as an untagged
// "* ESEARCH (TAG "t") [UID] ADDTO (pos set)" or "... REMOVEFROM (pos set)" (section 4.3)
// where it may send EXISTS, EXPUNGE and FETCH FLAGS: at the refresh that announces the
// change (Session::refresh), whoever made it (this session, another one, a delivery).
//
// A SEARCH context reports position 0 with the set of messages that joined or left (the
// result is in mailbox order, the position adds nothing); a SORT context reports each
// message with its 1-based position in the sorted result, one ADDTO or REMOVEFROM item per
// message, applied in order. Expunged messages leave a result just before their EXPUNGE
// (their numbers still valid); new ones join after EXISTS.
//
// Limits: imapd.max_update_contexts live contexts per session (one more is answered with
// its result and "* NO [NOUPDATE "t"]", RFC 5267 section 4.2); a refresh re-evaluates only
// the messages changed since the last one, at most imapd.max_update_changes of them (more
// ends every context with NOUPDATE, so a refresh's work stays bounded). A context keeps
// its criteria and its result set (and, for SORT, the same UIDs ascending), nothing else.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "imapd/protocol/command.h"
#include "imapd/search/query.h"

namespace mail::imapd {

class Session;

// Whether command `c`'s RETURN (UPDATE) may start a context: false, after answering BAD,
// when its tag already names a live one (the tag identifies it, section 4.2).
bool may_keep_update(Session& s, const imap::Command& c);

// Keeps a context for `c`'s result `uids` (in result order: ascending for SEARCH, sort
// order for SORT; `sort` empty for SEARCH), or writes "* NO [NOUPDATE "tag"]" when the
// session has imapd.max_update_contexts already.
void keep_update_context(Session& s, const imap::Command& c, const search::Program& program,
                         std::vector<search::SortCriterion> sort, std::vector<uint32_t> uids);

// Before a refresh writes its EXPUNGEs: REMOVEFROM for the expunged messages that are in
// a context's result. `expunges`: (sequence number, UID) as MailboxView::Refresh has them.
void report_expunged_results(Session& s, std::span<const std::pair<uint32_t, uint32_t>> expunges);

// After a refresh announced the mailbox's changes: re-evaluates every context on the
// messages changed since MODSEQ `since` (flags, new messages) and reports what joined or
// left each result.
void report_result_changes(Session& s, uint64_t since);

// CANCELUPDATE's work: ends the contexts of `tags`; false if one names none (nothing is
// ended then).
bool cancel_updates(Session& s, std::span<const std::string> tags);

}  // namespace mail::imapd
