// NotifyFilter: what one NOTIFY SET asked for (RFC 5465 section 6), with the mailbox names
// in the store's form, as a pure function from a mailbox (name, subscribed or not) to the
// events wanted for it. The selected mailbox has its own specifier (SELECTED or
// SELECTED-DELAYED, section 6.1); every other mailbox is matched against the remaining
// event groups in order: the first group that matches with NONE ends the search, and the
// events of the matching groups before it add up.
// Input: a NotifyArgs the parser checked (imapd/protocol/parse_notify.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "imapd/protocol/command.h"

namespace mail::imapd {

class NotifyFilter {
 public:
  NotifyFilter() = default;  // NOTIFY NONE: no event for any mailbox
  // The groups of `args` with their names converted from the client's form (modified
  // UTF-7, or UTF-8 when `utf8`); a name that is not valid in that form can name no
  // mailbox (RFC 5465 section 6: the server ignores names of mailboxes that do not exist).
  static NotifyFilter from(const imap::NotifyArgs& args, bool utf8);

  // Events wanted for a mailbox other than the selected one (imap::NotifyEvent bits).
  unsigned events_for(std::string_view name, bool subscribed) const;
  // Message events for the selected mailbox (SELECTED / SELECTED-DELAYED; section 3.1: 0
  // when neither is given, as for "SELECTED NONE").
  unsigned selected_events() const { return selected_events_; }
  // SELECTED-DELAYED (section 6.1.2): expunges wait for a command that allows them.
  bool selected_delayed() const { return selected_delayed_; }
  // MessageNew's fetch attributes for the selected mailbox (section 5.2).
  const std::vector<imap::FetchItem>& new_message_items() const { return fetch_; }
  // Whether any group other than the selected one names an event (the session then keeps
  // the account's mailboxes and watches them).
  bool watches_mailboxes() const { return !groups_.empty(); }
  // Whether subscriptions matter: a SUBSCRIBED filter or the SubscriptionChange event.
  bool uses_subscriptions() const { return uses_subscriptions_; }
  // Every event named anywhere (for [BADEVENT] and the initial STATUS items).
  unsigned all_events() const { return all_events_; }
  // Mailbox names the command gave (the bound imapd.notify_max_mailboxes applies to).
  size_t name_count() const { return names_; }

 private:
  struct Group {
    imap::NotifyEventGroup::Filter filter;
    std::vector<std::string> names;  // store form
    unsigned events = 0;
  };
  static bool matches(const Group& g, std::string_view name, bool subscribed);

  std::vector<Group> groups_;  // the non-selected groups, in the client's order
  unsigned selected_events_ = 0;
  bool selected_delayed_ = false;
  std::vector<imap::FetchItem> fetch_;
  bool uses_subscriptions_ = false;
  unsigned all_events_ = 0;
  size_t names_ = 0;
};

}  // namespace mail::imapd
