// Tests for the relay's adapter to the scheduler: RelayResult -> AttemptResult, and the
// router giving relay recipients their next hop's batch key.
#include "queued/relay_delivery.h"

#include <gtest/gtest.h>

namespace mail::queued {
namespace {

TEST(RelayDeliveryTest, AttemptResults) {
  relay::RelayResult r;
  r.recipient = 3;
  r.verdict = relay::Verdict::Permanent;
  r.reply = "host mx[192.0.2.1] said: 550 5.1.1 no";
  r.bounce_class = queue::BounceClass::Hard;
  AttemptResult a = RelayDelivery::attempt_result(r);
  EXPECT_EQ(a.recipient, 3u);
  EXPECT_EQ(a.kind, AttemptResult::Kind::Permanent);
  EXPECT_EQ(a.reply, r.reply);
  EXPECT_EQ(a.bounce_class, queue::BounceClass::Hard);

  r.verdict = relay::Verdict::Delivered;
  r.dsn_passed_on = true;
  EXPECT_EQ(RelayDelivery::attempt_result(r).success_notice, AttemptResult::SuccessNotice::NextHop);
  r.dsn_passed_on = false;
  EXPECT_EQ(RelayDelivery::attempt_result(r).success_notice, AttemptResult::SuccessNotice::Relayed);
  r.verdict = relay::Verdict::Temporary;
  EXPECT_EQ(RelayDelivery::attempt_result(r).kind, AttemptResult::Kind::Temporary);
}

// The delivery history's TLS share: no server answered, plaintext, or TLS.
TEST(RelayDeliveryTest, TransportOfTheAttempt) {
  relay::RelayResult r;
  r.verdict = relay::Verdict::Temporary;
  EXPECT_EQ(RelayDelivery::attempt_result(r).transport, queue::Transport::None);
  r.mx = "mx.example.net";
  EXPECT_EQ(RelayDelivery::attempt_result(r).transport, queue::Transport::Plain);
  r.tls = true;
  r.verdict = relay::Verdict::Delivered;
  EXPECT_EQ(RelayDelivery::attempt_result(r).transport, queue::Transport::Tls);
}

class FixedRouter final : public Router {
 public:
  Route route(const queue::Envelope&, const queue::Recipient& r) override {
    return r.address.ends_with("@example.test") ? Route{"local", ""} : Route{"relay", ""};
  }
};

class NoDns final : public relay::Resolver {
 public:
  net::awaitable<relay::MxAnswer> mx(const std::string&) override { co_return relay::MxAnswer{}; }
  net::awaitable<relay::AddressAnswer> addresses(const std::string&) override {
    co_return relay::AddressAnswer{};
  }
};

TEST(RelayDeliveryTest, RouterKeysRelayRecipientsByNextHop) {
  auto config =
      parse_config("[relay.transport]\n\"fixed.example\" = \"127.0.0.1:2600\"\n", "t.toml", "/tmp");
  ASSERT_TRUE(config.ok());
  auto routes = relay::Routes::from_config(*config);
  ASSERT_TRUE(routes.ok());
  net::asio::io_context io;
  NoDns dns;
  relay::RelayAgent agent(io.get_executor(), *config, *routes, dns, nullptr);
  FixedRouter inner;
  RelayRouter router(inner, agent);
  queue::Envelope e;
  e.sender = "a@example.test";
  queue::Recipient local, mx, fixed;
  local.address = "b@example.test";
  mx.address = "c@Example.NET";
  fixed.address = "d@fixed.example";
  EXPECT_EQ(router.route(e, local).agent, "local");
  EXPECT_EQ(router.route(e, local).key, "");
  EXPECT_EQ(router.route(e, mx).agent, "relay");
  EXPECT_EQ(router.route(e, mx).key, "example.net mx tls=may");
  EXPECT_EQ(router.route(e, fixed).key, "fixed.example [127.0.0.1]:2600 tls=may");
}

}  // namespace
}  // namespace mail::queued
