// Listing mailboxes: LIST (RFC 9051 section 6.3.9), LSUB (RFC 3501 section 6.3.9),
// NAMESPACE (6.3.10, RFC 2342). Names use '/' as the hierarchy delimiter. Patterns come
// from the client: capped at imapd.max_list_pattern and matched without backtracking
// (imap::MailboxPattern), so no pattern can pin an event loop or overflow the stack.
#include <algorithm>

#include "imapd/commands/handlers.h"
#include "imapd/protocol/mailbox_pattern.h"
#include "imapd/protocol/reader.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {
namespace {

constexpr char kDelimiter = '/';

const char* special_use_attribute(store::SpecialUse use) {
  switch (use) {
    case store::SpecialUse::Sent:
      return "\\Sent";
    case store::SpecialUse::Drafts:
      return "\\Drafts";
    case store::SpecialUse::Trash:
      return "\\Trash";
    case store::SpecialUse::Junk:
      return "\\Junk";
    case store::SpecialUse::Archive:
      return "\\Archive";
    case store::SpecialUse::None:
      break;
  }
  return nullptr;
}

// INBOX is case-insensitive (RFC 9051 section 5.1): a pattern starting with "inbox" in
// any case followed by the delimiter, a wildcard or its end means INBOX.
std::string canonical_inbox_prefix(std::string pattern) {
  if (pattern.size() >= 5 && imap::to_upper(std::string_view(pattern).substr(0, 5)) == "INBOX") {
    const char next = pattern.size() == 5 ? '\0' : pattern[5];
    if (next == '\0' || next == kDelimiter || next == '*' || next == '%')
      pattern.replace(0, 5, "INBOX");
  }
  return pattern;
}

}  // namespace

net::awaitable<void> list(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::ListArgs>(c.args);
  auto& out = s.out();
  if (args.patterns.size() == 1 && args.patterns.front().empty()) {
    // An empty pattern asks for the hierarchy delimiter (RFC 9051 section 6.3.9).
    out.untagged().atom(c.name).open().flag("\\Noselect").close().string("/").string("").end();
    s.completed(c);
    co_return;
  }
  const size_t max_pattern = static_cast<size_t>(s.config().max_list_pattern);
  std::vector<imap::MailboxPattern> patterns;
  for (const auto& p : args.patterns) {
    auto compiled = imap::MailboxPattern::compile(canonical_inbox_prefix(args.reference + p),
                                                  kDelimiter, max_pattern);
    if (!compiled) {
      s.bad(c.tag, "Mailbox pattern too long");
      co_return;
    }
    patterns.push_back(std::move(*compiled));
  }
  auto& store = s.context().store;
  const std::string& account = s.account();
  auto mailboxes = co_await s.blocking([&] { return store.list_mailboxes(account); });
  if (!mailboxes) {
    s.no(c, "UNAVAILABLE", "Mailbox list unavailable");
    co_return;
  }
  std::vector<std::string_view> names;
  for (const auto& m : *mailboxes) names.push_back(m.name);
  std::sort(names.begin(), names.end());
  const bool lsub = c.name == "LSUB";
  for (const auto& mailbox : *mailboxes) {
    if (lsub && !mailbox.subscribed) continue;
    if (std::none_of(patterns.begin(), patterns.end(),
                     [&](const imap::MailboxPattern& p) { return p.matches(mailbox.name); }))
      continue;
    // RFC 3348 CHILDREN: a child sorts right after "name/" (binary search, not a scan).
    const std::string prefix = mailbox.name + kDelimiter;
    auto child = std::lower_bound(names.begin(), names.end(), prefix);
    const bool children = child != names.end() && child->starts_with(prefix);
    out.untagged().atom(c.name).open().flag(children ? "\\HasChildren" : "\\HasNoChildren");
    if (const char* use = special_use_attribute(mailbox.special_use)) out.flag(use);
    out.close().string("/").astring(mailbox.name).end();
    if (!co_await s.drain()) co_return;
  }
  s.completed(c);
}

net::awaitable<void> namespace_(Session& s, const imap::Command& c) {
  // RFC 2342 section 5: one personal namespace, "" with delimiter "/"; no others.
  s.out().untagged().atom("NAMESPACE").open().open().string("").string("/").close().close();
  s.out().nil().nil().end();
  s.completed(c);
  co_return;
}

}  // namespace mail::imapd::commands
