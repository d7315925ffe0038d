// PLAIN (RFC 4616), LOGIN, the mechanism factory and the base64 framing helpers.
#include <gtest/gtest.h>

#include "auth/sasl/framing.h"
#include "auth/sasl/mechanisms.h"

namespace mail::auth::sasl {
namespace {

using namespace std::string_literals;

TEST(Plain, InitialResponse) {
  PlainMechanism m;
  auto s = m.start("\0alice@example.test\0secret pw"s);
  ASSERT_TRUE(std::holds_alternative<NeedPassword>(s));
  const auto& need = std::get<NeedPassword>(s);
  EXPECT_EQ(need.authzid, "");
  EXPECT_EQ(need.authcid, "alice@example.test");
  EXPECT_EQ(need.password, "secret pw");
}

TEST(Plain, EmptyChallengeThenMessageWithAuthzid) {
  PlainMechanism m;
  auto first = m.start(std::nullopt);
  ASSERT_TRUE(std::holds_alternative<Continue>(first));
  EXPECT_EQ(std::get<Continue>(first).challenge, "");
  auto s = m.respond("shared@example.test\0alice@example.test\0pw"s);
  ASSERT_TRUE(std::holds_alternative<NeedPassword>(s));
  EXPECT_EQ(std::get<NeedPassword>(s).authzid, "shared@example.test");
  // A second message is a protocol error.
  EXPECT_TRUE(std::holds_alternative<Failure>(m.respond("\0a\0b"s)));
}

TEST(Plain, Malformed) {
  for (const auto& msg : {""s, "alice"s, "\0alice"s, "\0\0pw"s, "\0alice\0"s, "\0alice\0p\0w"s}) {
    PlainMechanism m;
    auto s = m.start(msg);
    ASSERT_TRUE(std::holds_alternative<Failure>(s)) << msg.size();
    EXPECT_EQ(std::get<Failure>(s).reason, FailureReason::Malformed);
  }
}

TEST(Login, ChallengesThenPassword) {
  LoginMechanism m;
  EXPECT_EQ(std::get<Continue>(m.start(std::nullopt)).challenge, "Username:");
  EXPECT_EQ(std::get<Continue>(m.respond("bob@example.test")).challenge, "Password:");
  auto s = m.respond("pw with spaces");
  ASSERT_TRUE(std::holds_alternative<NeedPassword>(s));
  EXPECT_EQ(std::get<NeedPassword>(s).authcid, "bob@example.test");
  EXPECT_EQ(std::get<NeedPassword>(s).password, "pw with spaces");
  EXPECT_TRUE(std::holds_alternative<Failure>(m.respond("again")));
}

TEST(Login, InitialResponseIsTheUserName) {
  LoginMechanism m;
  EXPECT_EQ(std::get<Continue>(m.start("bob@example.test")).challenge, "Password:");
  EXPECT_EQ(std::get<NeedPassword>(m.respond("pw")).authcid, "bob@example.test");
}

TEST(Login, EmptyFieldsRefused) {
  LoginMechanism a;
  EXPECT_TRUE(std::holds_alternative<Failure>(a.start("")));
  LoginMechanism b;
  (void)b.start("bob");
  EXPECT_TRUE(std::holds_alternative<Failure>(b.respond("")));
  LoginMechanism c;
  EXPECT_TRUE(std::holds_alternative<Failure>(c.start("b\0b"s)));
}

TEST(Factory, NamesAndPlusNeedsTls13) {
  MechanismOptions none;
  EXPECT_EQ(make_mechanism("plain", none)->name(), "PLAIN");
  EXPECT_EQ(make_mechanism("Login", none)->name(), "LOGIN");
  EXPECT_EQ(make_mechanism("SCRAM-SHA-256", none)->name(), "SCRAM-SHA-256");
  EXPECT_EQ(make_mechanism("SCRAM-SHA-256-PLUS", none), nullptr);
  EXPECT_EQ(make_mechanism("CRAM-MD5", none), nullptr);
  EXPECT_EQ(make_mechanism("", none), nullptr);
  MechanismOptions tls13;
  tls13.tls_exporter = std::string(32, 'x');
  EXPECT_EQ(make_mechanism("scram-sha-256-plus", tls13)->name(), "SCRAM-SHA-256-PLUS");
  EXPECT_EQ(server_mechanisms(false),
            (std::vector<std::string>{"SCRAM-SHA-256", "PLAIN", "LOGIN"}));
  EXPECT_EQ(server_mechanisms(true).front(), "SCRAM-SHA-256-PLUS");
}

TEST(Framing, ResponsesAndInitialResponses) {
  EXPECT_TRUE(std::holds_alternative<Cancelled>(decode_response("*")));
  EXPECT_TRUE(std::holds_alternative<BadBase64>(decode_response("!!!!")));
  EXPECT_TRUE(std::holds_alternative<BadBase64>(decode_response("abc")));
  EXPECT_EQ(std::get<std::string>(decode_response("")), "");
  EXPECT_EQ(std::get<std::string>(decode_response("AGFsaWNlAHB3")), "\0alice\0pw"s);
  EXPECT_EQ(std::get<std::string>(decode_initial_response("=")), "");
  EXPECT_TRUE(std::holds_alternative<BadBase64>(decode_initial_response("*")));
  EXPECT_TRUE(std::holds_alternative<BadBase64>(decode_initial_response("")));
  EXPECT_EQ(std::get<std::string>(decode_initial_response("Ym9i")), "bob");
  EXPECT_EQ(encode_challenge("Username:"), "VXNlcm5hbWU6");
  EXPECT_EQ(encode_challenge(""), "");
}

}  // namespace
}  // namespace mail::auth::sasl
