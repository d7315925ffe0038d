// SCRAM-SHA-256 and -PLUS: RFC 7677's test vector, a client written here from RFC 5802's
// formulas (independent of the server code path), channel binding cases and malformed
// messages.
#include <gtest/gtest.h>

#include "auth/sasl/mechanisms.h"
#include "auth/sasl/scram_test_client.h"
#include "common/base64.h"

namespace mail::auth::sasl {
namespace {

// RFC 7677 section 3.
constexpr std::string_view kUser = "user";
constexpr std::string_view kPassword = "pencil";
constexpr std::string_view kClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr std::string_view kServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view kClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view kServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

ScramCredentials rfc_credentials() {
  return derive_scram_credentials(kPassword, *base64_decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
}

MechanismOptions options(std::optional<std::string> exporter = std::nullopt) {
  MechanismOptions o;
  o.tls_exporter = std::move(exporter);
  o.fake_salt_key = "test key";
  o.nonce = [] { return std::string(kServerNonce); };
  return o;
}

template <typename T>
const T& as(const Step& s) {
  EXPECT_TRUE(std::holds_alternative<T>(s)) << "step index " << s.index();
  static const T empty{};
  return std::holds_alternative<T>(s) ? std::get<T>(s) : empty;
}

FailureReason failure(const Step& s) {
  return as<Failure>(s).reason;
}

TEST(Scram, Rfc7677TestVector) {
  ScramMechanism m(false, options());
  EXPECT_EQ(m.name(), "SCRAM-SHA-256");
  auto need = as<NeedScramCredentials>(m.start(kClientFirst));
  EXPECT_EQ(need.authcid, kUser);
  EXPECT_EQ(need.authzid, "");
  EXPECT_EQ(as<Continue>(m.provide_credentials(rfc_credentials())).challenge, kServerFirst);
  EXPECT_EQ(as<Success>(m.respond(kClientFinal)).additional_data, kServerFinal);
}

TEST(Scram, EmptyChallengeWithoutInitialResponse) {
  ScramMechanism m(false, options());
  EXPECT_EQ(as<Continue>(m.start(std::nullopt)).challenge, "");
  as<NeedScramCredentials>(m.respond(kClientFirst));
  as<Continue>(m.provide_credentials(rfc_credentials()));
  as<Success>(m.respond(kClientFinal));
}

TEST(Scram, WrongPasswordIsBadCredentials) {
  ScramMechanism m(false, options());
  as<NeedScramCredentials>(m.start(kClientFirst));
  auto other =
      derive_scram_credentials("not pencil", *base64_decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
  as<Continue>(m.provide_credentials(other));
  EXPECT_EQ(failure(m.respond(kClientFinal)), FailureReason::BadCredentials);
}

TEST(Scram, UnknownUserGetsStableFakeSaltAndFails) {
  auto first_challenge = [] {
    ScramMechanism m(false, options());
    as<NeedScramCredentials>(m.start(kClientFirst));
    return as<Continue>(m.provide_credentials(std::nullopt)).challenge;
  };
  std::string a = first_challenge(), b = first_challenge();
  EXPECT_EQ(a, b) << "the same unknown name must get the same salt";
  EXPECT_NE(a.find(",i=10000"), std::string::npos) << a;
  ScramMechanism m(false, options());
  as<NeedScramCredentials>(m.start(kClientFirst));
  as<Continue>(m.provide_credentials(std::nullopt));
  EXPECT_EQ(failure(m.respond(kClientFinal)), FailureReason::BadCredentials);
}

using Client = ScramTestClient;

Client client() {
  Client c;
  c.password = std::string(kPassword);
  return c;
}

Step run(ScramMechanism& m, Client c, const ScramCredentials& creds) {
  Step s = m.start(c.first());
  if (!std::holds_alternative<NeedScramCredentials>(s)) return s;
  s = m.provide_credentials(creds);
  if (!std::holds_alternative<Continue>(s)) return s;
  Step last = m.respond(c.final(std::get<Continue>(s).challenge));
  if (auto* ok = std::get_if<Success>(&last)) {
    EXPECT_EQ(ok->additional_data, c.expected_server_signature) << "server signature";
  }
  return last;
}

const std::string kExporter(32, '\x5a');

TEST(ScramPlus, TlsExporterBindingSucceeds) {
  ScramMechanism m(true, options(kExporter));
  EXPECT_EQ(m.name(), "SCRAM-SHA-256-PLUS");
  Client c = client();
  c.gs2_header = "p=tls-exporter,,";
  c.cbind_data = kExporter;
  as<Success>(run(m, c, rfc_credentials()));
}

TEST(ScramPlus, WrongChannelBindingRefused) {
  ScramMechanism m(true, options(kExporter));
  Client c = client();
  c.gs2_header = "p=tls-exporter,,";
  c.cbind_data = std::string(32, '\x5b');  // the exporter of another TLS session (a MITM)
  EXPECT_EQ(failure(run(m, c, rfc_credentials())), FailureReason::ChannelBinding);
}

TEST(ScramPlus, OtherBindingTypesAndMissingBindingRefused) {
  for (std::string header : {"p=tls-unique,,", "p=tls-server-end-point,,", "n,,", "y,,"}) {
    ScramMechanism m(true, options(kExporter));
    Client c = client();
    c.gs2_header = header;
    EXPECT_EQ(failure(m.start(c.first())), FailureReason::ChannelBinding) << header;
  }
}

TEST(Scram, DowngradeFlagRefusedWhenPlusWasOffered) {
  // "y" says "I could bind, but you did not offer -PLUS": a lie when we did.
  ScramMechanism m(false, options(kExporter));
  Client c = client();
  c.gs2_header = "y,,";
  EXPECT_EQ(failure(m.start(c.first())), FailureReason::ChannelBinding);
  // Without TLS 1.3 nothing was offered, so "y" is honest.
  ScramMechanism plain(false, options());
  as<Success>(run(plain, c, rfc_credentials()));
}

TEST(Scram, BindingFlagOnNonPlusRefused) {
  ScramMechanism m(false, options(kExporter));
  Client c = client();
  c.gs2_header = "p=tls-exporter,,";
  c.cbind_data = kExporter;
  EXPECT_EQ(failure(m.start(c.first())), FailureReason::ChannelBinding);
}

TEST(Scram, ChannelBindingAttributeMustRepeatHeader) {
  ScramMechanism m(false, options());
  Client c = client();
  as<NeedScramCredentials>(m.start(c.first()));
  auto server_first = as<Continue>(m.provide_credentials(rfc_credentials())).challenge;
  Client liar = c;
  liar.gs2_header = "y,,";  // c= says "y,," while client-first said "n,,"
  EXPECT_EQ(failure(m.respond(liar.final(server_first))), FailureReason::ChannelBinding);
}

TEST(Scram, AuthzidAndEscapedUsername) {
  ScramMechanism m(false, options());
  auto need = as<NeedScramCredentials>(m.start("n,a=boss=2Cinc,n=a=3Db=2Cc,r=abc"));
  EXPECT_EQ(need.authzid, "boss,inc");
  EXPECT_EQ(need.authcid, "a=b,c");
}

TEST(Scram, MalformedMessages) {
  const std::vector<std::string> bad_first = {
      "",
      "n,",
      "x,,n=user,r=abc",
      "p=,,n=user,r=abc",
      "n,b=x,n=user,r=abc",
      "n,a=,n=user,r=abc",
      "n,,n=,r=abc",
      "n,,n=us=2Xer,r=abc",
      "n,,r=abc,n=user",
      "n,,n=user",
      "n,,n=user,r=",
      std::string("n,,n=user,r=a\x7f", 15),
      "n,,n=user,r=abc,1=x",
      std::string("n,,n=us\0er,r=abc", 16),
  };
  for (const auto& msg : bad_first) {
    ScramMechanism m(false, options());
    EXPECT_EQ(failure(m.start(msg)), FailureReason::Malformed) << msg;
  }
  ScramMechanism ext(false, options());
  EXPECT_EQ(failure(ext.start("n,,m=mandatory,n=user,r=abc")), FailureReason::Unsupported);

  const std::vector<std::string> bad_final = {
      "",
      "c=biws",
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
      "c=biws,r=wrongnonce,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
      "c=bi!s,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+"
      "Ute9ytag9zjfMHgsqmmiz7AndVQ=",
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzb",
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=",
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,c=biws,p=dHzbZapWIk4jUhN+"
      "Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  };
  for (const auto& msg : bad_final) {
    ScramMechanism m(false, options());
    as<NeedScramCredentials>(m.start(kClientFirst));
    as<Continue>(m.provide_credentials(rfc_credentials()));
    EXPECT_EQ(failure(m.respond(msg)), FailureReason::Malformed) << msg;
  }
}

TEST(Scram, ExtensionsBeforeProofAreIgnored) {
  ScramMechanism m(false, options());
  Client c = client();
  c.bare = "n=user,r=clientnonce,x=ext";
  as<Success>(run(m, c, rfc_credentials()));
}

TEST(Scram, MessagesAfterTheEndFail) {
  ScramMechanism m(false, options());
  as<NeedScramCredentials>(m.start(kClientFirst));
  as<Continue>(m.provide_credentials(rfc_credentials()));
  as<Success>(m.respond(kClientFinal));
  EXPECT_EQ(failure(m.respond(kClientFinal)), FailureReason::Malformed);
  ScramMechanism early(false, options());
  as<NeedScramCredentials>(early.start(kClientFirst));
  EXPECT_EQ(failure(early.respond(kClientFinal)), FailureReason::Malformed)
      << "client-final before the server-first was sent";
}

TEST(ScramKeys, SaslprepRfc4013Examples) {
  EXPECT_EQ(saslprep_password("I\xC2\xADX"), "IX");  // SOFT HYPHEN mapped to nothing
  EXPECT_EQ(saslprep_password("user"), "user");
  EXPECT_EQ(saslprep_password("USER"), "USER");
  EXPECT_EQ(saslprep_password("\xC2\xAA"), "a");       // FEMININE ORDINAL, NFKC
  EXPECT_EQ(saslprep_password("\xE2\x85\xA8"), "IX");  // ROMAN NUMERAL NINE, NFKC
  EXPECT_EQ(saslprep_password("a\xC2\xA0"
                              "b"),
            "a b");  // non-ASCII space mapped to SPACE
  // Prohibited input is used as raw octets (the fallback documented in scram_keys.h).
  EXPECT_EQ(saslprep_password("\x07"), "\x07");
  EXPECT_EQ(saslprep_password("\xD8\xA7"
                              "1"),
            "\xD8\xA7"
            "1");                                        // bidi rule violation
  EXPECT_EQ(saslprep_password("\xff\xfe"), "\xff\xfe");  // not UTF-8
}

TEST(ScramKeys, DerivationDependsOnSaltAndCount) {
  auto a = derive_scram_credentials("pw", "salt-one", 4096);
  EXPECT_EQ(a.stored_key.size(), 32u);
  EXPECT_EQ(a.server_key.size(), 32u);
  EXPECT_EQ(a, derive_scram_credentials("pw", "salt-one", 4096));
  EXPECT_NE(a.stored_key, derive_scram_credentials("pw", "salt-two", 4096).stored_key);
  EXPECT_NE(a.stored_key, derive_scram_credentials("pw", "salt-one", 4097).stored_key);
  auto fresh = new_scram_credentials("pw", 4096);
  EXPECT_EQ(fresh.salt.size(), kScramSaltBytes);
  EXPECT_NE(fresh.salt, new_scram_credentials("pw", 4096).salt);
}

}  // namespace
}  // namespace mail::auth::sasl
