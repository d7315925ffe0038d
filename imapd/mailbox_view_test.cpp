// Tests for MailboxView over a real store: sequence numbers and UIDs with expunges not
// yet announced, sequence sets, and how changes are announced (RFC 9051 section 7.5.1,
// RFC 7162 VANISHED and MODSEQ), including a randomized comparison with a plain model.
#include "imapd/mailbox_view.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "store/test_store.h"

namespace mail::imapd {
namespace {

using store::testing::TempStoreTest;
constexpr std::string_view kUser = "v@example.test";

imap::SequenceSet set(std::string_view text) {
  return *imap::SequenceSet::parse(text);
}

class MailboxViewTest : public TempStoreTest {
 protected:
  void SetUp() override {
    TempStoreTest::SetUp();
    ASSERT_TRUE(store_->create_account(kUser).ok());
  }
  MailboxView open(bool read_only = false) { return MailboxView(box(kUser, "INBOX"), read_only); }
  uint64_t inbox() { return box(kUser, "INBOX").id; }
  std::string refresh(MailboxView& v, bool allow_expunge, AnnounceOptions options = {}) {
    imap::StringSink sink;
    imap::ResponseWriter out(sink);
    auto r = v.prepare_refresh(*store_, allow_expunge);
    EXPECT_TRUE(r.ok()) << r.error().message;
    if (r.ok()) v.announce(std::move(*r), options, out);
    return sink.data;
  }
  // Every (seq, uid) the view's walk gives, "*" included.
  std::vector<std::pair<uint32_t, uint32_t>> walk(MailboxView& v) {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    auto r = v.read(*store_, [&](MailboxView::Snapshot& s) -> Result<void> {
      auto ranges = s.resolve(set("1:*"), true);
      if (!ranges) return std::move(ranges.error());
      return s.for_each(**ranges, store::kPartInfo, [&](const MailboxView::Snapshot::Message& m) {
        out.emplace_back(m.seq, m.uid);
        return true;
      });
    });
    EXPECT_TRUE(r.ok());
    return out;
  }
  void expunge(std::vector<uint32_t> uids) { ASSERT_TRUE(store_->expunge(inbox(), uids).ok()); }
};

TEST_F(MailboxViewTest, SequenceNumbersAndUids) {
  deliver_n(std::string(kUser), "INBOX", 5);
  expunge({2, 4});  // UIDs 1 3 5 before the view opens
  MailboxView v = open();
  EXPECT_EQ(v.exists(), 3u);
  auto r = v.read(*store_, [&](MailboxView::Snapshot& s) -> Result<void> {
    EXPECT_EQ(*s.uid_at(2), 3u);
    EXPECT_EQ(*s.seq_of(5), 3u);
    EXPECT_FALSE(s.seq_of(4)->has_value());
    EXPECT_FALSE(s.uid_at(4)->has_value());
    EXPECT_EQ(*s.max_uid(), 5u);
    EXPECT_EQ(*s.first_unseen(), 1u);
    auto seqs = *s.resolve(set("2:*"), false);
    EXPECT_EQ(seqs->size(), 1u);
    EXPECT_EQ((*seqs)[0].first, 3u);
    EXPECT_EQ((*seqs)[0].last, 5u);
    EXPECT_FALSE(s.resolve(set("4"), false)->has_value());  // beyond EXISTS: BAD
    auto uids = *s.resolve(set("4:9"), true);
    EXPECT_EQ(uids->size(), 1u);
    EXPECT_EQ((*uids)[0].first, 4u);  // resolve gives ranges; for_each skips the gaps
    return {};
  });
  EXPECT_TRUE(r.ok());
}

TEST_F(MailboxViewTest, ExpungeHeldBackKeepsNumbers) {
  deliver_n(std::string(kUser), "INBOX", 4);
  MailboxView v = open();
  expunge({2});
  deliver_n(std::string(kUser), "INBOX", 1);  // UID 5
  // Not allowed to expunge: the new message is announced, UID 2 keeps number 2.
  EXPECT_EQ(refresh(v, false), "* 5 EXISTS\r\n");
  EXPECT_EQ(v.exists(), 5u);
  EXPECT_EQ(walk(v),
            (std::vector<std::pair<uint32_t, uint32_t>>{{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}}));
  // Another expunge seen by a snapshot before any refresh joins the pending ones.
  expunge({4});
  EXPECT_EQ(walk(v).size(), 5u);
  EXPECT_EQ(refresh(v, true), "* 4 EXPUNGE\r\n* 2 EXPUNGE\r\n");
  EXPECT_EQ(v.exists(), 3u);
  EXPECT_EQ(walk(v), (std::vector<std::pair<uint32_t, uint32_t>>{{1, 1}, {2, 3}, {3, 5}}));
  EXPECT_EQ(refresh(v, true), "");
}

TEST_F(MailboxViewTest, FlagChangesOnceWithModseqAndVanished) {
  deliver_n(std::string(kUser), "INBOX", 3);
  MailboxView v = open();
  const uint32_t three = 3;
  auto changed = store_->store_flags(inbox(), std::span(&three, 1), store::FlagOp::Add,
                                     store::Flags{store::kSeen, {}});
  ASSERT_TRUE(changed.ok());
  const uint64_t modseq = changed->front().modseq;
  expunge({1});
  EXPECT_EQ(refresh(v, false, {true, false}),
            "* 3 FETCH (UID 3 MODSEQ (" + std::to_string(modseq) + ") FLAGS (\\Seen))\r\n");
  EXPECT_EQ(refresh(v, true, {true, true}), "* VANISHED 1\r\n");
  // A change this session reported itself is not repeated.
  auto again = store_->store_flags(inbox(), std::span(&three, 1), store::FlagOp::Add,
                                   store::Flags{store::kFlagged, {}});
  v.note_reported(3, again->front().modseq);
  EXPECT_EQ(refresh(v, true), "");
}

TEST_F(MailboxViewTest, NewKeywordsAnnouncedBeforeUse) {
  deliver_n(std::string(kUser), "INBOX", 1);
  MailboxView v = open();
  const uint32_t one = 1;
  ASSERT_TRUE(
      store_
          ->store_flags(inbox(), std::span(&one, 1), store::FlagOp::Add, store::Flags{0, {"$Junk"}})
          .ok());
  const std::string out = refresh(v, true);
  const auto flags = out.find("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk)");
  const auto fetch = out.find("* 1 FETCH (UID 1 FLAGS ($Junk))");
  ASSERT_NE(flags, std::string::npos) << out;
  ASSERT_NE(fetch, std::string::npos) << out;
  EXPECT_LT(flags, fetch);
  EXPECT_NE(out.find("[PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk \\*)]"),
            std::string::npos);
}

TEST_F(MailboxViewTest, DeletedMailboxIsNotFound) {
  ASSERT_TRUE(store_->create_mailbox(kUser, "Box").ok());
  MailboxView v(box(kUser, "Box"), false);
  ASSERT_TRUE(store_->delete_mailbox(kUser, "Box").ok());
  auto r = v.prepare_refresh(*store_, true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::NotFound);
}

// The view against a model that keeps every UID the client knows: random deliveries,
// expunges and refreshes (allowed or not) must keep sequence numbers identical.
TEST_F(MailboxViewTest, MatchesAModel) {
  std::mt19937 rng(7);
  deliver_n(std::string(kUser), "INBOX", 40);
  MailboxView v = open();
  std::vector<uint32_t> model;  // the client's sequence -> UID
  for (uint32_t u = 1; u <= 40; ++u) model.push_back(u);
  std::vector<uint32_t> in_store = model;
  uint32_t next_uid = 41;
  for (int round = 0; round < 300; ++round) {
    switch (rng() % 4) {
      case 0: {  // deliveries
        const size_t n = rng() % 3 + 1;
        deliver_n(std::string(kUser), "INBOX", n);
        for (size_t i = 0; i < n; ++i) in_store.push_back(next_uid++);
        break;
      }
      case 1: {  // another session expunges a few
        std::vector<uint32_t> gone;
        for (uint32_t u : in_store)
          if (rng() % 8 == 0) gone.push_back(u);
        expunge(gone);
        std::erase_if(in_store,
                      [&](uint32_t u) { return std::binary_search(gone.begin(), gone.end(), u); });
        break;
      }
      default: {
        const bool allow = rng() % 2;
        refresh(v, allow);
        // The model: new UIDs appended; expunged ones removed only when allowed.
        for (uint32_t u : in_store)
          if (model.empty() || u > model.back()) model.push_back(u);
        if (allow)
          std::erase_if(model, [&](uint32_t u) {
            return !std::binary_search(in_store.begin(), in_store.end(), u);
          });
        break;
      }
    }
    ASSERT_EQ(v.exists(), model.size()) << "round " << round;
    auto seen = walk(v);
    ASSERT_EQ(seen.size(), model.size()) << "round " << round;
    for (size_t i = 0; i < seen.size(); ++i) {
      ASSERT_EQ(seen[i].first, i + 1);
      ASSERT_EQ(seen[i].second, model[i]) << "round " << round << " seq " << i + 1;
    }
    // Random access agrees with the walk.
    auto r = v.read(*store_, [&](MailboxView::Snapshot& s) -> Result<void> {
      for (size_t i = 0; i < model.size(); i += 3) {
        EXPECT_EQ(*s.uid_at(static_cast<uint32_t>(i + 1)), model[i]);
        EXPECT_EQ(*s.seq_of(model[i]), i + 1);
      }
      return {};
    });
    ASSERT_TRUE(r.ok());
  }
}

}  // namespace
}  // namespace mail::imapd
