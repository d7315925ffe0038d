// Mailbox commands: SELECT and EXAMINE (RFC 9051 sections 6.3.2, 6.3.3, RFC 3501 6.3.1),
// LIST and LSUB (6.3.9, RFC 3501 6.3.9), STATUS (6.3.11), NAMESPACE (6.3.10, RFC 2342),
// CREATE (6.3.4). Mailbox names use '/' as the hierarchy separator.
#include <algorithm>

#include "imapd/session_impl.h"

namespace mail::imapd {
namespace {

// LIST wildcards: '*' matches anything, '%' anything but the separator.
bool matches(std::string_view pattern, std::string_view name) {
  if (pattern.empty()) return name.empty();
  char p = pattern.front();
  if (p == '*' || p == '%') {
    for (size_t i = 0; i <= name.size(); ++i) {
      if (matches(pattern.substr(1), name.substr(i))) return true;
      if (i < name.size() && p == '%' && name[i] == '/') return false;
    }
    return false;
  }
  if (name.empty()) return false;
  // INBOX matches case-insensitively (RFC 9051 section 5.1).
  return p == name.front() && matches(pattern.substr(1), name.substr(1));
}

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

}  // namespace

net::awaitable<void> Session::select(const imap::Command& c) {
  const auto& args = std::get<imap::MailboxArgs>(c.args);
  const bool read_only = c.name == "EXAMINE";
  deselect();  // a failed SELECT leaves no mailbox selected (RFC 9051 section 6.3.2)
  auto info = co_await blocking([&] { return ctx_.store.mailbox(account_, args.mailbox); });
  if (!info) {
    if (info.error().kind == ErrorKind::NotFound) {
      no(c, "Mailbox does not exist", "NONEXISTENT");
    } else {
      no(c, "Mailbox unavailable", "UNAVAILABLE");
    }
    co_return;
  }
  auto messages = co_await blocking([&] { return ctx_.store.messages(info->id); });
  if (!messages) {
    no(c, "Mailbox unavailable", "UNAVAILABLE");
    co_return;
  }
  selected_ = SelectedMailbox{*info, read_only, std::move(*messages)};
  state_ = State::Selected;
  const auto& msgs = selected_->messages;
  untagged("FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)");
  untagged(
      "OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted");
  untagged(std::to_string(msgs.size()) + " EXISTS");
  untagged("0 RECENT");
  auto first_unseen = std::find_if(msgs.begin(), msgs.end(), [](const store::MessageInfo& m) {
    return !(m.flags.system & store::kSeen);
  });
  if (first_unseen != msgs.end())
    untagged("OK [UNSEEN " + std::to_string(first_unseen - msgs.begin() + 1) + "] First unseen");
  untagged("OK [UIDVALIDITY " + std::to_string(info->uid_validity) + "] UIDs valid");
  untagged("OK [UIDNEXT " + std::to_string(info->uid_next) + "] Predicted next UID");
  ok(c, c.name + " completed", read_only ? "READ-ONLY" : "READ-WRITE");
}

net::awaitable<void> Session::list(const imap::Command& c) {
  const auto& args = std::get<imap::ListArgs>(c.args);
  const bool lsub = c.name == "LSUB";
  if (args.patterns.size() == 1 && args.patterns.front().empty()) {
    // An empty pattern asks for the hierarchy delimiter (RFC 9051 section 6.3.9).
    untagged(c.name + " (\\Noselect) \"/\" \"\"");
    ok(c, c.name + " completed");
    co_return;
  }
  auto mailboxes = co_await blocking([&] { return ctx_.store.list_mailboxes(account_); });
  if (!mailboxes) {
    no(c, "Mailbox list unavailable", "UNAVAILABLE");
    co_return;
  }
  for (const auto& mailbox : *mailboxes) {
    if (lsub && !mailbox.subscribed) continue;
    bool listed = false;
    for (const auto& pattern : args.patterns) {
      std::string full = args.reference + pattern;
      // "INBOX" matches in any case.
      std::string name = mailbox.name;
      if (name == "INBOX") {
        std::string upper = full;
        std::transform(upper.begin(), upper.end(), upper.begin(),
                       [](unsigned char ch) { return std::toupper(ch); });
        if (upper.rfind("INBOX", 0) == 0) full = "INBOX" + full.substr(5);
      }
      listed |= matches(full, name);
    }
    if (!listed) continue;
    bool children =
        std::any_of(mailboxes->begin(), mailboxes->end(), [&](const store::MailboxInfo& other) {
          return other.name.size() > mailbox.name.size() + 1 &&
                 other.name.rfind(mailbox.name + "/", 0) == 0;
        });
    std::string attributes = children ? "\\HasChildren" : "\\HasNoChildren";
    if (const char* use = special_use_attribute(mailbox.special_use))
      attributes += std::string(" ") + use;
    untagged(c.name + " (" + attributes + ") \"/\" " + imap::format_astring(mailbox.name));
  }
  ok(c, c.name + " completed");
}

net::awaitable<void> Session::status(const imap::Command& c) {
  const auto& args = std::get<imap::StatusArgs>(c.args);
  auto info = co_await blocking([&] { return ctx_.store.mailbox(account_, args.mailbox); });
  if (!info) {
    no(c, "Mailbox does not exist", "NONEXISTENT");
    co_return;
  }
  std::string items;
  for (const auto& item : args.items) {
    uint64_t value = 0;
    if (item == "MESSAGES")
      value = info->messages;
    else if (item == "UIDNEXT")
      value = info->uid_next;
    else if (item == "UIDVALIDITY")
      value = info->uid_validity;
    else if (item == "UNSEEN")
      value = info->unseen;
    else if (item == "RECENT")
      value = 0;
    else if (item == "SIZE")
      value = info->size;
    else {
      bad(c.tag, "Unknown STATUS item " + item);
      co_return;
    }
    if (!items.empty()) items += ' ';
    items += item + " " + std::to_string(value);
  }
  untagged("STATUS " + imap::format_astring(info->name) + " (" + items + ")");
  ok(c, "STATUS completed");
}

net::awaitable<void> Session::namespace_(const imap::Command& c) {
  untagged("NAMESPACE ((\"\" \"/\")) NIL NIL");
  ok(c, "NAMESPACE completed");
  co_return;
}

net::awaitable<void> Session::create(const imap::Command& c) {
  std::string name = std::get<imap::MailboxArgs>(c.args).mailbox;
  while (!name.empty() && name.back() == '/') name.pop_back();  // "foo/" creates "foo"
  if (name.empty() || name == "INBOX" || name.find("//") != std::string::npos ||
      name.front() == '/') {
    no(c, "Invalid mailbox name", "CANNOT");
    co_return;
  }
  auto created = co_await blocking([&] { return ctx_.store.create_mailbox(account_, name); });
  if (!created) {
    if (created.error().kind == ErrorKind::Exists) {
      no(c, "Mailbox already exists", "ALREADYEXISTS");
    } else {
      no(c, "Cannot create mailbox", "CANNOT");
    }
    co_return;
  }
  ok(c, "CREATE completed");
}

}  // namespace mail::imapd
