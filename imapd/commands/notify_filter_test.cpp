// Tests for NotifyFilter: which events each mailbox filter of RFC 5465 section 6 gives a
// mailbox, the order of groups and NONE, and what the selected specifier sets apart.
#include "imapd/commands/notify_filter.h"

#include <gtest/gtest.h>

#include "imapd/protocol/arguments.h"
#include "imapd/protocol/parser.h"

namespace mail::imapd {
namespace {

constexpr unsigned kNewExpunge = imap::kNotifyMessageNew | imap::kNotifyMessageExpunge;

NotifyFilter filter(std::string_view wire, bool utf8 = false) {
  imap::ParseResult r = imap::parse_command(wire, imap::args::notify);
  if (auto* e = std::get_if<imap::ParseError>(&r)) {
    ADD_FAILURE() << e->message;
    return {};
  }
  return NotifyFilter::from(std::get<imap::NotifyArgs>(std::get<imap::Command>(r).args), utf8);
}

TEST(NotifyFilter, NoneWatchesNothing) {
  NotifyFilter f;
  EXPECT_FALSE(f.watches_mailboxes());
  EXPECT_EQ(f.events_for("INBOX", true), 0u);
  EXPECT_EQ(f.selected_events(), 0u);
  // Groups that all say NONE watch nothing either.
  f = filter("a NOTIFY SET (personal NONE) (selected NONE)\r\n");
  EXPECT_FALSE(f.watches_mailboxes());
}

TEST(NotifyFilter, EachMailboxFilter) {
  NotifyFilter f = filter("a NOTIFY SET (inboxes (MessageNew MessageExpunge))\r\n");
  EXPECT_EQ(f.events_for("INBOX", false), kNewExpunge);
  EXPECT_EQ(f.events_for("Sent", false), 0u);

  f = filter("a NOTIFY SET (personal (MailboxName))\r\n");
  EXPECT_EQ(f.events_for("any/thing", false), unsigned{imap::kNotifyMailboxName});

  f = filter("a NOTIFY SET (subscribed (MessageNew MessageExpunge))\r\n");
  EXPECT_EQ(f.events_for("Lists", true), kNewExpunge);
  EXPECT_EQ(f.events_for("Lists", false), 0u);
  EXPECT_TRUE(f.uses_subscriptions());

  f = filter("a NOTIFY SET (subtree Lists (MessageNew MessageExpunge))\r\n");
  EXPECT_EQ(f.events_for("Lists", false), kNewExpunge);
  EXPECT_EQ(f.events_for("Lists/ietf", false), kNewExpunge);
  EXPECT_EQ(f.events_for("Listserv", false), 0u);  // a prefix is not a parent
  EXPECT_FALSE(f.uses_subscriptions());

  f = filter("a NOTIFY SET (mailboxes (Lists inbox) (FlagChange))\r\n");
  EXPECT_EQ(f.events_for("Lists", false), unsigned{imap::kNotifyFlagChange});
  EXPECT_EQ(f.events_for("INBOX", false), unsigned{imap::kNotifyFlagChange});
  EXPECT_EQ(f.events_for("Lists/ietf", false), 0u);  // no inferiors, no wildcards
  EXPECT_EQ(f.name_count(), 2u);
}

TEST(NotifyFilter, NamesComeInTheClientsForm) {
  // Modified UTF-7 for IMAP4rev1 clients (RFC 3501 section 5.1.3), UTF-8 after ENABLE.
  NotifyFilter f = filter("a NOTIFY SET (mailboxes &AMk-t&AOk- (MessageNew MessageExpunge))\r\n");
  EXPECT_EQ(f.events_for("\xc3\x89t\xc3\xa9", false), kNewExpunge);
  f = filter("a NOTIFY SET (mailboxes \"\xc3\x89t\xc3\xa9\" (MessageNew MessageExpunge))\r\n",
             true);
  EXPECT_EQ(f.events_for("\xc3\x89t\xc3\xa9", false), kNewExpunge);
}

TEST(NotifyFilter, GroupsAddUpUntilAMatchingNone) {
  NotifyFilter f = filter(
      "a NOTIFY SET (mailboxes Trash NONE) (personal (MessageNew MessageExpunge)) "
      "(subtree Lists (MailboxName))\r\n");
  EXPECT_EQ(f.events_for("Trash", false), 0u);  // NONE first: nothing for Trash
  EXPECT_EQ(f.events_for("INBOX", false), kNewExpunge);
  EXPECT_EQ(f.events_for("Lists/x", false), kNewExpunge | imap::kNotifyMailboxName);
}

TEST(NotifyFilter, SelectedIsSetApart) {
  NotifyFilter f = filter(
      "a NOTIFY SET (selected-delayed (MessageNew (FLAGS) MessageExpunge FlagChange)) "
      "(inboxes (MessageNew MessageExpunge))\r\n");
  EXPECT_EQ(f.selected_events(), kNewExpunge | imap::kNotifyFlagChange);
  EXPECT_TRUE(f.selected_delayed());
  ASSERT_EQ(f.new_message_items().size(), 1u);
  EXPECT_EQ(f.new_message_items()[0].attr, imap::FetchAttr::Flags);
  EXPECT_TRUE(f.watches_mailboxes());
  // The selected group matches no mailbox by name.
  EXPECT_EQ(f.events_for("Sent", false), 0u);
  f = filter("a NOTIFY SET (selected (MessageNew MessageExpunge))\r\n");
  EXPECT_FALSE(f.selected_delayed());
  EXPECT_FALSE(f.watches_mailboxes());
}

}  // namespace
}  // namespace mail::imapd
