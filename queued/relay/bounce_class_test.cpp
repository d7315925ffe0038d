#include "queued/relay/bounce_class.h"

#include <gtest/gtest.h>

namespace mail::relay {
namespace {

struct Case {
  int code;
  const char* enhanced;
  const char* text;
  BounceClass expected;
  bool suppress;
};

TEST(BounceClassTest, RealWorldReplies) {
  const Case cases[] = {
      {250, "2.0.0", "Ok", BounceClass::None, false},
      {550, "5.1.1", "The email account that you tried to reach does not exist", BounceClass::Hard,
       true},
      {550, "", "<x@example.net>: Recipient address rejected: User unknown", BounceClass::Hard,
       true},
      {556, "5.1.10", "domain does not accept mail (null MX)", BounceClass::Hard, true},
      {550, "5.1.2", "domain example.invalid does not exist", BounceClass::Hard, true},
      {550, "5.2.1", "mailbox disabled", BounceClass::Hard, true},
      {552, "5.2.2", "The email account that you tried to reach is over quota", BounceClass::Soft,
       false},
      {550, "5.7.1", "Our system has detected that this message is likely unsolicited mail",
       BounceClass::Spam, false},
      {554, "5.7.1", "Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
       BounceClass::Spam, false},
      {550, "5.7.1", "Relay access denied", BounceClass::Policy, false},
      {550, "5.7.26", "Unauthenticated email is not accepted due to domain's DMARC policy",
       BounceClass::Policy, false},
      {554, "5.7.1", "Message rejected due to local policy", BounceClass::Policy, false},
      {451, "4.7.5", "TLS handshake failed", BounceClass::Tls, false},
      {451, "4.7.4", "TLS is required, but mx does not offer STARTTLS", BounceClass::Tls, false},
      {530, "5.7.0", "Must issue a STARTTLS command first", BounceClass::Tls, false},
      {451, "4.7.1", "Greylisted, please try again later", BounceClass::Soft, false},
      {421, "4.7.0", "Try again later, closing connection. (reputation)", BounceClass::Spam, false},
      {450, "4.2.0", "Mailbox busy", BounceClass::Soft, false},
      {451, "4.4.1", "mx.example: connect ... Connection refused", BounceClass::Soft, false},
      {554, "5.4.6", "too many Received header fields (101): mail loop", BounceClass::Hard, false},
      {552, "5.3.4", "message size exceeds the limit", BounceClass::Hard, false},
      {553, "5.6.7", "message needs SMTPUTF8", BounceClass::Hard, false},
      {550, "", "Administrative prohibition", BounceClass::Hard, false},
      {450, "", "User unknown", BounceClass::Soft, false},  // temporary: never suppressed
  };
  for (const auto& c : cases) {
    smtp::Reply r(c.code, c.enhanced, c.text);
    EXPECT_EQ(classify_reply(r), c.expected) << c.code << " " << c.enhanced << " " << c.text;
    EXPECT_EQ(suppressible(r), c.suppress) << c.code << " " << c.enhanced << " " << c.text;
  }
}

TEST(BounceClassTest, Names) {
  EXPECT_STREQ(bounce_class_name(BounceClass::Hard), "hard");
  EXPECT_STREQ(bounce_class_name(BounceClass::Tls), "tls");
}

}  // namespace
}  // namespace mail::relay
