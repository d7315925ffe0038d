// Tests for the postmaster rule (auth/postmaster.h) over a real LMDB directory.
#include "auth/postmaster.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace mail::auth {
namespace {

using Strings = std::vector<std::string>;

class PostmasterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/auth_postmaster_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto d = open_lmdb_directory(dir_);
    ASSERT_TRUE(d.ok()) << d.error().message;
    d_ = std::move(*d);
    ASSERT_TRUE(d_->add_domain("b.test").ok());
    ASSERT_TRUE(d_->add_domain("a.test").ok());
    ASSERT_TRUE(d_->add_account("zed@a.test", "pw").ok());
    ASSERT_TRUE(d_->add_account("amy@a.test", "pw").ok());
    ASSERT_TRUE(d_->add_account("bob@b.test", "pw").ok());
  }
  void TearDown() override {
    d_.reset();
    std::filesystem::remove_all(dir_);
  }
  // "Local:acct,acct", "Unknown" or "Foreign".
  std::string resolve(std::string_view address, std::string_view configured = "") {
    auto r = resolve_recipient(*d_, address, configured);
    EXPECT_TRUE(r.ok());
    if (!r) return "error";
    switch (r->kind) {
      case RecipientKind::Unknown:
        return "Unknown";
      case RecipientKind::Foreign:
        return "Foreign";
      case RecipientKind::Local:
        break;
    }
    std::string out = "Local:";
    for (size_t i = 0; i < r->accounts.size(); ++i) out += (i ? "," : "") + r->accounts[i];
    return out;
  }
  std::filesystem::path dir_;
  std::unique_ptr<Directory> d_;
};

TEST_F(PostmasterTest, EveryLocalDomainHasAPostmaster) {
  // Without configuration: the first account (in address order) of that domain.
  EXPECT_EQ(resolve("postmaster@a.test"), "Local:amy@a.test");
  EXPECT_EQ(resolve("PostMaster@B.TEST"), "Local:bob@b.test");
  // The bare form (RFC 5321 4.1.1.3): the first domain in name order.
  EXPECT_EQ(resolve("Postmaster"), "Local:amy@a.test");
  EXPECT_EQ(resolve("POSTMASTER"), "Local:amy@a.test");
  // Not postmaster: unchanged.
  EXPECT_EQ(resolve("nobody@a.test"), "Unknown");
  EXPECT_EQ(resolve("postmaster@elsewhere.test"), "Foreign");
  EXPECT_EQ(resolve("postmasterx@a.test"), "Unknown");
  EXPECT_EQ(resolve("nobody"), "Unknown");
  EXPECT_EQ(resolve("zed@a.test"), "Local:zed@a.test");
}

TEST_F(PostmasterTest, ConfiguredAccountAndRealPostmasterWin) {
  EXPECT_EQ(resolve("postmaster@a.test", "bob@b.test"), "Local:bob@b.test");
  EXPECT_EQ(resolve("Postmaster", "bob@b.test"), "Local:bob@b.test");
  // A configured address that does not exist falls back to the default.
  EXPECT_EQ(resolve("postmaster@a.test", "gone@b.test"), "Local:amy@a.test");
  // An administrator's own postmaster alias or account wins over both.
  ASSERT_TRUE(d_->add_alias("postmaster@a.test", "zed@a.test").ok());
  EXPECT_EQ(resolve("postmaster@a.test", "bob@b.test"), "Local:zed@a.test");
}

TEST_F(PostmasterTest, DomainWithoutAccountsHasNoPostmaster) {
  ASSERT_TRUE(d_->add_domain("empty.test").ok());
  EXPECT_EQ(resolve("postmaster@empty.test"), "Unknown");
  EXPECT_EQ(resolve("postmaster@empty.test", "bob@b.test"), "Local:bob@b.test");
}

TEST(IsPostmasterTest, Forms) {
  EXPECT_TRUE(is_postmaster("postmaster"));
  EXPECT_TRUE(is_postmaster("Postmaster@x.test"));
  EXPECT_FALSE(is_postmaster("post@x.test"));
  EXPECT_FALSE(is_postmaster(""));
}

}  // namespace
}  // namespace mail::auth
