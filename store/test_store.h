// A fresh LMDB store in a temporary directory for the store's unit tests.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>

#include "store/mail_store.h"

namespace mail::store::testing {

inline Delivery at(std::string account, std::string mailbox = "INBOX") {
  return Delivery{std::move(account), std::move(mailbox), Flags{}, {}};
}

inline const std::string kMsg = "From: a@example.org\r\nSubject: hi\r\n\r\nHello\r\n";

class TempStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/store_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.map_size = size_t{256} << 20;
    reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void reopen() {
    store_.reset();
    auto s = open_lmdb_store(dir_ / "store", options_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
  }
  MailboxInfo box(std::string_view account, std::string_view name) {
    auto m = store_->mailbox(account, name);
    EXPECT_TRUE(m.ok()) << m.error().message;
    return m.ok() ? *m : MailboxInfo{};
  }
  std::vector<Delivered> deliver(std::vector<Delivery> to, const std::string& msg = kMsg) {
    auto d = store_->deliver(to, msg, 1700000000);
    EXPECT_TRUE(d.ok()) << d.error().message;
    return d.ok() ? *d : std::vector<Delivered>{};
  }
  // Delivers `n` messages to one mailbox in one batch; returns their UIDs.
  std::vector<uint32_t> deliver_n(const std::string& account, const std::string& mailbox,
                                  size_t n) {
    std::vector<IncomingMessage> batch(n,
                                       IncomingMessage{kMsg, 1700000000, {at(account, mailbox)}});
    auto r = store_->deliver_batch(batch);
    EXPECT_TRUE(r.ok()) << r.error().message;
    std::vector<uint32_t> uids;
    if (r.ok())
      for (auto& one : *r)
        if (one.ok()) uids.push_back(one->front().uid);
    return uids;
  }
  void expect_clean() {
    auto problems = store_->check();
    ASSERT_TRUE(problems.ok()) << problems.error().message;
    EXPECT_TRUE(problems->empty()) << (problems->empty() ? "" : problems->front());
  }

  std::filesystem::path dir_;
  StoreOptions options_;
  std::unique_ptr<MailStore> store_;
};

}  // namespace mail::store::testing
