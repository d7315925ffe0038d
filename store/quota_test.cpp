// Quotas (RFC 9208 STORAGE and MESSAGE): usage follows every write; delivery, APPEND and
// COPY that would go over fail with OverQuota and store nothing; MOVE within an account and
// EXPUNGE are always allowed.
#include "store/test_store.h"

namespace mail::store {
namespace {

using testing::at;
using testing::kMsg;

class QuotaTest : public testing::TempStoreTest {
 protected:
  void SetUp() override {
    TempStoreTest::SetUp();
    ASSERT_TRUE(store_->create_account("a@x.org").ok());
    ASSERT_TRUE(store_->create_account("b@x.org").ok());
  }
  Quota quota(std::string_view account) {
    auto q = store_->quota(account);
    EXPECT_TRUE(q.ok());
    return q.ok() ? *q : Quota{};
  }
};

TEST_F(QuotaTest, UsageFollowsEveryWrite) {
  EXPECT_EQ(quota("a@x.org").messages_used, 0u);
  deliver({at("a@x.org"), at("a@x.org", "Sent"), at("b@x.org")});
  EXPECT_EQ(quota("a@x.org").messages_used, 2u);  // each copy counts
  EXPECT_EQ(quota("a@x.org").storage_used, 2 * kMsg.size());
  EXPECT_EQ(quota("b@x.org").messages_used, 1u);
  uint64_t inbox = box("a@x.org", "INBOX").id, trash = box("a@x.org", "Trash").id;
  std::vector<uint32_t> one{1};
  ASSERT_TRUE(store_->copy(inbox, one, trash).ok());
  EXPECT_EQ(quota("a@x.org").messages_used, 3u);
  ASSERT_TRUE(store_->move(trash, one, inbox).ok());
  EXPECT_EQ(quota("a@x.org").messages_used, 3u);
  ASSERT_TRUE(store_->expunge(inbox, one).ok());
  EXPECT_EQ(quota("a@x.org").messages_used, 2u);
  ASSERT_TRUE(store_->delete_mailbox("a@x.org", "Sent").ok());
  EXPECT_EQ(quota("a@x.org").messages_used, 1u);
  EXPECT_EQ(quota("a@x.org").storage_used, kMsg.size());
  EXPECT_EQ(store_->quota("nobody@x.org").error().kind, ErrorKind::NotFound);
  expect_clean();  // the check recounts usage
}

TEST_F(QuotaTest, OverQuotaStoresNothing) {
  ASSERT_TRUE(store_->set_quota("a@x.org", QuotaLimits{std::nullopt, 2}).ok());
  EXPECT_EQ(quota("a@x.org").limits, (QuotaLimits{std::nullopt, 2}));
  deliver({at("a@x.org")});
  deliver({at("a@x.org")});  // at the limit exactly
  std::vector<Delivery> to{at("b@x.org"), at("a@x.org")};
  auto over = store_->deliver(to, kMsg, 0);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().kind, ErrorKind::OverQuota);
  EXPECT_EQ(box("b@x.org", "INBOX").messages, 0u);  // the whole message failed

  // In a batch only that message fails; the next ones still go in.
  std::vector<IncomingMessage> batch{{kMsg, 1, {at("a@x.org")}}, {kMsg, 2, {at("b@x.org")}}};
  auto results = store_->deliver_batch(batch);
  ASSERT_TRUE(results.ok());
  EXPECT_EQ((*results)[0].error().kind, ErrorKind::OverQuota);
  EXPECT_TRUE((*results)[1].ok());

  uint64_t inbox = box("a@x.org", "INBOX").id, trash = box("a@x.org", "Trash").id;
  std::vector<uint32_t> one{1};
  EXPECT_EQ(store_->copy(inbox, one, trash).error().kind, ErrorKind::OverQuota);
  EXPECT_TRUE(store_->move(inbox, one, trash).ok());  // a move adds nothing
  EXPECT_EQ(quota("a@x.org").messages_used, 2u);

  // Storage: octets, checked against the sum after the write.
  ASSERT_TRUE(store_->set_quota("b@x.org", QuotaLimits{2 * kMsg.size(), std::nullopt}).ok());
  deliver({at("b@x.org")});  // second message: exactly at the limit
  EXPECT_EQ(store_->deliver(std::vector<Delivery>{at("b@x.org")}, "x", 0).error().kind,
            ErrorKind::OverQuota);
  // Raising or clearing the limit lets mail in again.
  ASSERT_TRUE(store_->set_quota("a@x.org", QuotaLimits{}).ok());
  deliver({at("a@x.org")});
  EXPECT_EQ(store_->set_quota("nobody@x.org", QuotaLimits{}).error().kind, ErrorKind::NotFound);
  expect_clean();
}

// MULTIAPPEND (RFC 3502): the second message of a batch going over the quota fails the
// whole batch, counted against what the first one added in the same transaction.
TEST_F(QuotaTest, DeliverAllStoresAllOrNothing) {
  ASSERT_TRUE(store_->set_quota("a@x.org", QuotaLimits{std::nullopt, 2}).ok());
  deliver({at("a@x.org")});
  std::vector<IncomingMessage> two{{kMsg, 1, {at("a@x.org")}}, {kMsg, 2, {at("a@x.org")}}};
  auto over = store_->deliver_all(two);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().kind, ErrorKind::OverQuota);
  EXPECT_EQ(box("a@x.org", "INBOX").messages, 1u);  // the first is not kept either
  std::vector<IncomingMessage> missing{{kMsg, 1, {at("b@x.org")}},
                                       {kMsg, 2, {at("b@x.org", "Nowhere")}}};
  EXPECT_EQ(store_->deliver_all(missing).error().kind, ErrorKind::NotFound);
  EXPECT_EQ(box("b@x.org", "INBOX").messages, 0u);
  std::vector<IncomingMessage> fits{{kMsg, 1, {at("b@x.org")}}, {"x", 2, {at("b@x.org")}}};
  auto done = store_->deliver_all(fits);
  ASSERT_TRUE(done.ok());
  ASSERT_EQ(done->size(), 2u);
  EXPECT_EQ((*done)[0].at(0).uid + 1, (*done)[1].at(0).uid);
  EXPECT_EQ(box("b@x.org", "INBOX").messages, 2u);
  expect_clean();
}

}  // namespace
}  // namespace mail::store
