// Commands valid in any state: CAPABILITY (RFC 9051 section 6.1.1), NOOP (6.1.2) and
// CHECK (RFC 3501 section 6.4.1, a NOOP in effect), LOGOUT (6.1.3), ID (RFC 2971).
#include "common/log.h"
#include "imapd/commands/handlers.h"
#include "imapd/protocol/reader.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {

net::awaitable<void> capability(Session& s, const imap::Command& c) {
  s.out().untagged().atom("CAPABILITY");
  s.write_capabilities(s.out());
  s.out().end();
  s.completed(c);
  co_return;
}

// The poll for changes: a selected mailbox reports new messages, flag changes and
// expunges (RFC 9051 section 7.5.1 allows EXPUNGE here).
net::awaitable<void> noop(Session& s, const imap::Command& c) {
  co_await s.refresh(true);
  s.completed(c);
}

net::awaitable<void> logout(Session& s, const imap::Command& c) {
  s.bye("Logging out");
  s.completed(c);
  co_return;
}

// RFC 2971 section 3.1: the server's identification. The client's parameters are only for
// the log (its name and version help to tell clients apart), cut to a sane length.
net::awaitable<void> id(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::IdArgs>(c.args);
  if (args.params) {
    auto line = log::info("client_id");
    line.kv("session", s.connection().id());
    for (const auto& [field, value] : *args.params) {
      const std::string key = imap::to_upper(field);
      if (value && (key == "NAME" || key == "VERSION" || key == "OS"))
        line.kv(key == "NAME"      ? "name"
                : key == "VERSION" ? "version"
                                   : "os",
                std::string_view(*value).substr(0, 64));
    }
  }
  s.out().untagged().atom("ID").open().string("name").string("mailsuite").close().end();
  s.completed(c);
  co_return;
}

}  // namespace mail::imapd::commands
