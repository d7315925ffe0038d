// NotifyFilter: see notify_filter.h.
#include "imapd/commands/notify_filter.h"

#include "imapd/protocol/mailbox_name.h"

namespace mail::imapd {

using Filter = imap::NotifyEventGroup::Filter;

NotifyFilter NotifyFilter::from(const imap::NotifyArgs& args, bool utf8) {
  NotifyFilter f;
  for (const imap::NotifyEventGroup& g : args.groups) {
    f.all_events_ |= g.events;
    f.names_ += g.mailboxes.size();
    if (g.filter == Filter::Selected || g.filter == Filter::SelectedDelayed) {
      f.selected_events_ = g.events;
      f.selected_delayed_ = g.filter == Filter::SelectedDelayed;
      f.fetch_ = g.fetch;
      continue;
    }
    Group group{g.filter, {}, g.events};
    for (const std::string& name : g.mailboxes)
      if (auto converted = imap::mailbox_from_client(name, utf8))
        group.names.push_back(std::move(*converted));
    if (g.filter == Filter::Subscribed || (g.events & imap::kNotifySubscriptionChange) != 0)
      f.uses_subscriptions_ = true;
    f.groups_.push_back(std::move(group));
  }
  // A group with NONE only stops the search; without any event anywhere nothing is watched.
  bool any = false;
  for (const Group& g : f.groups_) any = any || g.events != 0;
  if (!any) f.groups_.clear();
  return f;
}

bool NotifyFilter::matches(const Group& g, std::string_view name, bool subscribed) {
  switch (g.filter) {
    case Filter::Personal:
      return true;  // section 6.2: every mailbox of the user (we have no shared ones)
    case Filter::Inboxes:
      // Section 6.3: the mailboxes new mail is delivered to; queued delivers to INBOX.
      return name == "INBOX";
    case Filter::Subscribed:
      return subscribed;  // section 6.4
    case Filter::Subtree:
      // Section 6.5: the named mailboxes and all their inferiors.
      for (const std::string& top : g.names)
        if (name == top ||
            (name.size() > top.size() && name.starts_with(top) && name[top.size()] == '/'))
          return true;
      return false;
    case Filter::Mailboxes:
      // Section 6.6: exactly the named mailboxes (no wildcard expansion).
      for (const std::string& n : g.names)
        if (name == n) return true;
      return false;
    case Filter::Selected:
    case Filter::SelectedDelayed:
      break;
  }
  return false;
}

unsigned NotifyFilter::events_for(std::string_view name, bool subscribed) const {
  unsigned events = 0;
  for (const Group& g : groups_) {
    if (!matches(g, name, subscribed)) continue;
    if (g.events == 0) break;  // "NONE": no events for the mailboxes this group matches
    events |= g.events;
  }
  return events;
}

}  // namespace mail::imapd
