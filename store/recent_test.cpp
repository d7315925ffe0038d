// IMAP4rev1 \Recent in the store (RFC 3501 2.3.2): the per-mailbox first_recent_uid
// watermark, MailStore::claim_recent, and version-2 mailbox records (written before the
// watermark existed) read back with nothing recent.
#include <gtest/gtest.h>

#include "common/codec.h"
#include "store/lmdb/records.h"
#include "store/test_store.h"

namespace mail::store {
namespace {

using testing::at;

class RecentTest : public testing::TempStoreTest {
 protected:
  void SetUp() override {
    TempStoreTest::SetUp();
    ASSERT_TRUE(store_->create_account("a@x.org").ok());
  }
  RecentClaim claim(uint64_t id, uint32_t up_to) {
    auto c = store_->claim_recent(id, up_to);
    EXPECT_TRUE(c.ok()) << c.error().message;
    return c.ok() ? *c : RecentClaim{};
  }
};

TEST_F(RecentTest, NewMessagesAreClaimedOnceAndOnlyUpToTheBound) {
  const MailboxInfo inbox = box("a@x.org", "INBOX");
  EXPECT_EQ(inbox.first_recent_uid, 1u);
  EXPECT_EQ(claim(inbox.id, 1), (RecentClaim{1, 1}));  // nothing yet
  deliver_n("a@x.org", "INBOX", 3);
  EXPECT_EQ(box("a@x.org", "INBOX").first_recent_uid, 1u);
  // A session that knows UIDs below 3 claims only those; the next one gets UID 3.
  EXPECT_EQ(claim(inbox.id, 3), (RecentClaim{1, 3}));
  EXPECT_EQ(box("a@x.org", "INBOX").first_recent_uid, 3u);
  EXPECT_EQ(claim(inbox.id, 3), (RecentClaim{3, 3}));
  // The bound is clipped to UIDNEXT: a claim never covers UIDs not given out.
  EXPECT_EQ(claim(inbox.id, 100), (RecentClaim{3, 4}));
  EXPECT_EQ(claim(inbox.id, 100), (RecentClaim{4, 4}));
  EXPECT_EQ(box("a@x.org", "INBOX").first_recent_uid, 4u);
  // It survives a reopen (it is in the mailbox record).
  reopen();
  EXPECT_EQ(box("a@x.org", "INBOX").first_recent_uid, 4u);
  expect_clean();
}

TEST_F(RecentTest, CopiesAreRecentInTheDestination) {
  const MailboxInfo inbox = box("a@x.org", "INBOX");
  const MailboxInfo trash = box("a@x.org", "Trash");
  auto uids = deliver_n("a@x.org", "INBOX", 2);
  EXPECT_EQ(claim(inbox.id, UINT32_MAX), (RecentClaim{1, 3}));
  EXPECT_EQ(claim(trash.id, UINT32_MAX), (RecentClaim{1, 1}));
  ASSERT_TRUE(store_->copy(inbox.id, uids, trash.id).ok());
  EXPECT_EQ(claim(trash.id, UINT32_MAX), (RecentClaim{1, 3}));
}

TEST_F(RecentTest, UnknownMailboxIsNotFound) {
  auto c = store_->claim_recent(999, 5);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::NotFound);
}

// A version-2 record (before \Recent was kept) reads as "nothing recent", so an upgraded
// store does not make every old message recent again; re-encoding writes version 3.
TEST(RecentRecords, Version2RecordHasNothingRecent) {
  Encoder e;
  e.u8(2).str("a@x.org").str("INBOX").u32(77).u32(42);  // uid_validity, uid_next
  e.u64(9).u32(5).u32(1).u32(0).u64(1000);              // modseq, messages, unseen, deleted, size
  e.u8(0);                                              // special use
  e.u32(0);                                             // no keywords
  auto rec = detail::decode_mailbox(7, std::move(e).bytes());
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->info.uid_next, 42u);
  EXPECT_EQ(rec->info.first_recent_uid, 42u);
  rec->info.first_recent_uid = 40;
  uint8_t version = 0;
  auto again = detail::decode_mailbox(7, detail::encode_mailbox(*rec), &version);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(version, 3u);
  EXPECT_EQ(again->info.first_recent_uid, 40u);
  // A watermark above UIDNEXT is garbage.
  rec->info.first_recent_uid = 43;
  EXPECT_FALSE(detail::decode_mailbox(7, detail::encode_mailbox(*rec)).has_value());
}

}  // namespace
}  // namespace mail::store
