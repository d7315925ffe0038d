// Mailbox operations: CREATE with parents and special use, DELETE (RFC 9051 6.3.5, with
// inferiors), RENAME with children and INBOX, subscriptions and LIST data.
#include <map>

#include "store/test_store.h"

namespace mail::store {
namespace {

using testing::at;

class MailboxOpsTest : public testing::TempStoreTest {
 protected:
  void SetUp() override {
    TempStoreTest::SetUp();
    ASSERT_TRUE(store_->create_account("a@x.org").ok());
  }
  std::map<std::string, ListEntry> listing() {
    auto l = store_->list("a@x.org");
    EXPECT_TRUE(l.ok());
    std::map<std::string, ListEntry> out;
    if (l.ok())
      for (auto& e : *l) out[e.info.name] = e;
    return out;
  }
  bool exists(std::string_view name) { return store_->mailbox("a@x.org", name).ok(); }
};

TEST_F(MailboxOpsTest, CreateMakesParentsAndKeepsTheUseAttribute) {
  auto made = store_->create_mailbox("a@x.org", "Work/2024/Q1", SpecialUse::Archive);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ(made->special_use, SpecialUse::Archive);
  EXPECT_TRUE(exists("Work"));
  EXPECT_TRUE(exists("Work/2024"));
  EXPECT_EQ(box("a@x.org", "Work").special_use, SpecialUse::None);
  EXPECT_EQ(store_->create_mailbox("a@x.org", "Work/2024").error().kind, ErrorKind::Exists);
  for (const char* bad : {"", "/a", "a/", "a//b", "Work/"})
    EXPECT_EQ(store_->create_mailbox("a@x.org", bad).error().kind, ErrorKind::Invalid) << bad;
  // INBOX's inferiors are canonical too.
  ASSERT_TRUE(store_->create_mailbox("a@x.org", "inbox/Lists").ok());
  EXPECT_TRUE(exists("INBOX/Lists"));
  EXPECT_EQ(store_->create_mailbox("a@x.org", "Inbox/Lists").error().kind, ErrorKind::Exists);
  expect_clean();
}

TEST_F(MailboxOpsTest, DeleteRemovesMessagesAndLeavesInferiorsAndSubscription) {
  ASSERT_TRUE(store_->create_mailbox("a@x.org", "Work/Old").ok());
  ASSERT_TRUE(store_->subscribe("a@x.org", "Work").ok());
  MailboxInfo work = box("a@x.org", "Work");
  deliver({at("a@x.org", "Work"), at("a@x.org", "INBOX")});
  ASSERT_TRUE(store_->delete_mailbox("a@x.org", "Work").ok());
  EXPECT_FALSE(exists("Work"));
  EXPECT_TRUE(exists("Work/Old"));
  EXPECT_EQ(store_->messages(work.id).error().kind, ErrorKind::NotFound);
  EXPECT_EQ(box("a@x.org", "INBOX").messages, 1u);  // the shared body's other copy stays
  auto l = listing();
  ASSERT_TRUE(l.contains("Work"));
  EXPECT_FALSE(l["Work"].exists);
  EXPECT_TRUE(l["Work"].has_children);
  EXPECT_TRUE(l["Work"].info.subscribed);  // RFC 9051 6.3.8: never removed unilaterally
  EXPECT_EQ(store_->delete_mailbox("a@x.org", "Work").error().kind, ErrorKind::NotFound);
  EXPECT_EQ(store_->delete_mailbox("a@x.org", "inbox").error().kind, ErrorKind::Invalid);
  // A new incarnation has a new UIDVALIDITY, so old UIDs cannot be confused with new ones.
  auto again = store_->create_mailbox("a@x.org", "Work");
  ASSERT_TRUE(again.ok());
  EXPECT_GT(again->uid_validity, work.uid_validity);
  EXPECT_NE(again->id, work.id);
  auto q = store_->quota("a@x.org");
  EXPECT_EQ(q->messages_used, 1u);
  expect_clean();
}

TEST_F(MailboxOpsTest, RenameMovesChildrenAndSubscriptions) {
  ASSERT_TRUE(store_->create_mailbox("a@x.org", "Work/A/B").ok());
  ASSERT_TRUE(store_->create_mailbox("a@x.org", "Workshop").ok());  // not an inferior
  ASSERT_TRUE(store_->subscribe("a@x.org", "Work/A").ok());
  ASSERT_TRUE(store_->subscribe("a@x.org", "Work/Ghost").ok());  // does not exist
  MailboxInfo a = box("a@x.org", "Work/A");
  deliver({at("a@x.org", "Work/A")});
  ASSERT_TRUE(store_->rename_mailbox("a@x.org", "Work", "Jobs/Past").ok());
  EXPECT_FALSE(exists("Work"));
  EXPECT_FALSE(exists("Work/A/B"));
  EXPECT_TRUE(exists("Workshop"));
  EXPECT_TRUE(exists("Jobs"));
  EXPECT_TRUE(exists("Jobs/Past/A/B"));
  MailboxInfo moved = box("a@x.org", "Jobs/Past/A");
  EXPECT_EQ(moved.id, a.id);  // same mailbox: UIDs and UIDVALIDITY kept
  EXPECT_EQ(moved.uid_validity, a.uid_validity);
  EXPECT_EQ(moved.messages, 1u);
  EXPECT_TRUE(moved.subscribed);
  auto l = listing();
  EXPECT_TRUE(l["Jobs/Past/Ghost"].info.subscribed);
  EXPECT_FALSE(l.contains("Work/A"));
  EXPECT_FALSE(l.contains("Work/Ghost"));

  EXPECT_EQ(store_->rename_mailbox("a@x.org", "Nope", "X").error().kind, ErrorKind::NotFound);
  EXPECT_EQ(store_->rename_mailbox("a@x.org", "Jobs", "Workshop").error().kind, ErrorKind::Exists);
  EXPECT_EQ(store_->rename_mailbox("a@x.org", "Jobs", "Jobs/Sub").error().kind, ErrorKind::Invalid);
  EXPECT_EQ(store_->rename_mailbox("a@x.org", "Jobs", "inbox").error().kind, ErrorKind::Exists);
  // An inferior's new name taken: nothing is renamed.
  ASSERT_TRUE(store_->create_mailbox("a@x.org", "New/Past").ok());
  EXPECT_EQ(store_->rename_mailbox("a@x.org", "Jobs", "New").error().kind, ErrorKind::Exists);
  EXPECT_TRUE(exists("Jobs/Past/A"));
  expect_clean();
}

TEST_F(MailboxOpsTest, RenamingInboxMovesItsMessagesAndLeavesItEmpty) {
  ASSERT_TRUE(store_->create_mailbox("a@x.org", "INBOX/Keep").ok());
  deliver({at("a@x.org")});
  deliver({at("a@x.org")});
  MailboxInfo inbox = box("a@x.org", "INBOX");
  std::vector<uint32_t> two{2};
  ASSERT_TRUE(store_->store_flags(inbox.id, two, FlagOp::Add, Flags{kSeen, {"$Old"}}).ok());
  ASSERT_TRUE(store_->rename_mailbox("a@x.org", "inbox", "Old Mail").ok());
  MailboxInfo after = box("a@x.org", "INBOX");
  EXPECT_EQ(after.id, inbox.id);
  EXPECT_EQ(after.messages, 0u);
  EXPECT_EQ(after.uid_next, inbox.uid_next);  // UIDs are not reused
  EXPECT_TRUE(exists("INBOX/Keep"));          // inferiors are not renamed
  MailboxInfo old = box("a@x.org", "Old Mail");
  EXPECT_EQ(old.messages, 2u);
  auto msgs = store_->messages(old.id);
  EXPECT_EQ((*msgs)[1].flags, (Flags{kSeen, {"$Old"}}));
  EXPECT_EQ(store_->changes_since(inbox.id, 1)->expunged.size(), 2u);
  EXPECT_EQ(store_->rename_mailbox("a@x.org", "INBOX", "Old Mail").error().kind, ErrorKind::Exists);
  expect_clean();
}

TEST_F(MailboxOpsTest, SubscriptionsMayNameMissingMailboxes) {
  ASSERT_TRUE(store_->subscribe("a@x.org", "Lists/Someday").ok());
  ASSERT_TRUE(store_->subscribe("a@x.org", "Lists/Someday").ok());  // twice is fine
  auto l = listing();
  ASSERT_TRUE(l.contains("Lists/Someday"));
  EXPECT_FALSE(l["Lists/Someday"].exists);
  EXPECT_TRUE(l["Lists/Someday"].info.subscribed);
  EXPECT_FALSE(l.contains("Lists"));  // only existing mailboxes make holes above them
  ASSERT_TRUE(store_->create_mailbox("a@x.org", "Lists/Someday").ok());
  EXPECT_TRUE(box("a@x.org", "Lists/Someday").subscribed);
  ASSERT_TRUE(store_->unsubscribe("a@x.org", "Lists/Someday").ok());
  EXPECT_EQ(store_->unsubscribe("a@x.org", "Lists/Someday").error().kind, ErrorKind::NotFound);
  EXPECT_FALSE(box("a@x.org", "Lists/Someday").subscribed);
  EXPECT_EQ(store_->subscribe("nobody@x.org", "X").error().kind, ErrorKind::NotFound);
  EXPECT_EQ(store_->subscribe("a@x.org", "a//b").error().kind, ErrorKind::Invalid);
  expect_clean();
}

TEST_F(MailboxOpsTest, ListCarriesWhatListExtendedNeeds) {
  ASSERT_TRUE(store_->create_mailbox("a@x.org", "Projects/One").ok());
  ASSERT_TRUE(store_->delete_mailbox("a@x.org", "Projects").ok());
  auto l = store_->list("a@x.org");
  ASSERT_TRUE(l.ok());
  std::vector<std::string> names;
  for (const auto& e : *l) names.push_back(e.info.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Archive", "Drafts", "INBOX", "Junk", "Projects",
                                             "Projects/One", "Sent", "Trash"}));
  auto m = listing();
  EXPECT_TRUE(m["Sent"].exists);
  EXPECT_EQ(m["Sent"].info.special_use, SpecialUse::Sent);
  EXPECT_TRUE(m["Sent"].info.subscribed);
  EXPECT_FALSE(m["Sent"].has_children);
  EXPECT_FALSE(m["Projects"].exists);
  EXPECT_TRUE(m["Projects"].has_children);
  EXPECT_FALSE(m["Projects/One"].info.subscribed);
  EXPECT_NE(m["Projects/One"].info.uid_validity, 0u);  // existing entries carry STATUS data
  EXPECT_EQ(store_->list("nobody@x.org").error().kind, ErrorKind::NotFound);
}

TEST_F(MailboxOpsTest, DeleteAccountRemovesSubscriptionsAndIndexes) {
  ASSERT_TRUE(store_->subscribe("a@x.org", "Ghost").ok());
  deliver({at("a@x.org")});
  ASSERT_TRUE(store_->delete_account("a@x.org").ok());
  expect_clean();  // no orphaned index entry or subscription
  ASSERT_TRUE(store_->create_account("a@x.org").ok());
  auto l = listing();
  EXPECT_FALSE(l.contains("Ghost"));
  EXPECT_EQ(store_->quota("a@x.org")->messages_used, 0u);
}

}  // namespace
}  // namespace mail::store
