// Tests for the bounce generator: which outcomes produce which DSN (failed, delayed once,
// delivered/relayed for NOTIFY=SUCCESS, none for the null sender), and that the DSNs are
// enqueued into a real LMDB spool before the scheduler records the outcomes.
#include "queued/dsn_notifier.h"

#include <gtest/gtest.h>

#include "queue/test_util.h"

namespace mail::queued {
namespace {

namespace asio = net::asio;
using queue::testing::make_message;
using queue::testing::open_spool_in;
using queue::testing::TempDir;
using OutcomeKind = queue::Outcome::Kind;
using Success = AttemptResult::SuccessNotice;

constexpr int64_t kArrival = 1700000000;
const std::string kContent = "From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n";

struct Fixture {
  queue::Envelope envelope;
  std::vector<queue::Outcome> outcomes;
  std::vector<Success> success;
  NoticeItem item() { return NoticeItem{&envelope, &outcomes, &success}; }
};

Fixture fixture(std::string sender = "a@example.org") {
  Fixture f;
  f.envelope.id = "Q1";
  f.envelope.sender = std::move(sender);
  f.envelope.arrival = kArrival;
  for (const char* to : {"b@example.net", "c@example.net"}) {
    queue::Recipient r;
    r.address = to;
    f.envelope.recipients.push_back(r);
  }
  return f;
}

void add(Fixture& f, uint32_t recipient, OutcomeKind kind, std::string reply,
         Success s = Success::Delivered, queue::BounceClass c = queue::BounceClass::None) {
  queue::Outcome o;
  o.recipient = recipient;
  o.kind = kind;
  o.reply = std::move(reply);
  o.bounce_class = c;
  f.outcomes.push_back(o);
  f.success.push_back(s);
}

DsnNotifierSettings settings() {
  DsnNotifierSettings s;
  s.hostname = "mail.example.org";
  s.delay_notice_after = 3600;
  return s;
}

class DsnNotifierTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::unique_ptr<queue::Spool> spool_ = open_spool_in(dir_);
  asio::thread_pool workers_{1};
  DsnNotifier notifier_{workers_, *spool_, settings()};
};

TEST_F(DsnNotifierTest, OneFailureNoticePerMessage) {
  Fixture f = fixture();
  add(f, 0, OutcomeKind::Failed, "host mx.example.net[192.0.2.1] said: 550 5.1.1 no such user");
  add(f, 1, OutcomeKind::Failed, "451 4.4.1 mx: connect refused", Success::Delivered,
      queue::BounceClass::Expired);
  NoticeItem item = f.item();
  ASSERT_TRUE(notifier_.wants_notice(item, kArrival + 10));
  auto dsns = notifier_.notices_for(item, kContent, kArrival + 10);
  ASSERT_EQ(dsns.size(), 1u);
  EXPECT_EQ(dsns[0].envelope.sender, "");
  EXPECT_EQ(dsns[0].envelope.recipients[0].address, "a@example.org");
  const std::string& m = dsns[0].content;
  EXPECT_NE(m.find("Final-Recipient: rfc822; b@example.net\r\nAction: failed\r\nStatus: 5.1.1"),
            std::string::npos);
  EXPECT_NE(m.find("Final-Recipient: rfc822; c@example.net\r\nAction: failed\r\nStatus: 4.4.7"),
            std::string::npos);
  EXPECT_NE(m.find("Remote-MTA: dns; mx.example.net"), std::string::npos);
}

TEST_F(DsnNotifierTest, DelayNoticeOnceAfterTheConfiguredTime) {
  Fixture early = fixture();
  add(early, 0, OutcomeKind::Deferred, "451 4.4.1 later");
  NoticeItem e = early.item();
  EXPECT_FALSE(notifier_.wants_notice(e, kArrival + 3599));

  Fixture late = fixture();
  add(late, 0, OutcomeKind::Deferred, "451 4.4.1 later");
  NoticeItem l = late.item();
  ASSERT_TRUE(notifier_.wants_notice(l, kArrival + 3600));
  auto dsns = notifier_.notices_for(l, kContent, kArrival + 3600);
  ASSERT_EQ(dsns.size(), 1u);
  EXPECT_NE(dsns[0].content.find("Action: delayed"), std::string::npos);
  EXPECT_TRUE(late.outcomes[0].delay_notice_sent);

  Fixture again = fixture();
  again.envelope.recipients[0].delay_notice_sent = true;
  add(again, 0, OutcomeKind::Deferred, "451 4.4.1 still later");
  NoticeItem a = again.item();
  EXPECT_FALSE(notifier_.wants_notice(a, kArrival + 7200));

  // NOTIFY=FAILURE only: no notice, but the decision is recorded all the same.
  Fixture quiet = fixture();
  quiet.envelope.recipients[0].dsn_notify = queue::kNotifyFailure;
  add(quiet, 0, OutcomeKind::Deferred, "451 4.4.1 later");
  NoticeItem q = quiet.item();
  EXPECT_TRUE(notifier_.notices_for(q, kContent, kArrival + 3600).empty());
  EXPECT_TRUE(quiet.outcomes[0].delay_notice_sent);
}

TEST_F(DsnNotifierTest, SuccessNoticesOnlyWhenAskedAndOurs) {
  Fixture f = fixture();
  f.envelope.recipients[0].dsn_notify = queue::kNotifySuccess;
  f.envelope.recipients[1].dsn_notify = queue::kNotifySuccess;
  add(f, 0, OutcomeKind::Delivered, "host mx[192.0.2.1] said: 250 2.0.0 Ok", Success::Relayed);
  add(f, 1, OutcomeKind::Delivered, "host mx[192.0.2.1] said: 250 2.0.0 Ok", Success::NextHop);
  NoticeItem item = f.item();
  auto dsns = notifier_.notices_for(item, kContent, kArrival);
  ASSERT_EQ(dsns.size(), 1u);
  EXPECT_NE(dsns[0].content.find("Final-Recipient: rfc822; b@example.net\r\nAction: relayed"),
            std::string::npos);
  EXPECT_EQ(dsns[0].content.find("c@example.net"), std::string::npos);

  Fixture local = fixture();
  local.envelope.recipients[0].dsn_notify = queue::kNotifySuccess;
  add(local, 0, OutcomeKind::Delivered, "250 2.0.0 delivered");
  NoticeItem li = local.item();
  auto d = notifier_.notices_for(li, kContent, kArrival);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NE(d[0].content.find("Action: delivered"), std::string::npos);

  Fixture unasked = fixture();
  add(unasked, 0, OutcomeKind::Delivered, "250 2.0.0 Ok", Success::Relayed);
  NoticeItem u = unasked.item();
  EXPECT_FALSE(notifier_.wants_notice(u, kArrival));
}

TEST_F(DsnNotifierTest, NothingToTheNullSender) {
  Fixture f = fixture("");
  add(f, 0, OutcomeKind::Failed, "550 5.1.1 no such user");
  NoticeItem item = f.item();
  EXPECT_TRUE(notifier_.notices_for(item, kContent, kArrival).empty());
}

TEST_F(DsnNotifierTest, EnqueuesIntoTheSpool) {
  std::vector<queue::NewMessage> originals;
  originals.push_back(make_message("a@example.org", {"b@example.net"}, 0, kContent));
  auto ids = spool_->enqueue(originals);
  ASSERT_TRUE(ids.ok());
  auto stored = spool_->envelope((*ids)[0]);
  ASSERT_TRUE(stored.ok());
  std::vector<queue::Outcome> outcomes{
      queue::Outcome{0, OutcomeKind::Failed, "550 5.1.1 no", queue::BounceClass::Hard, 0, false}};
  std::vector<Success> success{Success::Delivered};
  std::vector<NoticeItem> items;
  items.push_back(NoticeItem{&*stored, &outcomes, &success});
  asio::io_context io;
  Result<size_t> queued = make_error(ErrorKind::Invalid, "not run");
  auto task = [&]() -> net::awaitable<void> {
    queued = co_await notifier_.before_complete(items, kArrival + 5);
  };
  asio::co_spawn(io, task(), asio::detached);
  io.run();
  ASSERT_TRUE(queued.ok()) << queued.error().message;
  EXPECT_EQ(*queued, 1u);
  auto all = spool_->list();
  ASSERT_EQ(all->size(), 2u);
  const auto& dsn = (*all)[0].id == (*ids)[0] ? (*all)[1] : (*all)[0];
  EXPECT_EQ(dsn.sender, "");
  EXPECT_EQ(dsn.recipients[0].address, "a@example.org");
  EXPECT_NE(spool_->content(dsn.id)->find("report-type=delivery-status"), std::string::npos);
}

}  // namespace
}  // namespace mail::queued
