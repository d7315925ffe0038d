// DkimSigner's signatures checked by libopendkim's verifier (DkimVerifier), which is an
// independent implementation for the ed25519 ones (made with OpenSSL, see dkim_ed25519.h):
// both algorithms pass, repeated and oversigned fields are hashed as RFC 6376 5.4.2 says,
// a changed body or signed field fails. Run under LeakSanitizer in CI, the loop also proves
// that signing leaks nothing (libopendkim's ed25519 signing did).
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "mailauth/dkim_signer.h"
#include "mailauth/dkim_verify.h"
#include "mailauth/header_block.h"

namespace mail::mailauth {
namespace {

namespace fs = std::filesystem;

class DkimSignerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("dkim_signer_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    DkimKeyStore store(dir_);
    for (auto [selector, algorithm] :
         {std::pair{"rsa1", KeyAlgorithm::Rsa}, std::pair{"ed1", KeyAlgorithm::Ed25519}}) {
      auto key = store.generate("example.org", selector, algorithm);
      ASSERT_TRUE(key) << key.error().message;
      KeyAnswer answer;
      answer.status = dns::Status::Ok;
      answer.temporary = false;
      answer.records.push_back(key->dns_record());
      keys_[key->dns_name()] = answer;
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<DkimOutcome> verify(const std::string& message) const {
    DkimVerifier verifier(8, 1024);
    return verifier.verify(message, split_header(message), keys_, nullptr,
                           std::chrono::steady_clock::now() + std::chrono::seconds(5));
  }

  fs::path dir_;
  KeyAnswers keys_;
};

const std::string kMessage =
    "Received: from x by y; Sat, 5 Dec 2026 10:00:00 +0000\r\n"
    "From: Alice <alice@example.org>\r\n"
    "To: bob@example.net,\r\n"
    "\tcarol@example.net\r\n"
    "Subject:   folded\r\n"
    "  subject  \r\n"
    "X-Not-Signed: 1\r\n"
    "Comments: first\r\n"
    "Cc: one@example.net\r\n"
    "Cc: two@example.net\r\n"
    "Date: Sat, 5 Dec 2026 10:00:00 +0000\r\n"
    "Message-ID: <1@example.org>\r\n"
    "\r\n"
    "Body  with   spaces \t\r\n"
    "\r\n"
    "last line\r\n"
    "\r\n"
    "\r\n";

TEST_F(DkimSignerTest, BothAlgorithmsVerifyWithLibopendkim) {
  DkimSigner signer(dir_ / "");
  for (int round = 0; round < 20; ++round) {
    auto fields = signer.sign(kMessage);
    ASSERT_TRUE(fields) << fields.error().message;
    std::string signed_message = *fields + kMessage;
    auto outcomes = verify(signed_message);
    ASSERT_EQ(outcomes.size(), 2u);
    for (const DkimOutcome& o : outcomes) {
      EXPECT_EQ(o.result, DkimResult::Pass) << o.algorithm << ": " << o.reason;
      EXPECT_EQ(o.domain, "example.org");
    }
    EXPECT_NE(outcomes[0].algorithm, outcomes[1].algorithm);
  }
}

TEST_F(DkimSignerTest, ChangesAfterSigningFail) {
  DkimSigner signer(dir_);
  auto fields = signer.sign(kMessage);
  ASSERT_TRUE(fields) << fields.error().message;
  auto expect_all_fail = [&](const std::string& message, const char* what) {
    auto outcomes = verify(*fields + message);
    ASSERT_EQ(outcomes.size(), 2u) << what;
    for (const DkimOutcome& o : outcomes)
      EXPECT_EQ(o.result, DkimResult::Fail) << what << ", " << o.algorithm;
  };
  std::string body_changed = kMessage;
  body_changed.replace(body_changed.find("last line"), 9, "past line");
  expect_all_fail(body_changed, "body changed");
  std::string cc_changed = kMessage;
  cc_changed.replace(cc_changed.find("one@"), 4, "uno@");
  expect_all_fail(cc_changed, "first of two Cc fields changed");
  // Oversigning: a second From added above the signed one breaks both signatures.
  expect_all_fail("From: mallory@example.org\r\n" + kMessage, "From added");
  // Whitespace changes are what relaxed canonicalisation forgives.
  std::string respaced = kMessage;
  respaced.replace(respaced.find("Body  with"), 10, "Body with");
  for (const DkimOutcome& o : verify(*fields + respaced))
    EXPECT_EQ(o.result, DkimResult::Pass) << "respaced body, " << o.algorithm;
}

}  // namespace
}  // namespace mail::mailauth
