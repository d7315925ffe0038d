// Tests for the LMDB directory (auth/directory.h, auth/lmdb_directory.cpp), each on a
// fresh temporary environment.
#include "auth/directory.h"

#include <gtest/gtest.h>
#include <lmdb.h>

#include <chrono>
#include <cstdlib>

namespace mail::auth {
namespace {

using Strings = std::vector<std::string>;

class DirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/auth_directory_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    reopen();
  }
  void TearDown() override {
    d_.reset();
    std::filesystem::remove_all(dir_);
  }
  void reopen() {
    d_.reset();
    auto d = open_lmdb_directory(dir_);
    ASSERT_TRUE(d.ok()) << d.error().message;
    d_ = std::move(*d);
  }
  // A domain with one account and one alias, used by most tests.
  void populate() {
    ASSERT_TRUE(d_->add_domain("example.com").ok());
    ASSERT_TRUE(d_->add_account("alice@example.com", "alice-pw").ok());
  }
  static void expect_error(const Result<void>& r, ErrorKind kind) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, kind) << r.error().message;
  }
  RecipientLookup resolve(std::string_view a) {
    auto r = d_->resolve(a);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : RecipientLookup{};
  }

  std::filesystem::path dir_;
  std::unique_ptr<Directory> d_;
};

TEST_F(DirectoryTest, DomainsAddListRemove) {
  ASSERT_TRUE(d_->add_domain("Example.COM").ok());
  ASSERT_TRUE(d_->add_domain("b.org").ok());
  expect_error(d_->add_domain("example.com"), ErrorKind::Exists);
  expect_error(d_->add_domain(".bad"), ErrorKind::Invalid);
  EXPECT_EQ(*d_->list_domains(), (Strings{"b.org", "example.com"}));
  EXPECT_TRUE(*d_->has_domain("EXAMPLE.com"));
  EXPECT_FALSE(*d_->has_domain("c.net"));
  EXPECT_FALSE(*d_->has_domain("bad..name"));
  ASSERT_TRUE(d_->remove_domain("B.org").ok());
  expect_error(d_->remove_domain("b.org"), ErrorKind::NotFound);
  EXPECT_EQ(*d_->list_domains(), (Strings{"example.com"}));
}

TEST_F(DirectoryTest, RemoveDomainRefusedWhileUsed) {
  populate();
  ASSERT_TRUE(d_->add_domain("other.org").ok());
  ASSERT_TRUE(d_->add_alias("sales@other.org", "alice@example.com").ok());
  expect_error(d_->remove_domain("example.com"), ErrorKind::Invalid);
  expect_error(d_->remove_domain("other.org"), ErrorKind::Invalid);
  ASSERT_TRUE(d_->remove_account("alice@example.com").ok());
  ASSERT_TRUE(d_->remove_domain("example.com").ok());  // other.org's alias may point here
  ASSERT_TRUE(d_->remove_alias("sales@other.org").ok());
  ASSERT_TRUE(d_->remove_domain("other.org").ok());
  EXPECT_TRUE(d_->list_domains()->empty());
}

TEST_F(DirectoryTest, AccountsAddDuplicateRemove) {
  expect_error(d_->add_account("alice@example.com", "pw"), ErrorKind::NotFound);  // no domain
  populate();
  expect_error(d_->add_account("ALICE@example.com", "other"), ErrorKind::Exists);
  expect_error(d_->add_account("bob@example.com", ""), ErrorKind::Invalid);
  expect_error(d_->add_account("bob example.com", "pw"), ErrorKind::Invalid);
  ASSERT_TRUE(d_->add_account("Bob@Example.com", "bob-pw").ok());
  EXPECT_EQ(*d_->list_accounts(), (Strings{"alice@example.com", "bob@example.com"}));
  ASSERT_TRUE(d_->remove_account("BOB@example.com").ok());
  expect_error(d_->remove_account("bob@example.com"), ErrorKind::NotFound);
  EXPECT_EQ(*d_->list_accounts(), (Strings{"alice@example.com"}));
}

TEST_F(DirectoryTest, SetPasswordAndEnabled) {
  populate();
  ASSERT_TRUE(d_->set_password("Alice@example.com", "new-pw").ok());
  EXPECT_FALSE(d_->authenticate("alice@example.com", "alice-pw").ok());
  EXPECT_TRUE(d_->authenticate("alice@example.com", "new-pw").ok());
  expect_error(d_->set_password("nobody@example.com", "x"), ErrorKind::NotFound);

  ASSERT_TRUE(d_->set_enabled("alice@example.com", false).ok());
  auto denied = d_->authenticate("alice@example.com", "new-pw");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().kind, ErrorKind::Denied);
  // Disabled accounts still receive mail.
  EXPECT_EQ(resolve("alice@example.com").kind, RecipientKind::Local);
  ASSERT_TRUE(d_->set_enabled("alice@example.com", true).ok());
  EXPECT_TRUE(d_->authenticate("alice@example.com", "new-pw").ok());
  expect_error(d_->set_enabled("nobody@example.com", true), ErrorKind::NotFound);
}

TEST_F(DirectoryTest, AliasesAddRemoveList) {
  populate();
  ASSERT_TRUE(d_->add_alias("Info@example.com", "alice@example.com").ok());
  ASSERT_TRUE(d_->add_alias("info@example.com", "Someone@Elsewhere.net").ok());
  expect_error(d_->add_alias("info@example.com", "alice@example.com"), ErrorKind::Exists);
  expect_error(d_->add_alias("info@nowhere.org", "alice@example.com"), ErrorKind::NotFound);
  expect_error(d_->add_alias("alice@example.com", "x@example.com"), ErrorKind::Exists);
  expect_error(d_->add_alias("loop@example.com", "loop@example.com"), ErrorKind::Invalid);
  expect_error(d_->add_alias("info@example.com", "not an address"), ErrorKind::Invalid);
  expect_error(d_->add_account("info@example.com", "pw"), ErrorKind::Exists);

  auto list = d_->list_aliases();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].address, "info@example.com");
  EXPECT_EQ((*list)[0].targets, (Strings{"alice@example.com", "someone@elsewhere.net"}));

  expect_error(d_->remove_alias("info@example.com", "bob@example.com"), ErrorKind::NotFound);
  ASSERT_TRUE(d_->remove_alias("info@example.com", "SOMEONE@elsewhere.net").ok());
  EXPECT_EQ((*d_->list_aliases())[0].targets, (Strings{"alice@example.com"}));
  // Removing the last target removes the alias.
  ASSERT_TRUE(d_->remove_alias("info@example.com", "alice@example.com").ok());
  EXPECT_TRUE(d_->list_aliases()->empty());
  expect_error(d_->remove_alias("info@example.com"), ErrorKind::NotFound);

  ASSERT_TRUE(d_->add_alias("a@example.com", "alice@example.com").ok());
  ASSERT_TRUE(d_->add_alias("b@example.com", "alice@example.com").ok());
  ASSERT_TRUE(d_->remove_alias("a@example.com").ok());
  EXPECT_EQ(d_->list_aliases()->size(), 1u);
}

TEST_F(DirectoryTest, ResolveAccountsAliasesUnknownForeign) {
  populate();
  ASSERT_TRUE(d_->add_account("bob@example.com", "bob-pw").ok());
  ASSERT_TRUE(d_->add_alias("team@example.com", "alice@example.com").ok());
  ASSERT_TRUE(d_->add_alias("team@example.com", "bob@example.com").ok());
  ASSERT_TRUE(d_->add_alias("team@example.com", "far@away.net").ok());
  ASSERT_TRUE(d_->add_alias("fwd@example.com", "far@away.net").ok());

  auto r = resolve("alice@example.com");
  EXPECT_EQ(r.kind, RecipientKind::Local);
  EXPECT_EQ(r.accounts, (Strings{"alice@example.com"}));

  r = resolve("ALICE@EXAMPLE.COM");
  EXPECT_EQ(r.kind, RecipientKind::Local);
  EXPECT_EQ(r.accounts, (Strings{"alice@example.com"}));

  r = resolve("Team@Example.com");
  EXPECT_EQ(r.kind, RecipientKind::Local);
  EXPECT_EQ(r.accounts, (Strings{"alice@example.com", "bob@example.com"}));

  // Only a non-local target: nothing to deliver yet, so the address is unknown.
  EXPECT_EQ(resolve("fwd@example.com").kind, RecipientKind::Unknown);

  EXPECT_EQ(resolve("carol@example.com").kind, RecipientKind::Unknown);
  EXPECT_EQ(resolve("carol@EXAMPLE.com").kind, RecipientKind::Unknown);
  EXPECT_EQ(resolve("@example.com").kind, RecipientKind::Unknown);
  EXPECT_EQ(resolve("a b@example.com").kind, RecipientKind::Unknown);
  EXPECT_EQ(resolve("alice+tag@example.com").kind, RecipientKind::Unknown);  // no stripping
  EXPECT_EQ(resolve("carol@other.org").kind, RecipientKind::Foreign);
  EXPECT_EQ(resolve("carol@sub.example.com").kind, RecipientKind::Foreign);
  EXPECT_EQ(resolve("@other.org").kind, RecipientKind::Foreign);
  EXPECT_EQ(resolve("nodomain").kind, RecipientKind::Foreign);
  EXPECT_EQ(resolve("").kind, RecipientKind::Foreign);

  // A removed account drops out of the alias but stays stored as a target.
  ASSERT_TRUE(d_->remove_account("bob@example.com").ok());
  r = resolve("team@example.com");
  EXPECT_EQ(r.accounts, (Strings{"alice@example.com"}));
  EXPECT_EQ((*d_->list_aliases())[1].targets.size(), 3u);
}

TEST_F(DirectoryTest, Authenticate) {
  populate();
  auto ok = d_->authenticate("Alice@Example.com", "alice-pw");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(*ok, "alice@example.com");

  for (auto [login, pw] :
       {std::pair{"alice@example.com", "wrong"}, std::pair{"alice@example.com", "ALICE-PW"},
        std::pair{"alice@example.com", ""}, std::pair{"nobody@example.com", "alice-pw"},
        std::pair{"alice", "alice-pw"}, std::pair{"", ""}}) {
    auto r = d_->authenticate(login, pw);
    ASSERT_FALSE(r.ok()) << login;
    EXPECT_EQ(r.error().kind, ErrorKind::Denied);
  }
}

TEST_F(DirectoryTest, UnknownUserStillPaysForTheHash) {
  populate();
  using Clock = std::chrono::steady_clock;
  // Best of three: scheduling noise only ever adds time.
  auto time = [&](const char* login) {
    auto best = Clock::duration::max();
    for (int i = 0; i < 3; ++i) {
      auto start = Clock::now();
      (void)d_->authenticate(login, "wrong");
      best = std::min(best, Clock::now() - start);
    }
    return best;
  };
  auto known = time("alice@example.com");
  auto unknown = time("nobody@example.com");
  // Loose bound (shared CI cores): the unknown login must not be an order faster.
  EXPECT_GT(unknown * 4, known);
}

TEST_F(DirectoryTest, ReopenPersists) {
  populate();
  ASSERT_TRUE(d_->add_alias("info@example.com", "alice@example.com").ok());
  ASSERT_TRUE(d_->set_enabled("alice@example.com", false).ok());
  reopen();
  EXPECT_EQ(*d_->list_domains(), (Strings{"example.com"}));
  EXPECT_EQ(*d_->list_accounts(), (Strings{"alice@example.com"}));
  ASSERT_EQ(d_->list_aliases()->size(), 1u);
  EXPECT_FALSE(d_->authenticate("alice@example.com", "alice-pw").ok());
  ASSERT_TRUE(d_->set_enabled("alice@example.com", true).ok());
  EXPECT_TRUE(d_->authenticate("alice@example.com", "alice-pw").ok());
  EXPECT_EQ(resolve("info@example.com").accounts, (Strings{"alice@example.com"}));
}

TEST_F(DirectoryTest, RefusesUnknownSchemaVersion) {
  d_.reset();
  {
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 16);
    mdb_env_set_mapsize(env, size_t{256} << 20);
    ASSERT_EQ(mdb_env_open(env, dir_.c_str(), 0, 0600), 0);
    MDB_txn* txn = nullptr;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    MDB_dbi dbi;
    ASSERT_EQ(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    char key[] = "schema_version", value[] = {0, 0, 0, 9};
    MDB_val k{sizeof(key) - 1, key}, v{sizeof(value), value};
    ASSERT_EQ(mdb_put(txn, dbi, &k, &v, 0), 0);
    ASSERT_EQ(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
  }
  auto d = open_lmdb_directory(dir_);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().kind, ErrorKind::Corrupt);
}

}  // namespace
}  // namespace mail::auth
