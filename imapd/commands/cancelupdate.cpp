// CANCELUPDATE (RFC 5267 section 4.3): ends the RETURN (UPDATE) contexts named by the
// tags of the commands that made them ("CANCELUPDATE "tag1" "tag2""). A tag that names no
// live context is BAD and ends none of them.
#include <string>
#include <vector>

#include "imapd/commands/handlers.h"
#include "imapd/commands/search_context.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {

net::awaitable<void> cancelupdate(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::GenericArgs>(c.args).args;
  std::vector<std::string> tags;
  for (const imap::Arg& a : args) {
    // tag-string = string; Dovecot and clients also send bare atoms.
    if (a.kind == imap::Arg::Kind::List) {
      s.bad(c.tag, "CANCELUPDATE takes tags");
      co_return;
    }
    tags.push_back(a.value);
  }
  if (tags.empty()) {
    s.bad(c.tag, "CANCELUPDATE needs a tag");
    co_return;
  }
  if (!cancel_updates(s, tags)) {
    s.bad(c.tag, "Unknown search update tag");
    co_return;
  }
  co_await s.refresh(true);
  s.completed(c);
}

}  // namespace mail::imapd::commands
