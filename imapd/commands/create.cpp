// CREATE (RFC 9051 section 6.3.4) with RFC 6154's USE parameter (CREATE-SPECIAL-USE): a
// new mailbox and any missing superiors; a trailing delimiter is dropped ("foo/" creates
// "foo"). One special use per mailbox (the store keeps one); any other answers
// NO [USEATTR] and creates nothing (RFC 6154 section 3).
#include "common/log.h"
#include "imapd/commands/handlers.h"
#include "imapd/commands/mailbox_names.h"
#include "imapd/protocol/reader.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {
namespace {

std::optional<store::SpecialUse> special_use_of(std::string_view attribute) {
  const std::string upper = imap::to_upper(attribute);
  if (upper == "\\SENT") return store::SpecialUse::Sent;
  if (upper == "\\DRAFTS") return store::SpecialUse::Drafts;
  if (upper == "\\TRASH") return store::SpecialUse::Trash;
  if (upper == "\\JUNK") return store::SpecialUse::Junk;
  if (upper == "\\ARCHIVE") return store::SpecialUse::Archive;
  return std::nullopt;  // \All and \Flagged need virtual mailboxes; others are unknown
}

enum class UseParse { Ok, Bad, Unsupported };

// create-param (RFC 4466 section 2.2): "USE" SP "(" [use-attr *(SP use-attr)] ")".
UseParse read_use(const std::vector<imap::Arg>& params, store::SpecialUse& use) {
  for (size_t i = 0; i < params.size(); i += 2) {
    if (params[i].kind != imap::Arg::Kind::Atom || imap::to_upper(params[i].value) != "USE" ||
        i + 1 >= params.size() || params[i + 1].kind != imap::Arg::Kind::List)
      return UseParse::Bad;
    const auto& attributes = params[i + 1].list;
    for (const imap::Arg& a : attributes)
      if (a.kind != imap::Arg::Kind::Atom || a.value.empty() || a.value[0] != '\\')
        return UseParse::Bad;
    if (attributes.empty()) continue;
    if (attributes.size() > 1 || use != store::SpecialUse::None) return UseParse::Unsupported;
    std::optional<store::SpecialUse> known = special_use_of(attributes[0].value);
    if (!known) return UseParse::Unsupported;
    use = *known;
  }
  return UseParse::Ok;
}

}  // namespace

net::awaitable<void> create(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::MailboxArgs>(c.args);
  store::SpecialUse use = store::SpecialUse::None;
  switch (read_use(args.params, use)) {
    case UseParse::Ok:
      break;
    case UseParse::Bad:
      s.bad(c.tag, "Invalid CREATE parameters");
      co_return;
    case UseParse::Unsupported:
      s.no(c, "USEATTR", "Unsupported special-use attribute");
      co_return;
  }
  const std::optional<std::string> name = new_mailbox_argument(s, c, args.mailbox);
  if (!name) co_return;
  if (*name == "INBOX") {
    s.no(c, "ALREADYEXISTS", "INBOX always exists");
    co_return;
  }
  auto& store = s.context().store;
  const std::string& account = s.account();
  const size_t max_mailboxes = static_cast<size_t>(s.config().max_mailboxes);
  bool over_limit = false;
  auto created = co_await s.blocking([&]() -> Result<store::MailboxInfo> {
    auto existing = store.list_mailboxes(account);
    if (!existing) return existing.error();
    if (existing->size() >= max_mailboxes) {
      over_limit = true;
      return make_error(ErrorKind::Invalid, "too many mailboxes");
    }
    return store.create_mailbox(account, *name, use);
  });
  if (over_limit) {
    s.no(c, "LIMIT", "Too many mailboxes");
    co_return;
  }
  if (!created) {
    no_for_store_error(s, c, created.error());
    co_return;
  }
  log::info("mailbox_created").kv("session", s.connection().id()).kv("mailbox", *name);
  s.completed(c);
}

}  // namespace mail::imapd::commands
