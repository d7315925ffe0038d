// Tests for parse_command: tables of wire bytes in, parsed values out; FETCH items are in
// fetch_test.cpp.
#include "imapd/protocol/parser.h"

#include <gtest/gtest.h>

namespace mail::imap {
namespace {

Command ok(std::string_view wire) {
  ParseResult r = parse_command(wire);
  if (auto* e = std::get_if<ParseError>(&r)) {
    ADD_FAILURE() << "parse failed: " << e->tag << " " << e->message << " for: " << wire;
    return {};
  }
  return std::get<Command>(r);
}

template <typename T>
T args(std::string_view wire) {
  Command c = ok(wire);
  const T* a = std::get_if<T>(&c.args);
  if (a == nullptr) {
    ADD_FAILURE() << "wrong argument type for: " << wire;
    return T{};
  }
  return *a;
}

TEST(Parser, SimpleCommands) {
  struct Case {
    std::string_view wire;
    std::string_view tag;
    std::string_view name;
  };
  const Case cases[] = {
      {"a1 CAPABILITY\r\n", "a1", "CAPABILITY"},
      {"A2 noop\r\n", "A2", "NOOP"},
      {"x LOGOUT", "x", "LOGOUT"},
      {"t.1 StartTLS\r\n", "t.1", "STARTTLS"},
      {"5 CLOSE\r\n", "5", "CLOSE"},
      {"a UNSELECT\r\n", "a", "UNSELECT"},
      {"a EXPUNGE\r\n", "a", "EXPUNGE"},
      {"a CHECK\r\n", "a", "CHECK"},
      {"a idle\r\n", "a", "IDLE"},
      {"a NAMESPACE\r\n", "a", "NAMESPACE"},
      {"a]b NOOP\r\n", "a]b", "NOOP"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.wire));
    Command cmd = ok(c.wire);
    EXPECT_EQ(cmd.tag, c.tag);
    EXPECT_EQ(cmd.name, c.name);
    EXPECT_FALSE(cmd.uid);
    EXPECT_TRUE(std::holds_alternative<NoArgs>(cmd.args));
  }
}

TEST(Parser, Login) {
  struct Case {
    std::string_view wire;
    std::string_view user;
    std::string_view pass;
  };
  const Case cases[] = {
      {"a LOGIN fred secret\r\n", "fred", "secret"},
      {"a LOGIN \"fred\" \"se cret\"\r\n", "fred", "se cret"},
      {"a LOGIN \"f\\\"r\\\\ed\" \"\"\r\n", "f\"r\\ed", ""},
      {"a LOGIN {4}\r\nfred {6}\r\nse\r\nrt\r\n", "fred", "se\r\nrt"},
      {"A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man\r\n", "FRED FOOBAR", "fat man"},
      {"a LOGIN {0}\r\n \"x\"\r\n", "", "x"},
      {"a LOGIN fred]x \"\xc3\xa9t\xc3\xa9\"\r\n", "fred]x", "\xc3\xa9t\xc3\xa9"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.wire));
    auto a = args<LoginArgs>(c.wire);
    EXPECT_EQ(a.userid, c.user);
    EXPECT_EQ(a.password, c.pass);
  }
}

TEST(Parser, Authenticate) {
  auto a = args<AuthenticateArgs>("a AUTHENTICATE plain\r\n");
  EXPECT_EQ(a.mechanism, "PLAIN");
  EXPECT_FALSE(a.initial_response.has_value());
  a = args<AuthenticateArgs>("a AUTHENTICATE PLAIN AGZyZWQAc2VjcmV0\r\n");
  EXPECT_EQ(a.initial_response, "AGZyZWQAc2VjcmV0");
  a = args<AuthenticateArgs>("a AUTHENTICATE PLAIN =\r\n");
  EXPECT_EQ(a.initial_response, "=");
}

TEST(Parser, MailboxCommands) {
  struct Case {
    std::string_view wire;
    std::string_view name;
    std::string_view mailbox;
  };
  const Case cases[] = {
      {"a SELECT inbox\r\n", "SELECT", "INBOX"},
      {"a EXAMINE \"InBoX\"\r\n", "EXAMINE", "INBOX"},
      {"a CREATE inbox.sub\r\n", "CREATE", "inbox.sub"},
      {"a DELETE \"My Folder\"\r\n", "DELETE", "My Folder"},
      {"a SUBSCRIBE {3}\r\nf o\r\n", "SUBSCRIBE", "f o"},
      {"a UNSUBSCRIBE &AOk-t&AOk-\r\n", "UNSUBSCRIBE", "&AOk-t&AOk-"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.wire));
    Command cmd = ok(c.wire);
    EXPECT_EQ(cmd.name, c.name);
    ASSERT_TRUE(std::holds_alternative<MailboxArgs>(cmd.args));
    EXPECT_EQ(std::get<MailboxArgs>(cmd.args).mailbox, c.mailbox);
  }
  auto sel = args<MailboxArgs>("a SELECT INBOX (CONDSTORE)\r\n");
  ASSERT_EQ(sel.params.size(), 1u);
  EXPECT_EQ(sel.params[0].value, "CONDSTORE");
  auto rename = args<RenameArgs>("a RENAME \"old box\" new\r\n");
  EXPECT_EQ(rename.from, "old box");
  EXPECT_EQ(rename.to, "new");
}

TEST(Parser, List) {
  auto a = args<ListArgs>("a LIST \"\" *\r\n");
  EXPECT_EQ(a.reference, "");
  EXPECT_EQ(a.patterns, std::vector<std::string>{"*"});
  a = args<ListArgs>("a LIST ~/Mail/ %.foo*\r\n");
  EXPECT_EQ(a.reference, "~/Mail/");
  EXPECT_EQ(a.patterns, std::vector<std::string>{"%.foo*"});
  a = args<ListArgs>(
      "a LIST (subscribed) \"\" (INBOX \"Sent*\") RETURN (CHILDREN STATUS (MESSAGES))\r\n");
  EXPECT_EQ(a.selection_options, std::vector<std::string>{"SUBSCRIBED"});
  EXPECT_EQ(a.patterns, (std::vector<std::string>{"INBOX", "Sent*"}));
  ASSERT_EQ(a.return_options.size(), 3u);
  EXPECT_EQ(a.return_options[2].kind, Arg::Kind::List);
  a = args<ListArgs>("a LSUB \"\" inbox\r\n");
  EXPECT_EQ(a.patterns, std::vector<std::string>{"INBOX"});
}

TEST(Parser, StatusEnableId) {
  auto s = args<StatusArgs>("a STATUS blurdybloop (UIDNEXT messages)\r\n");
  EXPECT_EQ(s.mailbox, "blurdybloop");
  EXPECT_EQ(s.items, (std::vector<std::string>{"UIDNEXT", "MESSAGES"}));
  auto e = args<EnableArgs>("a ENABLE condstore QRESYNC\r\n");
  EXPECT_EQ(e.capabilities, (std::vector<std::string>{"CONDSTORE", "QRESYNC"}));
  auto id = args<IdArgs>("a ID (\"name\" \"sodr\" \"version\" NIL)\r\n");
  ASSERT_TRUE(id.params.has_value());
  ASSERT_EQ(id.params->size(), 2u);
  EXPECT_EQ((*id.params)[0].first, "name");
  EXPECT_EQ((*id.params)[0].second, "sodr");
  EXPECT_FALSE((*id.params)[1].second.has_value());
  EXPECT_FALSE(args<IdArgs>("a ID NIL\r\n").params.has_value());
  EXPECT_TRUE(args<IdArgs>("a ID ()\r\n").params->empty());
}

TEST(Parser, Append) {
  auto a = args<AppendArgs>("a APPEND saved-messages (\\Seen) {7}\r\nHi\r\nyo!\r\n");
  EXPECT_EQ(a.mailbox, "saved-messages");
  EXPECT_EQ(a.flags, std::vector<std::string>{"\\Seen"});
  EXPECT_EQ(a.message, "Hi\r\nyo!");
  EXPECT_FALSE(a.binary);
  EXPECT_FALSE(a.date_time.has_value());

  a = args<AppendArgs>(
      "a APPEND inbox (\\seen $Junk) \"17-Jul-1996 02:44:25 -0700\" {5+}\r\nabcde\r\n");
  EXPECT_EQ(a.mailbox, "INBOX");
  EXPECT_EQ(a.flags, (std::vector<std::string>{"\\Seen", "$Junk"}));
  ASSERT_TRUE(a.date_time.has_value());
  EXPECT_EQ(a.date_time->unix_seconds, 837596665);  // 1996-07-17T09:44:25Z
  EXPECT_EQ(a.message, "abcde");

  a = args<AppendArgs>("a APPEND x \" 1-Jan-1970 00:00:00 +0000\" {1}\r\nz\r\n");
  EXPECT_EQ(a.date_time->unix_seconds, 0);

  a = args<AppendArgs>(std::string_view("a APPEND x ~{3}\r\na\0b\r\n", 22));
  EXPECT_TRUE(a.binary);
  EXPECT_EQ(a.message, std::string("a\0b", 3));

  a = args<AppendArgs>("a APPEND x () {0}\r\n\r\n");
  EXPECT_TRUE(a.flags.empty());
  EXPECT_EQ(a.message, "");
}

TEST(Parser, StoreCopyMoveExpunge) {
  Command c = ok("a UID STORE 1:3 +FLAGS.SILENT (\\Deleted \\seen)\r\n");
  EXPECT_TRUE(c.uid);
  EXPECT_EQ(c.name, "STORE");
  auto s = std::get<StoreArgs>(c.args);
  EXPECT_EQ(s.set.to_string(), "1:3");
  EXPECT_EQ(s.mode, StoreMode::Add);
  EXPECT_TRUE(s.silent);
  EXPECT_EQ(s.flags, (std::vector<std::string>{"\\Deleted", "\\Seen"}));

  s = args<StoreArgs>("a STORE 2 -flags \\Flagged\r\n");
  EXPECT_EQ(s.mode, StoreMode::Remove);
  EXPECT_FALSE(s.silent);
  EXPECT_EQ(s.flags, std::vector<std::string>{"\\Flagged"});

  s = args<StoreArgs>("a STORE * FLAGS foo \\Answered\r\n");
  EXPECT_EQ(s.mode, StoreMode::Replace);
  EXPECT_EQ(s.flags, (std::vector<std::string>{"foo", "\\Answered"}));

  s = args<StoreArgs>("a STORE 1 (UNCHANGEDSINCE 12345) FLAGS ()\r\n");
  EXPECT_EQ(s.unchanged_since, 12345u);
  EXPECT_TRUE(s.flags.empty());

  c = ok("a UID COPY 2:4 MEETING\r\n");
  EXPECT_TRUE(c.uid);
  EXPECT_EQ(c.name, "COPY");
  EXPECT_EQ(std::get<CopyArgs>(c.args).mailbox, "MEETING");
  c = ok("a uid move 1,5:* \"Trash\"\r\n");
  EXPECT_EQ(c.name, "MOVE");
  EXPECT_EQ(std::get<CopyArgs>(c.args).set.to_string(), "1,5:*");
  auto m = args<CopyArgs>("a MOVE 1 inbox\r\n");
  EXPECT_EQ(m.mailbox, "INBOX");

  c = ok("a UID EXPUNGE 3000:3002\r\n");
  EXPECT_EQ(c.name, "EXPUNGE");
  EXPECT_EQ(std::get<SequenceArgs>(c.args).set.to_string(), "3000:3002");
}

TEST(Parser, Search) {
  auto s = args<SearchArgs>("a SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n");
  EXPECT_FALSE(s.charset.has_value());
  ASSERT_EQ(s.keys.size(), 6u);
  EXPECT_EQ(s.keys[5].kind, Arg::Kind::String);
  EXPECT_EQ(s.keys[5].value, "Smith");

  Command c =
      ok("a UID SEARCH RETURN (MIN COUNT) CHARSET UTF-8 OR (1:* DELETED) TEXT {3}\r\nxyz\r\n");
  EXPECT_TRUE(c.uid);
  auto& a = std::get<SearchArgs>(c.args);
  EXPECT_EQ(a.return_options.size(), 2u);
  EXPECT_EQ(a.charset, "UTF-8");
  ASSERT_EQ(a.keys.size(), 4u);
  EXPECT_EQ(a.keys[0].value, "OR");
  ASSERT_EQ(a.keys[1].kind, Arg::Kind::List);
  EXPECT_EQ(a.keys[1].list[0].value, "1:*");
  EXPECT_EQ(a.keys[3].value, "xyz");

  // Nested lists up to the depth limit are fine; one more is an error.
  std::string deep = "a SEARCH " + std::string(kMaxListDepth, '(') + "ALL" +
                     std::string(kMaxListDepth, ')') + "\r\n";
  ok(deep);
}

TEST(Parser, GenericFallback) {
  auto g = args<GenericArgs>("a UID SORT (REVERSE DATE) UTF-8 ALL\r\n");
  ASSERT_EQ(g.args.size(), 3u);
  EXPECT_EQ(g.args[0].list.size(), 2u);
}

TEST(Parser, Errors) {
  struct Case {
    std::string_view wire;
    std::string_view tag;
  };
  const Case cases[] = {
      {"", "*"},
      {"\r\n", "*"},
      {" NOOP\r\n", "*"},              // missing tag
      {"+ NOOP\r\n", "*"},             // '+' is not a tag character
      {"a(b NOOP\r\n", "*"},           // invalid tag
      {"a1\r\n", "a1"},                // missing command
      {"a1 FROB x\r\n", "a1"},         // unknown command
      {"a1 UID LOGIN a b\r\n", "a1"},  // not a UID command
      {"a1 NOOP extra\r\n", "a1"},     // trailing arguments
      {"a1 NOOP  \r\n", "a1"},
      {"a1 LOGIN fred\r\n", "a1"},            // missing password
      {"a1 LOGIN \"fred secret\r\n", "a1"},   // unterminated quoted
      {"a1 LOGIN \"fr\\ed\" x\r\n", "a1"},    // bad escape
      {"a1 LOGIN {10}\r\nfred x\r\n", "a1"},  // truncated literal
      {"a1 LOGIN {3}\r\nfred x\r\n", "a1"},   // literal size mismatch: "d x" follows
      {"a1 LOGIN {4}fred x\r\n", "a1"},       // no CRLF after marker
      {"a1 LOGIN {99999999999999999999}\r\n", "a1"},
      {"a1 LOGIN ~{4}\r\nfred x\r\n", "a1"},  // literal8 outside APPEND
      {"a1 SEARCH (ALL\r\n", "a1"},           // unbalanced
      {"a1 SEARCH ALL)\r\n", "a1"},
      {"a1 SEARCH ((ALL)\r\n", "a1"},
      {"a1 SEARCH\r\n", "a1"},
      {"a1 FETCH 0 FLAGS\r\n", "a1"},  // bad sequence sets
      {"a1 FETCH 1:: FLAGS\r\n", "a1"},
      {"a1 FETCH , FLAGS\r\n", "a1"},
      {"a1 FETCH $ FLAGS\r\n", "a1"},
      {"a1 FETCH 1,,2 FLAGS\r\n", "a1"},
      {"a1 STORE 1 FLAG (\\Seen)\r\n", "a1"},
      {"a1 STORE 1 +FLAGS (\\Seen\r\n", "a1"},
      {"a1 COPY 1\r\n", "a1"},
      {"a1 UID EXPUNGE\r\n", "a1"},
      {"a1 APPEND x \"bad date\" {1}\r\nx\r\n", "a1"},
      {"a1 APPEND x \"31-Foo-2020 00:00:00 +0000\" {1}\r\nx\r\n", "a1"},
      {"a1 APPEND x \"message\"\r\n", "a1"},  // message must be a literal
      {"a1 STATUS x ()\r\n", "a1"},
      {"a1 ID (\"a\")\r\n", "a1"},
      {"a1 ENABLE\r\n", "a1"},
      {"a1 SELECT\r\n", "a1"},
      {"a1 DELETE x (y)\r\n", "a1"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.wire));
    ParseResult r = parse_command(c.wire);
    ASSERT_TRUE(std::holds_alternative<ParseError>(r));
    EXPECT_EQ(std::get<ParseError>(r).tag, c.tag);
    EXPECT_FALSE(std::get<ParseError>(r).message.empty());
  }
  // NUL inside an ordinary literal needs literal8 (~{n}).
  ParseResult nul = parse_command(std::string_view("a1 APPEND x {5}\r\nab\0de\r\n", 25));
  EXPECT_TRUE(std::holds_alternative<ParseError>(nul));
  ParseResult unknown = parse_command("x7 FROB\r\n");
  EXPECT_EQ(std::get<ParseError>(unknown).message, "unknown command");
  ParseResult truncated = parse_command("a1 LOGIN {10}\r\nfred x\r\n");
  EXPECT_EQ(std::get<ParseError>(truncated).message, "LOGIN: truncated literal");
}

TEST(Parser, DepthLimit) {
  std::string deep = "a SEARCH " + std::string(kMaxListDepth + 1, '(') + "ALL" +
                     std::string(kMaxListDepth + 1, ')') + "\r\n";
  ParseResult r = parse_command(deep);
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  EXPECT_EQ(std::get<ParseError>(r).message, "SEARCH: lists nested too deeply");
  // Very deep input must not overflow the stack.
  std::string huge = "a SEARCH " + std::string(100000, '(');
  EXPECT_TRUE(std::holds_alternative<ParseError>(parse_command(huge)));
}

TEST(Parser, NeverReadsPastEndOnPrefixes) {
  // Every prefix of valid commands must parse or fail cleanly (ASan catches overreads).
  const std::string_view inputs[] = {
      "a LOGIN {4}\r\nfred {6+}\r\nsecret\r\n",
      "a UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.100>) (CHANGEDSINCE 5 "
      "VANISHED)\r\n",
      "a APPEND x (\\Seen) \"17-Jul-1996 02:44:25 -0700\" ~{3}\r\nabc\r\n",
      "a STORE 1 (UNCHANGEDSINCE 9) +FLAGS.SILENT (\\Seen)\r\n",
  };
  for (std::string_view in : inputs) {
    for (size_t n = 0; n < in.size(); ++n) {
      std::string copy(in.substr(0, n));  // own buffer, so ASan sees the exact end
      (void)parse_command(copy);
    }
    EXPECT_TRUE(std::holds_alternative<Command>(parse_command(in))) << in;
  }
}

}  // namespace
}  // namespace mail::imap
