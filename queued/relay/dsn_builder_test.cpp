#include "queued/relay/dsn_builder.h"

#include <gtest/gtest.h>

#include "queued/relay/recorded_reply.h"

namespace mail::relay {
namespace {

const std::string kOriginal =
    "Received: from client by mail.example.org\r\n"
    "From: Alice <alice@example.org>\r\n"
    "To: <b@example.net>\r\n"
    "Subject: hello\r\n"
    "Message-ID: <m1@example.org>\r\n"
    "\r\n"
    "The body.\r\n";

queue::Envelope envelope() {
  queue::Envelope e;
  e.id = "0001ABCD";
  e.sender = "alice@example.org";
  e.arrival = 1700000000;
  e.dsn_envid = "env-42";
  queue::Recipient r;
  r.address = "b@example.net";
  r.orcpt = "rfc822;B@example.net";
  r.last_reply = "host mx.example.net[192.0.2.1] said: 550 5.1.1 <b@example.net>: User unknown";
  e.recipients.push_back(r);
  queue::Recipient c;
  c.address = "c@example.net";
  c.dsn_notify = queue::kNotifyNever;
  c.last_reply = "550 5.1.1 nope";
  e.recipients.push_back(c);
  return e;
}

DsnSettings dsn_settings() {
  return DsnSettings{"mail.example.org", 50000};
}

TEST(DsnBuilderTest, FailureReportWithTheWholeMessage) {
  const auto e = envelope();
  std::vector<DsnRecipient> rs;
  for (const auto& r : e.recipients) rs.push_back(dsn_recipient(r, DsnAction::Failed, 1700000100));
  auto dsn = make_dsn(e, kOriginal, rs, dsn_settings(), 1700000200);
  ASSERT_TRUE(dsn);
  EXPECT_EQ(dsn->envelope.sender, "");
  ASSERT_EQ(dsn->envelope.recipients.size(), 1u);
  EXPECT_EQ(dsn->envelope.recipients[0].address, "alice@example.org");
  EXPECT_EQ(dsn->envelope.recipients[0].dsn_notify, queue::kNotifyNever);
  const std::string& m = dsn->content;
  EXPECT_NE(m.find("Content-Type: multipart/report; report-type=delivery-status;"),
            std::string::npos);
  EXPECT_NE(m.find("Subject: Undelivered Mail Returned to Sender\r\n"), std::string::npos);
  EXPECT_NE(m.find("Auto-Submitted: auto-replied\r\n"), std::string::npos);
  EXPECT_NE(m.find("Reporting-MTA: dns; mail.example.org\r\n"), std::string::npos);
  EXPECT_NE(m.find("Original-Envelope-Id: env-42\r\n"), std::string::npos);
  EXPECT_NE(m.find("Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"), std::string::npos);
  EXPECT_NE(m.find("Original-Recipient: rfc822; B@example.net\r\n"), std::string::npos);
  EXPECT_NE(m.find("Final-Recipient: rfc822; b@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                   "Remote-MTA: dns; mx.example.net\r\n"
                   "Diagnostic-Code: smtp; 550 5.1.1 <b@example.net>: User unknown\r\n"),
            std::string::npos);
  // NOTIFY=NEVER: c@ is not reported.
  EXPECT_EQ(m.find("c@example.net"), std::string::npos);
  EXPECT_NE(m.find("Content-Type: message/rfc822\r\n\r\n" + kOriginal), std::string::npos);
  EXPECT_EQ(m.substr(m.size() - 4), "--\r\n");
  for (size_t start = 0; start < m.size();) {
    const size_t end = m.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - start, 998u);
    start = end + 2;
  }
}

TEST(DsnBuilderTest, RetHdrsAndSizeLimitReturnHeadersOnly) {
  auto e = envelope();
  e.dsn_ret = queue::DsnRet::Headers;
  std::vector<DsnRecipient> rs{dsn_recipient(e.recipients[0], DsnAction::Failed, 1)};
  auto dsn = make_dsn(e, kOriginal, rs, dsn_settings(), 2);
  ASSERT_TRUE(dsn);
  EXPECT_NE(dsn->content.find("Content-Type: text/rfc822-headers\r\n"), std::string::npos);
  EXPECT_EQ(dsn->content.find("The body."), std::string::npos);

  e.dsn_ret = queue::DsnRet::Unspecified;
  auto small = make_dsn(e, kOriginal, rs, DsnSettings{"mail.example.org", 20}, 2);
  EXPECT_EQ(small->content.find("The body."), std::string::npos);
  e.dsn_ret = queue::DsnRet::Full;
  auto full = make_dsn(e, kOriginal, rs, DsnSettings{"mail.example.org", 20}, 2);
  EXPECT_NE(full->content.find("The body."), std::string::npos);
}

TEST(DsnBuilderTest, DelayAndSuccessNotices) {
  auto e = envelope();
  e.recipients[0].dsn_notify = queue::kNotifyDelay | queue::kNotifySuccess;
  e.recipients[0].last_reply = "451 4.4.1 mx.example.net: connect failed";
  std::vector<DsnRecipient> delayed{dsn_recipient(e.recipients[0], DsnAction::Delayed, 10, 500000)};
  auto d = make_dsn(e, kOriginal, delayed, dsn_settings(), 20);
  ASSERT_TRUE(d);
  EXPECT_NE(d->content.find("Subject: Delayed Mail (still being retried)"), std::string::npos);
  EXPECT_NE(d->content.find("Action: delayed\r\nStatus: 4.4.1\r\n"), std::string::npos);
  EXPECT_NE(d->content.find("Will-Retry-Until: "), std::string::npos);
  EXPECT_EQ(d->content.find("The body."), std::string::npos);  // headers only

  std::vector<DsnRecipient> relayed{dsn_recipient(e.recipients[0], DsnAction::Relayed, 10)};
  relayed[0].diagnostic = "250 2.0.0 Ok: queued";
  auto s = make_dsn(e, kOriginal, relayed, dsn_settings(), 20);
  ASSERT_TRUE(s);
  EXPECT_NE(s->content.find("Action: relayed\r\nStatus: 2.0.0\r\n"), std::string::npos);

  // Without NOTIFY=SUCCESS there is no success notice; without NOTIFY there is a delay one.
  e.recipients[0].dsn_notify = 0;
  EXPECT_FALSE(make_dsn(e, kOriginal, {dsn_recipient(e.recipients[0], DsnAction::Delivered, 1)},
                        dsn_settings(), 2));
  EXPECT_TRUE(make_dsn(e, kOriginal, {dsn_recipient(e.recipients[0], DsnAction::Delayed, 1)},
                       dsn_settings(), 2));
}

TEST(DsnBuilderTest, NeverABounceToTheNullSender) {
  auto e = envelope();
  e.sender = "";
  EXPECT_FALSE(make_dsn(e, kOriginal, {dsn_recipient(e.recipients[0], DsnAction::Failed, 1)},
                        dsn_settings(), 2));
}

TEST(DsnBuilderTest, Utf8AddressesUseTheGlobalTypes) {
  auto e = envelope();
  e.sender = "j\xC3\xB6rg@example.org";
  e.recipients[0].address = "m\xC3\xBCller@example.net";
  e.recipients[0].orcpt = "";
  auto d = make_dsn(e, "Subject: gr\xC3\xBC\xC3\x9F\x65\r\n\r\nx\r\n",
                    {dsn_recipient(e.recipients[0], DsnAction::Failed, 1)}, dsn_settings(), 2);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->envelope.smtputf8);
  EXPECT_EQ(d->envelope.body, queue::BodyType::EightBitMime);
  EXPECT_NE(d->content.find("Content-Type: message/global-delivery-status"), std::string::npos);
  EXPECT_NE(d->content.find("Final-Recipient: utf-8; m\xC3\xBCller@example.net"),
            std::string::npos);
  EXPECT_NE(d->content.find("Content-Type: message/global\r\n"), std::string::npos);
}

TEST(DsnBuilderTest, BoundaryNeverOccursInTheContent) {
  auto e = envelope();
  const std::string tricky = "Subject: x\r\n\r\n--dsn=0001ABCD.5\r\n";
  auto d = make_dsn(e, tricky, {dsn_recipient(e.recipients[0], DsnAction::Failed, 1)},
                    dsn_settings(), 5);
  ASSERT_TRUE(d);
  EXPECT_NE(d->content.find("boundary=\"dsn=0001ABCD.5=x\""), std::string::npos);
}

TEST(RecordedReplyTest, RoundTrip) {
  smtp::Reply r(550, "5.1.1", "User unknown");
  const std::string remote = record_reply(r, "mx.example.net", "192.0.2.1");
  EXPECT_EQ(remote, "host mx.example.net[192.0.2.1] said: 550 5.1.1 User unknown");
  auto parsed = parse_recorded_reply(remote);
  EXPECT_EQ(parsed.code, 550);
  EXPECT_EQ(parsed.enhanced, "5.1.1");
  EXPECT_EQ(parsed.remote_mta, "mx.example.net");
  EXPECT_EQ(parsed.text, "550 5.1.1 User unknown");
  auto local = parse_recorded_reply(record_reply(smtp::Reply(556, "5.1.10", "null MX"), "", ""));
  EXPECT_EQ(local.remote_mta, "");
  EXPECT_EQ(local.enhanced, "5.1.10");
  EXPECT_EQ(parse_recorded_reply("delivered to mailbox").code, 0);
}

}  // namespace
}  // namespace mail::relay
