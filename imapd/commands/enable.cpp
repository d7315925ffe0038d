// ENABLE (RFC 5161, RFC 9051 section 6.3.1): the client switches on extensions that change
// how the server answers (imapd/enabled_extensions.h). Only advertised extensions can be
// enabled; other words are ignored, not refused (RFC 5161 section 3.1). The ENABLED
// response lists what this command switched on.
#include <vector>

#include "imapd/commands/handlers.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {

net::awaitable<void> enable(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::EnableArgs>(c.args);
  // Switched on first, listed after: enabling CONDSTORE in the selected state writes its
  // own untagged OK [HIGHESTMODSEQ] (Session::enable).
  std::vector<Extension> switched_on;
  for (const std::string& word : args.capabilities) {
    const std::optional<Extension> extension = enableable_extension(word);
    if (!extension || !s.advertises(extension_word(*extension))) continue;
    if (s.enable(*extension)) switched_on.push_back(*extension);
  }
  auto& out = s.out();
  out.untagged().atom("ENABLED");
  for (Extension e : switched_on) out.atom(extension_word(e));
  out.end();
  s.completed(c);
  co_return;
}

}  // namespace mail::imapd::commands
