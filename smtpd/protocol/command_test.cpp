// Tests for the SMTP command parser: a table of command lines and the value (or error
// reply) each one parses to.
#include "smtpd/protocol/command.h"

#include <gtest/gtest.h>

namespace mail::smtp {
namespace {

// A compact rendering of the parse result: "MAIL <a@b.test> SIZE=10" or "501 5.1.7".
std::string describe(const std::variant<Command, Reply>& result) {
  if (const auto* r = std::get_if<Reply>(&result)) {
    return std::to_string(r->code) + " " + r->enhanced;
  }
  const Command& c = std::get<Command>(result);
  std::string out(verb_name(c.verb));
  switch (c.verb) {
    case Verb::Mail:
    case Verb::Rcpt:
      out += " <" + c.path.to_string() + ">";
      if (c.path.utf8) out += " utf8";
      for (const auto& [k, v] : c.params) out += " " + k + (v.empty() ? "" : "=" + v);
      break;
    case Verb::Bdat:
      out += " " + std::to_string(c.chunk_size) + (c.last_chunk ? " LAST" : "");
      break;
    case Verb::Auth:
      out += " " + c.argument;
      if (c.initial_response) out += " " + *c.initial_response;
      break;
    case Verb::Data:
    case Verb::Rset:
    case Verb::Quit:
    case Verb::Starttls:
      if (!c.argument.empty()) out += " ?" + c.argument;
      break;
    default:
      out += " [" + c.argument + "]";
  }
  return out;
}

struct Case {
  std::string line;
  std::string expected;
};

void run(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    EXPECT_EQ(describe(parse_command(c.line)), c.expected) << "line: " << c.line;
  }
}

TEST(CommandTest, Hello) {
  run({
      {"HELO mx.example.test", "HELO [mx.example.test]"},
      {"helo mx.example.test", "HELO [mx.example.test]"},
      {"HeLo mx", "HELO [mx]"},
      {"HELO\tmx", "HELO [mx]"},
      {"HELO", "501 5.5.4"},
      {"HELO a b", "501 5.5.4"},
      {"EHLO client.example.test", "EHLO [client.example.test]"},
      {"ehlo client.example.test   ", "EHLO [client.example.test]"},
      {"EHLO MY_PC", "EHLO [MY_PC]"},
      {"EHLO [127.0.0.1]", "EHLO [[127.0.0.1]]"},
      {"EHLO [IPv6:::1]", "EHLO [[IPv6:::1]]"},
      {"EHLO [IPv6:2001:db8::1]", "EHLO [[IPv6:2001:db8::1]]"},
      {"EHLO [300.0.0.1]", "501 5.5.4"},
      {"EHLO [foo:bar]", "501 5.5.4"},
      {"EHLO [127.0.0.1", "501 5.5.4"},
      {"EHLO", "501 5.5.4"},
  });
}

TEST(CommandTest, MailFrom) {
  run({
      {"MAIL FROM:<alice@example.test>", "MAIL <alice@example.test>"},
      {"mail from:<Alice@EXAMPLE.Test>", "MAIL <Alice@example.test>"},
      {"Mail From:<alice@example.test>", "MAIL <alice@example.test>"},
      {"MAIL FROM: <alice@example.test>", "MAIL <alice@example.test>"},
      {"MAIL FROM:<alice@example.test>   ", "MAIL <alice@example.test>"},
      {"MAIL FROM:<>", "MAIL <>"},
      {"MAIL FROM:<> SIZE=1000 BODY=8BITMIME", "MAIL <> SIZE=1000 BODY=8BITMIME"},
      {"MAIL FROM:<a@b.test> size=10  body=8bitmime", "MAIL <a@b.test> SIZE=10 BODY=8bitmime"},
      {"MAIL FROM:<a@b.test> BODY=BINARYMIME", "MAIL <a@b.test> BODY=BINARYMIME"},
      {"MAIL FROM:<a@b.test> BODY=7BIT", "MAIL <a@b.test> BODY=7BIT"},
      {"MAIL FROM:<a@b.test> SMTPUTF8", "MAIL <a@b.test> SMTPUTF8"},
      {"MAIL FROM:<a@b.test> RET=HDRS ENVID=QQ314159", "MAIL <a@b.test> RET=HDRS ENVID=QQ314159"},
      {"MAIL FROM:<a@b.test> AUTH=<>", "MAIL <a@b.test> AUTH=<>"},
      {"MAIL FROM:<a@b.test> X-FOO", "MAIL <a@b.test> X-FOO"},
      {"MAIL FROM:<a@b.test> X-FOO=bar", "MAIL <a@b.test> X-FOO=bar"},
      // Generic parameter syntax errors; the values of known keywords are params.h's job.
      {"MAIL FROM:<a@b.test> SIZE=abc", "MAIL <a@b.test> SIZE=abc"},
      {"MAIL FROM:<a@b.test> SIZE=", "501 5.5.4"},
      {"MAIL FROM:<a@b.test> SIZE=1 size=2", "501 5.5.4"},
      {"MAIL FROM:<a@b.test> =x", "501 5.5.4"},
      {"MAIL FROM:<a@b.test> -X", "501 5.5.4"},
      {"MAIL FROM:<a@b.test> X_Y", "501 5.5.4"},
      {"MAIL FROM:<a@b.test> A=b=c", "501 5.5.4"},
      {"MAIL FROM:<a@b.test>SIZE=1", "501 5.5.4"},
      // Syntax errors around the path: 501 5.5.4.
      {"MAIL FROM:alice@example.test", "501 5.5.4"},
      {"MAIL FROM:", "501 5.5.4"},
      {"MAIL FROM", "501 5.5.4"},
      {"MAIL", "501 5.5.4"},
      {"MAIL TO:<a@b.test>", "501 5.5.4"},
      {"MAIL FROM :<a@b.test>", "501 5.5.4"},
      // Bad sender address: 501 5.1.7.
      {"MAIL FROM:<alice@example.test", "501 5.1.7"},
      {"MAIL FROM:<alice>", "501 5.1.7"},
      {"MAIL FROM:<Postmaster>", "501 5.1.7"},
      {"MAIL FROM:<@example.test>", "501 5.1.7"},
      {"MAIL FROM:<alice@>", "501 5.1.7"},
      {"MAIL FROM:<alice@example..test>", "501 5.1.7"},
      {"MAIL FROM:<alice@-example.test>", "501 5.1.7"},
      {"MAIL FROM:<alice@example-.test>", "501 5.1.7"},
      {"MAIL FROM:<alice@example.test.>", "501 5.1.7"},
      {"MAIL FROM:<alice@exa_mple.test>", "501 5.1.7"},
      {"MAIL FROM:<.alice@example.test>", "501 5.1.7"},
      {"MAIL FROM:<alice.@example.test>", "501 5.1.7"},
      {"MAIL FROM:<al..ice@example.test>", "501 5.1.7"},
      {"MAIL FROM:<al ice@example.test>", "501 5.1.7"},
      {"MAIL FROM:<al(ice@example.test>", "501 5.1.7"},
      {"MAIL FROM:<a@b@example.test>", "501 5.1.7"},
      {"MAIL FROM:<<a@b.test>>", "501 5.1.7"},
      {"MAIL FROM:<a@" + std::string(64, 'x') + ".test>", "501 5.1.7"},
      {"MAIL FROM:<a@" + std::string(63, 'x') + ".test>",
       "MAIL <a@" + std::string(63, 'x') + ".test>"},
  });
}

TEST(CommandTest, RcptTo) {
  run({
      {"RCPT TO:<bob@example.test>", "RCPT <bob@example.test>"},
      {"rcpt to:<bob@EXAMPLE.TEST>", "RCPT <bob@example.test>"},
      {"RCPT TO: <bob@example.test>", "RCPT <bob@example.test>"},
      {"rcpt to:<bob@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.test",
       "RCPT <bob@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.test"},
      {"RCPT TO:<bob@example.test> NOTIFY=never", "RCPT <bob@example.test> NOTIFY=never"},
      {"RCPT TO:<>", "501 5.1.3"},
      {"RCPT TO:<Postmaster>", "RCPT <Postmaster>"},
      {"RCPT TO:<postmaster>", "RCPT <postmaster>"},
      {"RCPT TO:<POSTMASTER> NOTIFY=NEVER", "RCPT <POSTMASTER> NOTIFY=NEVER"},
      {"RCPT TO:<postmaster@example.test>", "RCPT <postmaster@example.test>"},
      {"RCPT TO:bob@example.test", "501 5.5.4"},
      {"RCPT FROM:<bob@example.test>", "501 5.5.4"},
      {"RCPT", "501 5.5.4"},
      // Quoted local parts are kept as sent.
      {"RCPT TO:<\"john doe\"@example.test>", "RCPT <\"john doe\"@example.test>"},
      {"RCPT TO:<\"a\\\"b\"@example.test>", "RCPT <\"a\\\"b\"@example.test>"},
      {"RCPT TO:<\"a@b\"@example.test>", "RCPT <\"a@b\"@example.test>"},
      {"RCPT TO:<\"a>b\"@example.test>", "RCPT <\"a>b\"@example.test>"},
      {"RCPT TO:<\"\"@example.test>", "RCPT <\"\"@example.test>"},
      {"RCPT TO:<\"unterminated@example.test>", "501 5.1.3"},
      {"RCPT TO:<\"a\"b@example.test>", "501 5.1.3"},
      // Source routes are accepted and dropped (RFC 5321 4.1.1.3, appendix C).
      {"RCPT TO:<@relay1.test,@relay2.test:bob@example.test>", "RCPT <bob@example.test>"},
      {"RCPT TO:<@relay1.test:bob@example.test>", "RCPT <bob@example.test>"},
      {"MAIL FROM:<@relay1.test:alice@example.test>", "MAIL <alice@example.test>"},
      {"RCPT TO:<@relay1.test,bob@example.test>", "501 5.1.3"},
      {"RCPT TO:<@:bob@example.test>", "501 5.1.3"},
      {"RCPT TO:<@relay1.test,:bob@example.test>", "501 5.1.3"},
      // Address literals are kept as sent.
      {"RCPT TO:<bob@[127.0.0.1]>", "RCPT <bob@[127.0.0.1]>"},
      {"RCPT TO:<bob@[IPv6:::1]>", "RCPT <bob@[IPv6:::1]>"},
      {"RCPT TO:<bob@[IPv6:2001:DB8::1]>", "RCPT <bob@[IPv6:2001:DB8::1]>"},
      {"RCPT TO:<bob@[ipv6:::ffff:192.0.2.1]>", "RCPT <bob@[ipv6:::ffff:192.0.2.1]>"},
      {"RCPT TO:<bob@[127.0.0.256]>", "501 5.1.3"},
      {"RCPT TO:<bob@[1.2.3]>", "501 5.1.3"},
      {"RCPT TO:<bob@[1.2.3.4.5]>", "501 5.1.3"},
      {"RCPT TO:<bob@[1234.2.3.4]>", "501 5.1.3"},
      {"RCPT TO:<bob@[IPv6:zz::1]>", "501 5.1.3"},
      {"RCPT TO:<bob@[IPv6:1.2.3.4]>", "501 5.1.3"},
      {"RCPT TO:<bob@[tag:data]>", "501 5.1.3"},
      {"RCPT TO:<bob@[127.0.0.1>", "501 5.1.3"},
      {"RCPT TO:<bob@[127.0.0.1]x>", "501 5.1.3"},
      // The percent hack is just a local part here (RFC 5321 3.6.1: not a route).
      {"RCPT TO:<user%other.test@example.test>", "RCPT <user%other.test@example.test>"},
      {"RCPT TO:<user+tag@example.test>", "RCPT <user+tag@example.test>"},
      {"RCPT TO:<o'brien@example.test>", "RCPT <o'brien@example.test>"},
      {"RCPT TO:<first.last@sub.example.test>", "RCPT <first.last@sub.example.test>"},
      // UTF-8 is parsed and flagged; the session requires SMTPUTF8 (RFC 6531 3.4).
      {"RCPT TO:<j\xC3\xB6rg@example.test>", "RCPT <j\xC3\xB6rg@example.test> utf8"},
      {"RCPT TO:<bob@b\xC3\xBC"
       "cher.test>",
       "RCPT <bob@b\xC3\xBC"
       "cher.test> utf8"},
      {"RCPT TO:<\"j\xC3\xB6 rg\"@example.test>", "RCPT <\"j\xC3\xB6 rg\"@example.test> utf8"},
      {"RCPT TO:<bob@B\xC3\xBC"
       "CHER.test>",
       "RCPT <bob@b\xC3\xBC"
       "cher.test> utf8"},
      {"RCPT TO:<j\xC3rg@example.test>", "501 5.1.3"},          // truncated sequence
      {"RCPT TO:<j\xC0\xAFrg@example.test>", "501 5.1.3"},      // overlong
      {"RCPT TO:<j\xED\xA0\x80rg@example.test>", "501 5.1.3"},  // surrogate
      {"RCPT TO:<j\xFFrg@example.test>", "501 5.1.3"},
      {"RCPT TO:<bob@b\xC3.test>", "501 5.1.3"},
  });
}

TEST(CommandTest, SimpleVerbs) {
  run({
      {"DATA", "DATA"},
      {"data", "DATA"},
      {"DATA   ", "DATA"},
      {"DATA x", "501 5.5.4"},
      {"RSET", "RSET"},
      {"rset", "RSET"},
      {"RSET now", "501 5.5.4"},
      {"QUIT", "QUIT"},
      {"quit", "QUIT"},
      {"QUIT now", "501 5.5.4"},
      {"STARTTLS", "STARTTLS"},
      {"starttls", "STARTTLS"},
      {"STARTTLS now", "501 5.5.4"},
      {"NOOP", "NOOP []"},
      {"noop hello there", "NOOP [hello there]"},
      {"HELP", "HELP []"},
      {"help mail", "HELP [mail]"},
      {"VRFY bob", "VRFY [bob]"},
      {"vrfy <bob@example.test>", "VRFY [<bob@example.test>]"},
      {"VRFY", "501 5.5.4"},
      {"EXPN staff", "EXPN [staff]"},
      {"expn", "501 5.5.4"},
  });
}

TEST(CommandTest, BdatAndAuth) {
  run({
      {"BDAT 1000", "BDAT 1000"},
      {"BDAT 0 LAST", "BDAT 0 LAST"},
      {"bdat 12 last", "BDAT 12 LAST"},
      {"BDAT 18446744073709551615", "BDAT 18446744073709551615"},
      {"BDAT 18446744073709551616", "501 5.5.4"},
      {"BDAT", "501 5.5.4"},
      {"BDAT x", "501 5.5.4"},
      {"BDAT -1", "501 5.5.4"},
      {"BDAT 10 FIRST", "501 5.5.4"},
      {"BDAT 10 LAST x", "501 5.5.4"},
      {"AUTH PLAIN", "AUTH PLAIN"},
      {"auth plain AHVzZXIAcGFzcw==", "AUTH PLAIN AHVzZXIAcGFzcw=="},
      {"AUTH LOGIN =", "AUTH LOGIN ="},
      {"auth scram-sha-256", "AUTH SCRAM-SHA-256"},
      {"AUTH", "501 5.5.4"},
      {"AUTH PLAIN a b", "501 5.5.4"},
      {"AUTH PL@IN", "501 5.5.4"},
      {"AUTH PLAIN abc!", "501 5.5.4"},
      {"AUTH " + std::string(21, 'A'), "501 5.5.4"},
  });
}

TEST(CommandTest, Garbage) {
  run({
      {"", "500 5.5.2"},
      {"   ", "500 5.5.2"},
      {" HELO x", "500 5.5.2"},
      {"FOO", "500 5.5.2"},
      {"MAILFROM:<a@b.test>", "500 5.5.2"},
      {"HELOO x", "500 5.5.2"},
      {"\xFF\xFE", "500 5.5.2"},
      {"GET / HTTP/1.1", "500 5.5.2"},
      {"MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>", "500 5.5.2"},
      {"NOOP\nQUIT", "500 5.5.2"},
      {std::string("NOOP\0x", 6), "500 5.5.2"},
      {"NOOP \x7f", "500 5.5.2"},
  });
}

TEST(CommandTest, ParsedFields) {
  auto result = parse_command("MAIL FROM:<a@b.test> SIZE=12345 SMTPUTF8");
  ASSERT_TRUE(std::holds_alternative<Command>(result));
  const Command& cmd = std::get<Command>(result);
  EXPECT_EQ(cmd.verb, Verb::Mail);
  ASSERT_NE(cmd.param("SMTPUTF8"), nullptr);
  EXPECT_EQ(*cmd.param("SMTPUTF8"), "");
  EXPECT_EQ(*cmd.param("SIZE"), "12345");
  EXPECT_EQ(cmd.param("BODY"), nullptr);
  EXPECT_EQ(cmd.path.local, "a");
  EXPECT_EQ(cmd.path.domain, "b.test");
  EXPECT_FALSE(cmd.path.is_null());
  EXPECT_FALSE(cmd.path.is_literal());

  auto null_path = std::get<Command>(parse_command("MAIL FROM:<>"));
  EXPECT_TRUE(null_path.path.is_null());
  EXPECT_EQ(null_path.path.to_string(), "");
  EXPECT_TRUE(null_path.params.empty());

  auto literal = std::get<Command>(parse_command("RCPT TO:<x@[IPv6:::1]>"));
  EXPECT_TRUE(literal.path.is_literal());
  EXPECT_EQ(literal.path.domain, "[IPv6:::1]");

  auto auth = std::get<Command>(parse_command("AUTH PLAIN"));
  EXPECT_FALSE(auth.initial_response.has_value());

  EXPECT_EQ(verb_name(Verb::Starttls), "STARTTLS");
  EXPECT_EQ(verb_name(Verb::Bdat), "BDAT");
}

}  // namespace
}  // namespace mail::smtp
