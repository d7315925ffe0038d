// NOTIFY argument grammar (RFC 5465 section 8):
//   notify          = "NOTIFY" SP (notify-set / notify-none)
//   notify-set      = "SET" [status-indicator] SP event-groups
//   status-indicator = SP "STATUS"
//   event-groups    = event-group *(SP event-group)
//   event-group     = "(" filter-mailboxes SP events ")"
//   filter-mailboxes = "selected" / "selected-delayed" / "inboxes" / "personal" /
//                     "subscribed" / ("subtree" SP one-or-more-mailbox) /
//                     ("mailboxes" SP one-or-more-mailbox)
//   one-or-more-mailbox = mailbox / "(" mailbox *(SP mailbox) ")"
//   events          = ("(" event *(SP event) ")") / "NONE"
//   event           = message-event / mailbox-event / server-event / event-ext
//   message-event   = ("MessageNew" [SP "(" fetch-att *(SP fetch-att) ")"]) /
//                     "MessageExpunge" / "FlagChange" / "AnnotationChange"
// Only the syntax is checked here, plus the rules the RFC answers with BAD that concern
// the SELECTED groups (section 6.1: one of them at most, message events only; section 5:
// MessageNew and MessageExpunge together, FlagChange only with them). Which events the
// server supports (NO [BADEVENT]) and the mailboxes' existence are the handler's
// (imapd/commands/notify.cpp). Input: untrusted bytes via Reader.
#include <string>
#include <string_view>

#include "imapd/protocol/arguments.h"
#include "imapd/protocol/parser_internal.h"

namespace mail::imap::args {
namespace {

using Filter = NotifyEventGroup::Filter;

struct NamedEvent {
  std::string_view name;  // upper case
  NotifyEvent event;
};
constexpr NamedEvent kEvents[] = {
    {"MESSAGENEW", kNotifyMessageNew},
    {"MESSAGEEXPUNGE", kNotifyMessageExpunge},
    {"FLAGCHANGE", kNotifyFlagChange},
    {"ANNOTATIONCHANGE", kNotifyAnnotationChange},
    {"MAILBOXNAME", kNotifyMailboxName},
    {"SUBSCRIPTIONCHANGE", kNotifySubscriptionChange},
    {"MAILBOXMETADATACHANGE", kNotifyMailboxMetadataChange},
    {"SERVERMETADATACHANGE", kNotifyServerMetadataChange},
};

std::optional<Filter> filter_named(std::string_view upper) {
  if (upper == "SELECTED") return Filter::Selected;
  if (upper == "SELECTED-DELAYED") return Filter::SelectedDelayed;
  if (upper == "INBOXES") return Filter::Inboxes;
  if (upper == "PERSONAL") return Filter::Personal;
  if (upper == "SUBSCRIBED") return Filter::Subscribed;
  if (upper == "SUBTREE") return Filter::Subtree;
  if (upper == "MAILBOXES") return Filter::Mailboxes;
  return std::nullopt;
}

bool is_selected(Filter f) {
  return f == Filter::Selected || f == Filter::SelectedDelayed;
}

// one-or-more-mailbox
bool read_mailboxes(Reader& r, std::vector<std::string>& out) {
  if (!r.consume('(')) {
    auto name = r.mailbox();
    if (!name) return false;
    out.push_back(std::move(*name));
    return true;
  }
  while (true) {
    auto name = r.mailbox();
    if (!name) return false;
    out.push_back(std::move(*name));
    if (r.consume(')')) return true;
    if (!r.expect(' ', "expected SP or ')' in mailbox list")) return false;
  }
}

// "(" event *(SP event) ")" / "NONE"
bool read_events(Reader& r, NotifyEventGroup& g) {
  if (!r.consume('(')) {
    auto word = r.atom();
    if (!word) return false;
    if (to_upper(*word) != "NONE") return r.fail("expected event list or NONE");
    return true;  // events == 0
  }
  while (true) {
    auto word = r.atom();
    if (!word) return false;
    const std::string upper = to_upper(*word);
    bool known = false;
    for (const auto& e : kEvents) {
      if (e.name != upper) continue;
      known = true;
      g.events |= e.event;
    }
    if (!known) g.unknown_events.push_back(std::move(*word));
    if (upper == "MESSAGENEW" && r.peek() == ' ') {
      // MessageNew's optional fetch-att list: "MessageNew (UID FLAGS) MessageExpunge".
      Reader lookahead = r;
      lookahead.consume(' ');
      if (lookahead.peek() == '(') {
        r = lookahead;
        r.consume('(');
        while (true) {
          if (!detail::read_fetch_att(r, g.fetch, false)) return false;
          if (r.consume(')')) break;
          if (!r.expect(' ', "expected SP or ')' in fetch attributes")) return false;
        }
        detail::remove_duplicate_items(g.fetch);
      }
    }
    if (r.consume(')')) return true;
    if (!r.expect(' ', "expected SP or ')' in event list")) return false;
  }
}

bool read_event_group(Reader& r, NotifyEventGroup& g) {
  if (!r.expect('(', "expected event group")) return false;
  auto word = r.atom();
  if (!word) return false;
  auto filter = filter_named(to_upper(*word));
  if (!filter) return r.fail("unknown mailbox filter " + *word);
  g.filter = *filter;
  if (!r.sp()) return false;
  if (g.filter == Filter::Subtree || g.filter == Filter::Mailboxes) {
    if (!read_mailboxes(r, g.mailboxes) || !r.sp()) return false;
  }
  if (!read_events(r, g)) return false;
  return r.expect(')', "expected ')' after events");
}

// RFC 5465 sections 5 and 6.1: what a SELECTED or SELECTED-DELAYED group may hold.
bool check_selected_group(Reader& r, const NotifyEventGroup& g) {
  if ((g.events & ~kNotifyMessageEvents) != 0 || !g.unknown_events.empty())
    return r.fail("SELECTED takes message events only");
  const unsigned both = kNotifyMessageNew | kNotifyMessageExpunge;
  if ((g.events & both) != 0 && (g.events & both) != both)
    return r.fail("MessageNew and MessageExpunge go together");
  if ((g.events & (kNotifyFlagChange | kNotifyAnnotationChange)) != 0 && (g.events & both) == 0)
    return r.fail("FlagChange needs MessageNew and MessageExpunge");
  return true;
}

}  // namespace

bool notify(Reader& r, Command& cmd) {
  NotifyArgs a;
  if (!r.sp()) return false;
  auto word = r.atom();
  if (!word) return false;
  const std::string verb = to_upper(*word);
  if (verb == "NONE") {
    a.none = true;
    cmd.args = std::move(a);
    return true;
  }
  if (verb != "SET") return r.fail("expected SET or NONE");
  if (!r.sp()) return false;
  if (r.peek() != '(') {
    auto status = r.atom();
    if (!status) return false;
    if (to_upper(*status) != "STATUS") return r.fail("expected STATUS or an event group");
    a.status = true;
    if (!r.sp()) return false;
  }
  bool have_selected = false;
  while (true) {
    NotifyEventGroup g;
    if (!read_event_group(r, g)) return false;
    if (is_selected(g.filter)) {
      // Section 6.1: only one of the selected mailbox specifiers.
      if (have_selected) return r.fail("only one SELECTED or SELECTED-DELAYED group");
      have_selected = true;
      if (!check_selected_group(r, g)) return false;
    }
    a.groups.push_back(std::move(g));
    if (r.peek() != ' ') break;
    r.consume(' ');
  }
  cmd.args = std::move(a);
  return true;
}

}  // namespace mail::imap::args
