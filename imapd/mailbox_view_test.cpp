// Tests for MailboxView: sequence numbers and UIDs, sequence sets, and how changes are
// announced (RFC 9051 section 7.5.1).
#include "imapd/mailbox_view.h"

#include <gtest/gtest.h>

namespace mail::imapd {
namespace {

store::MessageInfo msg(uint32_t uid, uint32_t flags = 0) {
  store::MessageInfo m;
  m.uid = uid;
  m.flags.system = flags;
  return m;
}

MailboxView view_of(std::vector<uint32_t> uids) {
  std::vector<store::MessageInfo> messages;
  for (uint32_t u : uids) messages.push_back(msg(u));
  store::MailboxInfo info;
  info.id = 7;
  return MailboxView(info, false, std::move(messages));
}

imap::SequenceSet set(std::string_view text) {
  return *imap::SequenceSet::parse(text);
}

TEST(MailboxView, SequenceNumbersAndUids) {
  MailboxView v = view_of({3, 5, 9});
  EXPECT_EQ(v.exists(), 3u);
  EXPECT_EQ(v.uid(2), 5u);
  EXPECT_EQ(v.seq_of_uid(9), 3u);
  EXPECT_FALSE(v.seq_of_uid(4).has_value());
  EXPECT_EQ(v.max_uid(), 9u);
  EXPECT_EQ(v.first_unseen(), 1u);
}

TEST(MailboxView, Resolve) {
  MailboxView v = view_of({3, 5, 9});
  EXPECT_EQ(v.resolve(set("2:*"), false), (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(v.resolve(set("3,1,1"), false), (std::vector<uint32_t>{1, 3}));
  EXPECT_FALSE(v.resolve(set("4"), false).has_value());  // beyond the mailbox: BAD
  EXPECT_EQ(v.resolve(set("4:9"), true), (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(v.resolve(set("10:*"), true), (std::vector<uint32_t>{3}));  // "*" is 9
  EXPECT_EQ(v.resolve(set("1:2"), true), (std::vector<uint32_t>{}));
  MailboxView empty = view_of({});
  EXPECT_FALSE(empty.resolve(set("1:*"), false).has_value());
  EXPECT_EQ(empty.resolve(set("1:*"), true), (std::vector<uint32_t>{}));
}

TEST(MailboxView, ApplyAnnouncesInOrder) {
  MailboxView v = view_of({3, 5, 9});
  imap::StringSink sink;
  imap::ResponseWriter out(sink);
  MailboxView::Changes changes;
  changes.expunged = {3, 9};
  changes.flag_changes = {msg(5, store::kSeen)};
  changes.added = {msg(10), msg(11)};
  v.apply(changes, true, out);
  EXPECT_EQ(sink.data,
            "* 3 EXPUNGE\r\n* 1 EXPUNGE\r\n* 1 FETCH (FLAGS (\\Seen))\r\n* 3 EXISTS\r\n");
  EXPECT_EQ(v.uid(1), 5u);
  EXPECT_EQ(v.uid(3), 11u);
}

TEST(MailboxView, ExpungeHeldBackUntilAllowed) {
  MailboxView v = view_of({3, 5, 9});
  imap::StringSink sink;
  imap::ResponseWriter out(sink);
  MailboxView::Changes gone;
  gone.expunged = {5};
  gone.flag_changes = {msg(5, store::kSeen)};  // ignored: the client will hear it is gone
  v.apply(gone, false, out);
  EXPECT_EQ(sink.data, "");
  EXPECT_EQ(v.exists(), 3u);  // sequence numbers unchanged
  EXPECT_TRUE(v.expunge_pending(2));
  MailboxView::Changes more;
  more.added = {msg(12)};
  v.apply(more, false, out);
  EXPECT_EQ(sink.data, "* 4 EXISTS\r\n");
  sink.data.clear();
  v.apply({}, true, out);  // now allowed: the held-back expunge
  EXPECT_EQ(sink.data, "* 2 EXPUNGE\r\n");
  EXPECT_EQ(v.exists(), 3u);
  EXPECT_FALSE(v.seq_of_uid(5).has_value());
}

TEST(MailboxView, Update) {
  MailboxView v = view_of({3, 5});
  EXPECT_EQ(v.update(msg(5, store::kFlagged)), 2u);
  EXPECT_EQ(v.message(2).flags.system, store::kFlagged);
  EXPECT_FALSE(v.update(msg(4)).has_value());
}

}  // namespace
}  // namespace mail::imapd
