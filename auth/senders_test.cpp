// Send-as permissions (Directory::may_send_as and the grants mailctl manages).
#include <gtest/gtest.h>

#include <filesystem>

#include "auth/directory.h"

namespace mail::auth {
namespace {

class SendersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/auth_senders_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto d = open_lmdb_directory(dir_, DirectoryOptions{4096});
    ASSERT_TRUE(d.ok()) << d.error().message;
    d_ = std::move(*d);
    ASSERT_TRUE(d_->add_domain("example.com").ok());
    ASSERT_TRUE(d_->add_account("alice@example.com", "a").ok());
    ASSERT_TRUE(d_->add_account("bob@example.com", "b").ok());
    ASSERT_TRUE(d_->add_alias("sales@example.com", "alice@example.com").ok());
  }
  void TearDown() override {
    d_.reset();
    std::filesystem::remove_all(dir_);
  }
  bool may(std::string_view account, std::string_view address) {
    auto r = d_->may_send_as(account, address);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() && *r;
  }
  std::filesystem::path dir_;
  std::unique_ptr<Directory> d_;
};

TEST_F(SendersTest, OwnAddressAndAliasesThatDeliverToTheAccount) {
  EXPECT_TRUE(may("alice@example.com", "alice@example.com"));
  EXPECT_TRUE(may("Alice@Example.COM", "ALICE@example.com"));
  EXPECT_TRUE(may("alice@example.com", "sales@example.com"));
  EXPECT_FALSE(may("bob@example.com", "sales@example.com"));
  EXPECT_FALSE(may("bob@example.com", "alice@example.com"));
  EXPECT_FALSE(may("alice@example.com", "someone@elsewhere.org"));
  EXPECT_FALSE(may("alice@example.com", "not an address"));
  EXPECT_FALSE(may("alice@example.com", ""));
  EXPECT_FALSE(may("ghost@example.com", "ghost@example.com")) << "no such account";
}

TEST_F(SendersTest, ExplicitGrantsAllowDenyList) {
  EXPECT_FALSE(may("bob@example.com", "shared@example.com"));
  ASSERT_TRUE(d_->allow_sender("bob@example.com", "Shared@Example.com").ok());
  EXPECT_TRUE(may("bob@example.com", "shared@example.com"));
  EXPECT_FALSE(may("alice@example.com", "shared@example.com"));
  EXPECT_EQ(d_->allow_sender("bob@example.com", "shared@example.com").error().kind,
            ErrorKind::Exists);
  EXPECT_EQ(d_->allow_sender("ghost@example.com", "shared@example.com").error().kind,
            ErrorKind::NotFound);
  EXPECT_EQ(d_->allow_sender("bob@example.com", "bob@example.com").error().kind, ErrorKind::Exists);
  EXPECT_EQ(d_->allow_sender("bob@example.com", "bad address").error().kind, ErrorKind::Invalid);
  ASSERT_TRUE(d_->allow_sender("bob@example.com", "ceo@partner.org").ok());
  ASSERT_TRUE(d_->allow_sender("alice@example.com", "shared@example.com").ok());

  auto bob = d_->list_senders("bob@example.com");
  ASSERT_TRUE(bob.ok());
  ASSERT_EQ(bob->size(), 2u);
  EXPECT_EQ((*bob)[0].address, "ceo@partner.org");
  EXPECT_EQ((*bob)[1].address, "shared@example.com");
  auto all = d_->list_senders();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);

  ASSERT_TRUE(d_->deny_sender("bob@example.com", "shared@example.com").ok());
  EXPECT_FALSE(may("bob@example.com", "shared@example.com"));
  EXPECT_TRUE(may("alice@example.com", "shared@example.com"));
  EXPECT_EQ(d_->deny_sender("bob@example.com", "shared@example.com").error().kind,
            ErrorKind::NotFound);
}

TEST_F(SendersTest, RemovingAnAccountRemovesItsGrants) {
  ASSERT_TRUE(d_->allow_sender("bob@example.com", "shared@example.com").ok());
  ASSERT_TRUE(d_->allow_sender("bob@example.com", "other@example.com").ok());
  ASSERT_TRUE(d_->allow_sender("alice@example.com", "shared@example.com").ok());
  ASSERT_TRUE(d_->remove_account("bob@example.com").ok());
  ASSERT_TRUE(d_->add_account("bob@example.com", "new").ok());
  EXPECT_FALSE(may("bob@example.com", "shared@example.com")) << "grant inherited by a new bob";
  EXPECT_EQ(d_->list_senders()->size(), 1u);
}

}  // namespace
}  // namespace mail::auth
