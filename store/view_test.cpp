// Session views (MailStore::read): positions against a plain model under random expunges,
// first unseen, zero-copy iteration, changes since a MODSEQ, UNCHANGEDSINCE, EXPUNGE via the
// \Deleted index, COPY/MOVE with shared bodies, and the mailbox keyword list.
#include <random>
#include <set>

#include "store/test_store.h"

namespace mail::store {
namespace {

using testing::at;
using testing::kMsg;

class ViewTest : public testing::TempStoreTest {
 protected:
  void SetUp() override {
    TempStoreTest::SetUp();
    ASSERT_TRUE(store_->create_account("a@x.org").ok());
    inbox_ = box("a@x.org", "INBOX").id;
  }
  // Runs `fn` on a snapshot of the inbox.
  template <typename F>
  void view(F&& fn) {
    auto r = store_->read(inbox_, [&](MailboxView& v) -> Result<void> {
      fn(v);
      return {};
    });
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  uint64_t inbox_ = 0;
};

TEST_F(ViewTest, PositionsMatchAPlainListUnderRandomExpunges) {
  std::vector<uint32_t> model = deliver_n("a@x.org", "INBOX", 3000);
  ASSERT_EQ(model.size(), 3000u);
  std::mt19937 rng(7);
  auto verify = [&] {
    view([&](MailboxView& v) {
      ASSERT_EQ(v.info().messages, model.size());
      for (int i = 0; i < 300; ++i) {
        uint32_t pos = std::uniform_int_distribution<uint32_t>(0, model.size() + 1)(rng);
        auto uid = v.uid_at(pos);
        ASSERT_TRUE(uid.ok());
        if (pos == 0 || pos > model.size()) {
          EXPECT_FALSE(uid->has_value()) << pos;
        } else {
          ASSERT_TRUE(uid->has_value()) << pos;
          EXPECT_EQ(**uid, model[pos - 1]) << pos;
        }
        uint32_t probe = std::uniform_int_distribution<uint32_t>(0, model.back() + 2)(rng);
        auto below = v.count_below(probe);
        ASSERT_TRUE(below.ok());
        EXPECT_EQ(*below, std::lower_bound(model.begin(), model.end(), probe) - model.begin())
            << probe;
        auto p = v.position_of(probe);
        ASSERT_TRUE(p.ok());
        bool present = std::binary_search(model.begin(), model.end(), probe);
        EXPECT_EQ(p->has_value(), present);
        if (present) {
          EXPECT_EQ(**p, *below + 1);
        }
      }
    });
    expect_clean();  // store check recounts every seq chunk
  };
  verify();
  // Expunge in waves: scattered UIDs, then a long run, then almost everything.
  for (int wave = 0; wave < 3; ++wave) {
    std::vector<uint32_t> gone;
    for (uint32_t uid : model) {
      bool drop = wave == 0   ? rng() % 3 == 0
                  : wave == 1 ? (uid > 1000 && uid < 1800)
                              : rng() % 10 != 0;
      if (drop) gone.push_back(uid);
    }
    auto removed = store_->expunge(inbox_, gone);
    ASSERT_TRUE(removed.ok());
    std::set<uint32_t> g(gone.begin(), gone.end());
    std::erase_if(model, [&](uint32_t u) { return g.contains(u); });
    verify();
    std::vector<uint32_t> more = deliver_n("a@x.org", "INBOX", 100);
    model.insert(model.end(), more.begin(), more.end());
    verify();
  }
}

TEST_F(ViewTest, FirstUnseenAndFlagIndexes) {
  deliver_n("a@x.org", "INBOX", 5);
  std::vector<uint32_t> first_two{1, 2};
  ASSERT_TRUE(store_->store_flags(inbox_, first_two, FlagOp::Add, Flags{kSeen, {}}).ok());
  std::vector<uint32_t> four{4};
  ASSERT_TRUE(store_->store_flags(inbox_, four, FlagOp::Add, Flags{kSeen | kDeleted, {}}).ok());
  view([&](MailboxView& v) {
    EXPECT_EQ(*v.first_unseen(), 3u);
    EXPECT_EQ(*v.position_of(3), 3u);
    UidRange all;
    EXPECT_EQ(*v.unseen_uids(std::span(&all, 1)), (std::vector<uint32_t>{3, 5}));
    UidRange some[] = {{1, 3}, {5, 9}};
    EXPECT_EQ(*v.unseen_uids(some), (std::vector<uint32_t>{3, 5}));
    EXPECT_EQ(*v.deleted_uids(std::span(&all, 1)), std::vector<uint32_t>{4});
    EXPECT_EQ(v.info().unseen, 2u);
    EXPECT_EQ(v.info().deleted, 1u);
  });
  std::vector<uint32_t> rest{3, 5};
  ASSERT_TRUE(store_->store_flags(inbox_, rest, FlagOp::Add, Flags{kSeen, {}}).ok());
  view([&](MailboxView& v) { EXPECT_FALSE(v.first_unseen()->has_value()); });
  expect_clean();
}

TEST_F(ViewTest, ForEachGivesZeroCopyViewsOfRanges) {
  std::vector<IncomingMessage> batch;
  std::vector<std::string> bodies;
  for (int i = 1; i <= 6; ++i) bodies.push_back("Subject: " + std::to_string(i) + "\r\n\r\nx\r\n");
  for (int i = 0; i < 6; ++i)
    batch.push_back(IncomingMessage{bodies[i],
                                    1700000000 + i,
                                    {at("a@x.org")},
                                    i % 2 ? std::string_view("summary") : std::string_view()});
  ASSERT_TRUE(store_->deliver_batch(batch).ok());
  std::vector<uint32_t> visited;
  view([&](MailboxView& v) {
    UidRange ranges[] = {{2, 3}, {5, UINT32_MAX}};
    auto r = v.for_each(ranges, kPartBody | kPartSummary, [&](const MessageView& m) {
      visited.push_back(m.info.uid);
      EXPECT_EQ(m.body, bodies[m.info.uid - 1]);
      EXPECT_EQ(m.summary, m.info.uid % 2 ? "" : "summary");  // odd batch index: even UID
      EXPECT_EQ(m.info.internal_date, 1700000000 + m.info.uid - 1);
      return true;
    });
    EXPECT_TRUE(r.ok());
    // Without kPartBody the body is not read; a false return stops the walk.
    UidRange all;
    int seen = 0;
    r = v.for_each(std::span(&all, 1), kPartInfo, [&](const MessageView& m) {
      EXPECT_TRUE(m.body.empty());
      return ++seen < 2;
    });
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(seen, 2);
  });
  EXPECT_EQ(visited, (std::vector<uint32_t>{2, 3, 5, 6}));
}

TEST_F(ViewTest, ChangesSinceAModseq) {
  deliver_n("a@x.org", "INBOX", 4);  // MODSEQs 2..5
  uint64_t mark = box("a@x.org", "INBOX").highest_modseq;
  EXPECT_EQ(mark, 5u);
  auto none = store_->changes_since(inbox_, mark);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->changed.empty() && none->expunged.empty());
  EXPECT_EQ(none->highest_modseq, mark);

  std::vector<uint32_t> two{2}, three{3};
  ASSERT_TRUE(store_->store_flags(inbox_, two, FlagOp::Add, Flags{kFlagged, {"$Work"}}).ok());
  ASSERT_TRUE(store_->expunge(inbox_, three).ok());
  deliver_n("a@x.org", "INBOX", 1);  // UID 5
  ASSERT_TRUE(store_->store_flags(inbox_, two, FlagOp::Add, Flags{kSeen, {}}).ok());
  auto c = store_->changes_since(inbox_, mark);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->changed.size(), 2u);  // UID 2 once (at its latest MODSEQ), and UID 5
  EXPECT_EQ(c->changed[0].uid, 2u);
  EXPECT_EQ(c->changed[0].flags, (Flags{kSeen | kFlagged, {"$Work"}}));
  EXPECT_EQ(c->changed[0].modseq, 9u);
  EXPECT_EQ(c->changed[1].uid, 5u);
  ASSERT_EQ(c->expunged.size(), 1u);
  EXPECT_EQ(c->expunged[0].uid, 3u);
  EXPECT_EQ(c->expunged[0].modseq, 7u);
  EXPECT_EQ(c->highest_modseq, 9u);
  EXPECT_EQ(c->uid_next, 6u);
  EXPECT_EQ(c->messages, 4u);
  // Later than the expunge: only what followed it.
  auto late = store_->changes_since(inbox_, 7);
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->changed.size(), 2u);
  EXPECT_TRUE(late->expunged.empty());
  // UIDs are never reused after an expunge.
  EXPECT_EQ(deliver_n("a@x.org", "INBOX", 1), std::vector<uint32_t>{6});
  EXPECT_EQ(store_->changes_since(inbox_, 1)->expunged.size(), 1u);
  expect_clean();
}

TEST_F(ViewTest, UnchangedSinceLeavesNewerMessagesAlone) {
  deliver_n("a@x.org", "INBOX", 3);  // MODSEQs 2, 3, 4
  std::vector<uint32_t> two{2};
  ASSERT_TRUE(store_->store_flags(inbox_, two, FlagOp::Add, Flags{kAnswered, {}}).ok());  // 5
  std::vector<uint32_t> all{1, 2, 3, 9};
  auto r = store_->store_flags_if(inbox_, all, FlagOp::Add, Flags{kSeen, {}}, 4);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->modified, std::vector<uint32_t>{2});
  ASSERT_EQ(r->messages.size(), 2u);
  EXPECT_EQ(r->messages[0].uid, 1u);
  EXPECT_EQ(r->messages[1].uid, 3u);
  EXPECT_TRUE(r->messages[1].flags.system & kSeen);
  auto msgs = store_->messages(inbox_);
  EXPECT_FALSE((*msgs)[1].flags.system & kSeen);
  expect_clean();
}

TEST_F(ViewTest, ExpungeDeletedUsesTheIndexAndRanges) {
  deliver_n("a@x.org", "INBOX", 6);
  std::vector<uint32_t> marked{2, 4, 6};
  ASSERT_TRUE(store_->store_flags(inbox_, marked, FlagOp::Add, Flags{kDeleted, {}}).ok());
  UidRange within{3, 5};
  auto some = store_->expunge_deleted(inbox_, std::span(&within, 1));
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(*some, std::vector<uint32_t>{4});
  auto rest = store_->expunge_deleted(inbox_);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, (std::vector<uint32_t>{2, 6}));
  EXPECT_TRUE(store_->expunge_deleted(inbox_)->empty());
  EXPECT_EQ(box("a@x.org", "INBOX").messages, 3u);
  EXPECT_EQ(box("a@x.org", "INBOX").deleted, 0u);
  EXPECT_EQ(store_->expunge_deleted(999).error().kind, ErrorKind::NotFound);
  expect_clean();
}

TEST_F(ViewTest, CopyAndMoveShareBodiesAndReturnTheUidMapping) {
  deliver_n("a@x.org", "INBOX", 4);
  std::vector<uint32_t> flagged{3};
  ASSERT_TRUE(store_->store_flags(inbox_, flagged, FlagOp::Add, Flags{kFlagged, {"$X"}}).ok());
  MailboxInfo archive = box("a@x.org", "Archive");
  std::vector<uint32_t> uids{3, 1, 99};
  auto copied = store_->copy(inbox_, uids, archive.id);
  ASSERT_TRUE(copied.ok()) << copied.error().message;
  EXPECT_EQ(copied->uid_validity, archive.uid_validity);
  EXPECT_EQ(copied->source_uids, (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(copied->destination_uids, (std::vector<uint32_t>{1, 2}));
  auto in_archive = store_->messages(archive.id);
  auto in_inbox = store_->messages(inbox_);
  ASSERT_EQ(in_archive->size(), 2u);
  EXPECT_EQ((*in_archive)[1].body_id, (*in_inbox)[2].body_id);  // shared, not copied
  EXPECT_EQ((*in_archive)[1].flags, (Flags{kFlagged, {"$X"}}));
  EXPECT_EQ(box("a@x.org", "Archive").keywords, std::vector<std::string>{"$X"});
  expect_clean();

  uint64_t before = box("a@x.org", "INBOX").highest_modseq;
  std::vector<uint32_t> move_uids{2, 3};
  auto moved = store_->move(inbox_, move_uids, archive.id);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->destination_uids, (std::vector<uint32_t>{3, 4}));
  EXPECT_EQ(box("a@x.org", "INBOX").messages, 2u);
  EXPECT_EQ(box("a@x.org", "Archive").messages, 4u);
  auto vanished = store_->changes_since(inbox_, before);
  ASSERT_EQ(vanished->expunged.size(), 2u);
  EXPECT_EQ(vanished->expunged[0].uid, 2u);
  // Removing every reference frees the body; the check agrees throughout.
  std::vector<uint32_t> all_inbox{1, 4}, all_archive{1, 2, 3, 4};
  ASSERT_TRUE(store_->expunge(inbox_, all_inbox).ok());
  ASSERT_TRUE(store_->expunge(archive.id, all_archive).ok());
  expect_clean();
  EXPECT_EQ(store_->copy(inbox_, uids, 999).error().kind, ErrorKind::NotFound);
}

TEST_F(ViewTest, MailboxKeywordsGrowAndAreBounded) {
  deliver_n("a@x.org", "INBOX", 1);
  std::vector<uint32_t> one{1};
  ASSERT_TRUE(store_->store_flags(inbox_, one, FlagOp::Add, Flags{0, {"$b", "$A"}}).ok());
  ASSERT_TRUE(store_->store_flags(inbox_, one, FlagOp::Remove, Flags{0, {"$b", "$A"}}).ok());
  EXPECT_EQ(box("a@x.org", "INBOX").keywords, (std::vector<std::string>{"$A", "$b"}));
  Flags many;
  for (size_t i = 0; i < kMaxMailboxKeywords; ++i) many.keywords.push_back("k" + std::to_string(i));
  auto over = store_->store_flags(inbox_, one, FlagOp::Add, many);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().kind, ErrorKind::Invalid);
  many.keywords.resize(kMaxMailboxKeywords - 2);
  EXPECT_TRUE(store_->store_flags(inbox_, one, FlagOp::Add, many).ok());
  expect_clean();
}

TEST_F(ViewTest, KeywordsOfSeveralCopiesAreCheckedTogetherBeforeWriting) {
  // Each destination fits the keyword list alone, both together do not: the message fails
  // as a whole (Invalid) and nothing of it is stored; the batch's other message goes in.
  Delivery d1 = at("a@x.org"), d2 = at("a@x.org");
  for (size_t i = 0; i < 600; ++i) d1.flags.keywords.push_back("one" + std::to_string(i));
  for (size_t i = 0; i < 600; ++i) d2.flags.keywords.push_back("two" + std::to_string(i));
  std::vector<IncomingMessage> batch{{kMsg, 1, {d1, d2}}, {kMsg, 2, {at("a@x.org")}}};
  auto r = store_->deliver_batch(batch);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0].error().kind, ErrorKind::Invalid);
  ASSERT_TRUE((*r)[1].ok());
  EXPECT_EQ((*r)[1]->front().uid, 1u);
  MailboxInfo inbox = box("a@x.org", "INBOX");
  EXPECT_EQ(inbox.messages, 1u);
  EXPECT_TRUE(inbox.keywords.empty());
  expect_clean();
}

}  // namespace
}  // namespace mail::store
