// URLAUTH mailbox access keys (RFC 4467 section 7): made once, kept across reopen, reset
// per mailbox or per account, gone with their mailbox.
#include "store/test_store.h"

namespace mail::store {
namespace {

class UrlauthKeyTest : public testing::TempStoreTest {
 protected:
  void SetUp() override {
    TempStoreTest::SetUp();
    ASSERT_TRUE(store_->create_account("a@x.org").ok());
    ASSERT_TRUE(store_->create_account("b@x.org").ok());
  }
};

TEST_F(UrlauthKeyTest, MadeOnceAndDurable) {
  const uint64_t inbox = box("a@x.org", "INBOX").id;
  EXPECT_EQ(store_->urlauth_key(inbox, std::nullopt).error().kind, ErrorKind::NotFound);
  auto made = store_->urlauth_key(inbox, std::string_view("key-one"));
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ(*made, "key-one");
  // A second creator gets the first key, not its own.
  EXPECT_EQ(*store_->urlauth_key(inbox, std::string_view("key-two")), "key-one");
  reopen();
  EXPECT_EQ(*store_->urlauth_key(inbox, std::nullopt), "key-one");
  EXPECT_EQ(store_->urlauth_key(999999, std::string_view("k")).error().kind, ErrorKind::NotFound);
  auto check = store_->check();
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->empty());
}

TEST_F(UrlauthKeyTest, ResetOneMailboxOrAll) {
  const uint64_t inbox = box("a@x.org", "INBOX").id;
  const uint64_t sent = box("a@x.org", "Sent").id;
  const uint64_t other = box("b@x.org", "INBOX").id;
  for (uint64_t id : {inbox, sent, other})
    ASSERT_TRUE(store_->urlauth_key(id, std::string_view("k")).ok());
  // Another account's mailbox cannot be reset by this one.
  EXPECT_EQ(store_->reset_urlauth_keys("a@x.org", other).error().kind, ErrorKind::NotFound);
  EXPECT_EQ(*store_->reset_urlauth_keys("a@x.org", sent), 1u);
  EXPECT_FALSE(store_->urlauth_key(sent, std::nullopt).ok());
  EXPECT_TRUE(store_->urlauth_key(inbox, std::nullopt).ok());
  EXPECT_EQ(*store_->reset_urlauth_keys("a@x.org", std::nullopt), 1u);
  EXPECT_FALSE(store_->urlauth_key(inbox, std::nullopt).ok());
  EXPECT_TRUE(store_->urlauth_key(other, std::nullopt).ok());  // b's key stays
  // A new key after a reset is the new one.
  EXPECT_EQ(*store_->urlauth_key(inbox, std::string_view("fresh")), "fresh");
}

TEST_F(UrlauthKeyTest, GoneWithTheMailbox) {
  ASSERT_TRUE(store_->create_mailbox("a@x.org", "Old").ok());
  const uint64_t old_id = box("a@x.org", "Old").id;
  ASSERT_TRUE(store_->urlauth_key(old_id, std::string_view("k")).ok());
  ASSERT_TRUE(store_->delete_mailbox("a@x.org", "Old").ok());
  ASSERT_TRUE(store_->create_mailbox("a@x.org", "Old").ok());
  EXPECT_FALSE(store_->urlauth_key(box("a@x.org", "Old").id, std::nullopt).ok());
  EXPECT_EQ(store_->urlauth_key(old_id, std::nullopt).error().kind, ErrorKind::NotFound);
}

}  // namespace
}  // namespace mail::store
