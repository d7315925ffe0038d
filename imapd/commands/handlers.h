// The command handlers, one declaration per command; the definitions live in the file of
// their command family in this folder, each naming its RFC section. Only the command
// table (command_table.cpp) refers to them.
#pragma once

#include "imapd/commands/command_table.h"
#include "imapd/protocol/response_writer.h"

namespace mail::imapd::commands {

// any_state.cpp: RFC 9051 section 6.1, RFC 2971.
net::awaitable<void> capability(Session& s, const imap::Command& c);
net::awaitable<void> noop(Session& s, const imap::Command& c);  // NOOP and CHECK
net::awaitable<void> logout(Session& s, const imap::Command& c);
net::awaitable<void> id(Session& s, const imap::Command& c);
// login.cpp: RFC 9051 section 6.2, RFC 4616, RFC 4959.
net::awaitable<void> starttls(Session& s, const imap::Command& c);
net::awaitable<void> login(Session& s, const imap::Command& c);
net::awaitable<void> authenticate(Session& s, const imap::Command& c);
// select.cpp: RFC 9051 sections 6.3.2, 6.3.3, 6.4.2, RFC 3691.
net::awaitable<void> select(Session& s, const imap::Command& c);  // SELECT and EXAMINE
net::awaitable<void> close(Session& s, const imap::Command& c);
net::awaitable<void> unselect(Session& s, const imap::Command& c);
// list.cpp: RFC 9051 sections 6.3.9, 6.3.10, RFC 3501 6.3.9.
net::awaitable<void> list(Session& s, const imap::Command& c);  // LIST and LSUB
net::awaitable<void> namespace_(Session& s, const imap::Command& c);
// status.cpp: RFC 9051 section 6.3.11.
net::awaitable<void> status(Session& s, const imap::Command& c);
// create.cpp: RFC 9051 section 6.3.4.
net::awaitable<void> create(Session& s, const imap::Command& c);
// append.cpp: RFC 9051 section 6.3.12, RFC 4315.
net::awaitable<void> append(Session& s, const imap::Command& c);
// fetch.cpp: RFC 9051 section 6.4.5.
net::awaitable<void> fetch(Session& s, const imap::Command& c);
// store.cpp: RFC 9051 section 6.4.6.
net::awaitable<void> store(Session& s, const imap::Command& c);
// expunge.cpp: RFC 9051 section 6.4.3, RFC 4315 section 2.1.
net::awaitable<void> expunge(Session& s, const imap::Command& c);
// mailboxes.cpp: RFC 9051 sections 6.3.5-6.3.8.
net::awaitable<void> delete_(Session& s, const imap::Command& c);
net::awaitable<void> rename(Session& s, const imap::Command& c);
net::awaitable<void> subscribe(Session& s, const imap::Command& c);
net::awaitable<void> unsubscribe(Session& s, const imap::Command& c);
// quota.cpp: RFC 9208 sections 4.1-4.3.
net::awaitable<void> getquota(Session& s, const imap::Command& c);
net::awaitable<void> getquotaroot(Session& s, const imap::Command& c);
net::awaitable<void> setquota(Session& s, const imap::Command& c);
// compress.cpp: RFC 4978.
net::awaitable<void> compress(Session& s, const imap::Command& c);
// copy_move.cpp: RFC 9051 section 6.4.7, RFC 4315 section 3, RFC 6851.
net::awaitable<void> copy(Session& s, const imap::Command& c);
net::awaitable<void> move(Session& s, const imap::Command& c);
// idle.cpp: RFC 2177, RFC 9051 section 6.3.13.
net::awaitable<void> idle(Session& s, const imap::Command& c);
// enable.cpp: RFC 5161, RFC 9051 section 6.3.1.
net::awaitable<void> enable(Session& s, const imap::Command& c);
// notify.cpp: RFC 5465 section 3.1.
net::awaitable<void> notify(Session& s, const imap::Command& c);

// urlauth.cpp: RFC 4467 sections 6.1, 6.2; urlfetch.cpp: RFC 4467 6.3, RFC 5524.
net::awaitable<void> genurlauth(Session& s, const imap::Command& c);
net::awaitable<void> resetkey(Session& s, const imap::Command& c);
net::awaitable<void> urlfetch(Session& s, const imap::Command& c);

// search.cpp: RFC 9051 section 6.4.4, RFC 4731 ESEARCH, RFC 5182 SEARCHRES.
net::awaitable<void> search(Session& s, const imap::Command& c);
// Replaces "$" in a command's sequence set with the saved search result (RFC 5182 section
// 2.1); the session calls it for every command before its handler.
void substitute_saved_result(Session& s, imap::Command& c);
// sort.cpp: RFC 5256 section 3, RFC 5957 SORT=DISPLAY, RFC 5267 ESORT.
net::awaitable<void> sort(Session& s, const imap::Command& c);
// cancelupdate.cpp: RFC 5267 section 4.3 (CONTEXT=SEARCH, CONTEXT=SORT).
net::awaitable<void> cancelupdate(Session& s, const imap::Command& c);
// thread.cpp: RFC 5256 section 4 (ORDEREDSUBJECT, REFERENCES).
net::awaitable<void> thread(Session& s, const imap::Command& c);

}  // namespace mail::imapd::commands
