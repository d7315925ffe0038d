// Tests for NOTIFY argument parsing (RFC 5465 section 8): NONE, SET [STATUS], every mailbox
// filter, event lists with MessageNew's fetch attributes, unknown events kept for
// [BADEVENT], and the BAD cases of sections 5 and 6.1.
#include <gtest/gtest.h>

#include "imapd/protocol/arguments.h"
#include "imapd/protocol/parser.h"

namespace mail::imap {
namespace {

using Filter = NotifyEventGroup::Filter;

NotifyArgs parse_notify_ok(std::string_view wire) {
  ParseResult r = parse_command(wire, args::notify);
  if (auto* e = std::get_if<ParseError>(&r)) {
    ADD_FAILURE() << e->message << " for: " << wire;
    return {};
  }
  return std::get<NotifyArgs>(std::get<Command>(r).args);
}

std::string parse_error(std::string_view wire) {
  ParseResult r = parse_command(wire, args::notify);
  if (auto* e = std::get_if<ParseError>(&r)) return e->message;
  ADD_FAILURE() << "parsed: " << wire;
  return {};
}

TEST(NotifyParse, None) {
  NotifyArgs a = parse_notify_ok("a NOTIFY NONE\r\n");
  EXPECT_TRUE(a.none);
  EXPECT_TRUE(a.groups.empty());
  parse_error("a NOTIFY NONE (selected NONE)\r\n");
}

TEST(NotifyParse, SetWithEveryFilter) {
  NotifyArgs a = parse_notify_ok(
      "a notify set status (selected (MessageNew (uid flags body.peek[header.fields (from)]) "
      "MessageExpunge FlagChange)) (inboxes (MessageNew MessageExpunge)) (personal "
      "(MailboxName SubscriptionChange)) (subscribed NONE) (subtree Lists (MessageNew "
      "MessageExpunge)) (mailboxes (inbox \"a b\") (MessageExpunge MessageNew))\r\n");
  EXPECT_FALSE(a.none);
  EXPECT_TRUE(a.status);
  ASSERT_EQ(a.groups.size(), 6u);
  EXPECT_EQ(a.groups[0].filter, Filter::Selected);
  EXPECT_EQ(a.groups[0].events, kNotifyMessageNew | kNotifyMessageExpunge | kNotifyFlagChange);
  ASSERT_EQ(a.groups[0].fetch.size(), 3u);
  EXPECT_EQ(a.groups[0].fetch[0].attr, FetchAttr::Uid);
  EXPECT_EQ(a.groups[0].fetch[2].attr, FetchAttr::BodySection);
  EXPECT_TRUE(a.groups[0].fetch[2].peek);
  EXPECT_EQ(a.groups[1].filter, Filter::Inboxes);
  EXPECT_EQ(a.groups[2].filter, Filter::Personal);
  EXPECT_EQ(a.groups[2].events, kNotifyMailboxName | kNotifySubscriptionChange);
  EXPECT_EQ(a.groups[3].filter, Filter::Subscribed);
  EXPECT_EQ(a.groups[3].events, 0u);
  EXPECT_EQ(a.groups[4].filter, Filter::Subtree);
  EXPECT_EQ(a.groups[4].mailboxes, std::vector<std::string>{"Lists"});
  EXPECT_EQ(a.groups[5].filter, Filter::Mailboxes);
  EXPECT_EQ(a.groups[5].mailboxes, (std::vector<std::string>{"INBOX", "a b"}));
}

TEST(NotifyParse, SelectedDelayedAndNoStatus) {
  NotifyArgs a = parse_notify_ok("a NOTIFY SET (selected-delayed (MessageNew MessageExpunge))\r\n");
  EXPECT_FALSE(a.status);
  ASSERT_EQ(a.groups.size(), 1u);
  EXPECT_EQ(a.groups[0].filter, Filter::SelectedDelayed);
  EXPECT_TRUE(a.groups[0].fetch.empty());
}

TEST(NotifyParse, UnknownAndUnsupportedEventsAreKept) {
  // event-ext = atom: syntactically fine; the handler answers NO [BADEVENT] (section 3.1).
  NotifyArgs a = parse_notify_ok("a NOTIFY SET (personal (MessageNew MessageExpunge FooBar))\r\n");
  ASSERT_EQ(a.groups.size(), 1u);
  EXPECT_EQ(a.groups[0].unknown_events, std::vector<std::string>{"FooBar"});
  a = parse_notify_ok("a NOTIFY SET (personal (MailboxMetadataChange))\r\n");
  EXPECT_EQ(a.groups[0].events, kNotifyMailboxMetadataChange);
}

TEST(NotifyParse, NonSelectedGroupsTakeLoneMessageEvents) {
  // Dovecot 2.3 accepts these and imaptest's notify script (at the commit we test with)
  // sends them; see imapd/commands/notify.cpp.
  NotifyArgs a = parse_notify_ok("a NOTIFY SET STATUS (mailboxes x (MessageExpunge))\r\n");
  EXPECT_EQ(a.groups[0].events, kNotifyMessageExpunge);
  a = parse_notify_ok("a NOTIFY SET STATUS (mailboxes x (FlagChange))\r\n");
  EXPECT_EQ(a.groups[0].events, kNotifyFlagChange);
}

TEST(NotifyParse, BadSelectedGroups) {
  // Section 6.1: one selected specifier, message events only.
  parse_error("a NOTIFY SET (selected (MessageNew MessageExpunge)) (selected-delayed NONE)\r\n");
  parse_error("a NOTIFY SET (selected (MailboxName))\r\n");
  // Section 5: MessageNew with MessageExpunge; FlagChange with both.
  parse_error("a NOTIFY SET (selected (MessageNew))\r\n");
  parse_error("a NOTIFY SET (selected (MessageExpunge))\r\n");
  parse_error("a NOTIFY SET (selected (FlagChange))\r\n");
}

TEST(NotifyParse, BadSyntax) {
  parse_error("a NOTIFY\r\n");
  parse_error("a NOTIFY SET\r\n");
  parse_error("a NOTIFY SET STATUS\r\n");
  parse_error("a NOTIFY SET STATUS \r\n");
  parse_error("a NOTIFY SET (personal)\r\n");
  parse_error("a NOTIFY SET (personal ())\r\n");
  parse_error("a NOTIFY SET (mailboxes (MessageNew MessageExpunge))\r\n");
  parse_error("a NOTIFY SET (mailboxes () (MessageNew MessageExpunge))\r\n");
  parse_error("a NOTIFY SET (elsewhere (MessageNew MessageExpunge))\r\n");
  parse_error("a NOTIFY SET (personal (MessageNew (NOSUCHATT) MessageExpunge))\r\n");
  parse_error("a NOTIFY SET (personal (MessageNew MessageExpunge)\r\n");
  parse_error("a NOTIFY SET (personal NONE)(inboxes NONE)\r\n");
  parse_error("a NOTIFY GET\r\n");
}

}  // namespace
}  // namespace mail::imap
