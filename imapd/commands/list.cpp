// Listing mailboxes: LIST (RFC 9051 section 6.3.9) with LIST-EXTENDED (RFC 5258: selection
// options SUBSCRIBED, REMOTE, RECURSIVEMATCH; return options SUBSCRIBED, CHILDREN; several
// patterns), SPECIAL-USE (RFC 6154: selection and return option), LIST-STATUS (RFC 5819),
// LSUB (RFC 3501 section 6.3.9) and NAMESPACE (RFC 2342). Names use '/' between levels and
// travel in modified UTF-7 or UTF-8 (imapd/protocol/mailbox_name.h).
//
// Patterns come from the client: all of a command's together are capped at
// imapd.max_list_pattern octets and matched without backtracking (imap::MailboxPattern),
// so no pattern can pin an event loop. The names come from one store read
// (MailStore::list), bounded by imapd.max_mailboxes per account.
#include <algorithm>

#include "imapd/commands/handlers.h"
#include "imapd/commands/mailbox_names.h"
#include "imapd/commands/status_items.h"
#include "imapd/protocol/mailbox_name.h"
#include "imapd/protocol/mailbox_pattern.h"
#include "imapd/protocol/reader.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {
namespace {

constexpr char kDelimiter = '/';

struct ListOptions {
  bool lsub = false;
  bool extended = false;  // RFC 5258 syntax: \NonExistent, children only when asked
  // Selection (RFC 5258 section 3.1, RFC 6154 section 5.1).
  bool select_subscribed = false;
  bool select_special_use = false;
  bool recursive_match = false;
  // Return options (RFC 5258 section 3.2, RFC 6154, RFC 5819).
  bool return_subscribed = false;
  bool return_children = false;
  std::vector<std::string> status_items;
};

// Reads the options of a LIST command; an error text for BAD, or nothing.
std::optional<std::string> read_options(const imap::ListArgs& args, bool lsub, ListOptions& o) {
  o.lsub = lsub;
  o.extended = args.extended;
  bool remote = false;
  for (const std::string& option : args.selection_options) {
    if (option == "SUBSCRIBED") {
      o.select_subscribed = true;
    } else if (option == "SPECIAL-USE") {
      o.select_special_use = true;
    } else if (option == "RECURSIVEMATCH") {
      o.recursive_match = true;
    } else if (option == "REMOTE") {
      remote = true;  // no remote mailboxes here: the same list
    } else {
      return "Unknown LIST selection option " + option;
    }
  }
  (void)remote;
  // RFC 5258 section 3.1: RECURSIVEMATCH needs a base option to apply to (REMOTE is not).
  if (o.recursive_match && !o.select_subscribed && !o.select_special_use)
    return "RECURSIVEMATCH needs another selection option";
  const auto& ret = args.return_options;
  for (size_t i = 0; i < ret.size(); ++i) {
    if (ret[i].kind != imap::Arg::Kind::Atom) return "Invalid LIST return option";
    const std::string option = imap::to_upper(ret[i].value);
    if (option == "SUBSCRIBED") {
      o.return_subscribed = true;
    } else if (option == "CHILDREN") {
      o.return_children = true;
    } else if (option == "SPECIAL-USE") {
      // Special-use attributes are always returned (RFC 6154 section 2 allows it).
    } else if (option == "STATUS") {
      if (i + 1 >= ret.size() || ret[i + 1].kind != imap::Arg::Kind::List ||
          ret[i + 1].list.empty())
        return "STATUS needs a list of items";
      for (const imap::Arg& item : ret[++i].list) {
        if (item.kind != imap::Arg::Kind::Atom) return "Invalid STATUS item";
        o.status_items.push_back(imap::to_upper(item.value));
      }
    } else {
      return "Unknown LIST return option " + option;
    }
  }
  // RFC 5258 section 3.1: SUBSCRIBED selection implies the SUBSCRIBED return option.
  if (o.select_subscribed) o.return_subscribed = true;
  return std::nullopt;
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

// Every name the listing considers, sorted: the store's (mailboxes, holes, subscriptions)
// and the superiors of subscribed names, which LSUB's "%" rule and RECURSIVEMATCH can show.
std::vector<store::ListEntry> all_names(std::vector<store::ListEntry> entries) {
  std::vector<std::string> known;
  for (const auto& e : entries) known.push_back(e.info.name);
  std::sort(known.begin(), known.end());
  std::vector<store::ListEntry> extra;
  for (const auto& e : entries) {
    if (!e.info.subscribed) continue;
    const std::string& name = e.info.name;
    for (size_t slash = name.find(kDelimiter); slash != std::string::npos;
         slash = name.find(kDelimiter, slash + 1)) {
      std::string parent = name.substr(0, slash);
      if (std::binary_search(known.begin(), known.end(), parent)) continue;
      known.insert(std::upper_bound(known.begin(), known.end(), parent), parent);
      store::ListEntry hole;
      hole.info.name = std::move(parent);
      hole.exists = false;
      extra.push_back(std::move(hole));
    }
  }
  for (auto& e : extra) entries.push_back(std::move(e));
  std::sort(entries.begin(), entries.end(),
            [](const store::ListEntry& a, const store::ListEntry& b) {
              return a.info.name < b.info.name;
            });
  return entries;
}

class Listing {
 public:
  Listing(const ListOptions& o, std::vector<imap::MailboxPattern> patterns,
          std::vector<store::ListEntry> names)
      : o_(o), patterns_(std::move(patterns)), names_(std::move(names)) {}

  const std::vector<store::ListEntry>& names() const { return names_; }

  bool matches(std::string_view name) const {
    return std::any_of(patterns_.begin(), patterns_.end(),
                       [&](const imap::MailboxPattern& p) { return p.matches(name); });
  }

  // Whether a name meets the selection criteria by itself.
  bool selected(const store::ListEntry& e) const {
    if (o_.lsub) return e.info.subscribed;
    if (!o_.select_subscribed && !o_.select_special_use) return e.exists || e.has_children;
    if (o_.select_subscribed && !e.info.subscribed) return false;
    if (o_.select_special_use && (!e.exists || e.info.special_use == store::SpecialUse::None))
      return false;
    return true;
  }

  // RFC 5258 section 3.5 (CHILDINFO) and RFC 3501 LSUB with "%": whether a descendant
  // meets the selection criteria without being listed itself (it matches no pattern).
  bool selected_descendant_unlisted(std::string_view name) const {
    const std::string prefix = std::string(name) + kDelimiter;
    auto it = std::lower_bound(
        names_.begin(), names_.end(), prefix,
        [](const store::ListEntry& e, const std::string& key) { return e.info.name < key; });
    for (; it != names_.end() && it->info.name.starts_with(prefix); ++it)
      if (selected(*it) && !matches(it->info.name)) return true;
    return false;
  }

 private:
  const ListOptions& o_;
  std::vector<imap::MailboxPattern> patterns_;
  std::vector<store::ListEntry> names_;
};

// One "* LIST" or "* LSUB" response (RFC 9051 section 7.3.1, RFC 5258 section 3.4).
void write_entry(Session& s, const ListOptions& o, const store::ListEntry& e, bool listed_itself,
                 bool child_info) {
  auto& out = s.out();
  out.untagged().atom(o.lsub ? "LSUB" : "LIST").open();
  if (o.lsub) {
    // Not subscribed itself (shown for a subscribed inferior), or not a mailbox.
    if (!listed_itself || !e.exists) out.flag("\\Noselect");
  } else {
    // \NonExistent implies \Noselect (RFC 5258 section 3.4); IMAP4rev1's basic LIST
    // knows only \Noselect.
    if (!e.exists)
      out.flag(o.extended || s.enabled(Extension::Imap4rev2) ? "\\NonExistent" : "\\Noselect");
    if (o.return_subscribed && e.info.subscribed) out.flag("\\Subscribed");
    // RFC 3348 CHILDREN: always in a basic LIST; in an extended one when asked.
    if (!o.extended || o.return_children)
      out.flag(e.has_children ? "\\HasChildren" : "\\HasNoChildren");
    if (e.exists)
      if (const char* use = special_use_attribute(e.info.special_use)) out.flag(use);
  }
  out.close().string("/").mailbox(e.info.name);
  if (child_info) {
    out.open().string("CHILDINFO").open();
    if (o.select_subscribed) out.string("SUBSCRIBED");
    if (o.select_special_use) out.string("SPECIAL-USE");
    out.close().close();
  }
  out.end();
}

}  // namespace

net::awaitable<void> list(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::ListArgs>(c.args);
  const bool lsub = c.name == "LSUB";
  ListOptions o;
  if (auto error = read_options(args, lsub, o)) {
    s.bad(c.tag, *error);
    co_return;
  }
  if (!accept_status_items(s, c.tag, o.status_items)) co_return;
  auto& out = s.out();
  if (!args.extended && args.patterns.size() == 1 && args.patterns.front().empty()) {
    // An empty pattern asks for the hierarchy delimiter (RFC 9051 section 6.3.9).
    out.untagged().atom(c.name).open().flag("\\Noselect").close().string("/").string("").end();
    s.completed(c);
    co_return;
  }
  const bool utf8 = s.extensions().utf8();
  const std::optional<std::string> reference = imap::mailbox_from_client(args.reference, utf8);
  size_t budget = static_cast<size_t>(s.config().max_list_pattern);
  std::vector<imap::MailboxPattern> patterns;
  for (const std::string& p : args.patterns) {
    const std::optional<std::string> pattern = imap::mailbox_from_client(p, utf8);
    const std::string whole = canonical_inbox_prefix(reference.value_or("") + pattern.value_or(""));
    auto compiled = imap::MailboxPattern::compile(whole, kDelimiter, budget);
    if (!compiled) {
      s.bad(c.tag, "Mailbox pattern too long");
      co_return;
    }
    budget -= whole.size();
    // A pattern not valid in the client's form names no mailbox.
    if (reference && pattern && (!o.extended || !whole.empty()))
      patterns.push_back(std::move(*compiled));
  }
  auto& store = s.context().store;
  const std::string& account = s.account();
  auto entries = co_await s.blocking([&] { return store.list(account); });
  if (!entries) {
    s.no(c, "UNAVAILABLE", "Mailbox list unavailable");
    co_return;
  }
  const Listing listing(o, std::move(patterns), all_names(std::move(*entries)));
  for (const store::ListEntry& e : listing.names()) {
    if (!listing.matches(e.info.name)) continue;
    const bool itself = listing.selected(e);
    // RFC 5258 section 3.5 (CHILDINFO); for LSUB the "%" rule of RFC 3501 section 6.3.9:
    // a name with a subscribed inferior the patterns leave out is shown, as \Noselect.
    const bool via_child = (o.recursive_match || o.lsub) && !(o.lsub && itself) &&
                           listing.selected_descendant_unlisted(e.info.name);
    if (!itself && !via_child) continue;
    write_entry(s, o, e, itself, via_child && o.recursive_match);
    // RFC 5819 section 2: STATUS right after the LIST of each selectable mailbox.
    if (!o.status_items.empty() && e.exists) {
      const bool written = co_await write_status(s, e.info, o.status_items);
      if (!written) {
        s.no(c, "UNAVAILABLE", "Mailbox unavailable");
        co_return;
      }
    }
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
