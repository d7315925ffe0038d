// Tests for the command head and the argument parsers: tables of wire bytes in, parsed
// values out (each with the parser the command table gives its command); FETCH items are
// in fetch_test.cpp.
#include "imapd/protocol/parser.h"

#include "imapd/protocol/arguments.h"

#include <gtest/gtest.h>

namespace mail::imap {
namespace {

Command ok(std::string_view wire, ArgParser parse) {
  ParseResult r = parse_command(wire, parse);
  if (auto* e = std::get_if<ParseError>(&r)) {
    ADD_FAILURE() << "parse failed: " << e->tag << " " << e->message << " for: " << wire;
    return {};
  }
  return std::get<Command>(r);
}

template <typename T>
T args_of(std::string_view wire, ArgParser parse) {
  Command c = ok(wire, parse);
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
    Command cmd = ok(c.wire, args::none);
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
    auto a = args_of<LoginArgs>(c.wire, args::login);
    EXPECT_EQ(a.userid, c.user);
    EXPECT_EQ(a.password, c.pass);
  }
}

TEST(Parser, Authenticate) {
  auto a = args_of<AuthenticateArgs>("a AUTHENTICATE plain\r\n", args::authenticate);
  EXPECT_EQ(a.mechanism, "PLAIN");
  EXPECT_FALSE(a.initial_response.has_value());
  a = args_of<AuthenticateArgs>("a AUTHENTICATE PLAIN AGZyZWQAc2VjcmV0\r\n", args::authenticate);
  EXPECT_EQ(a.initial_response, "AGZyZWQAc2VjcmV0");
  a = args_of<AuthenticateArgs>("a AUTHENTICATE PLAIN =\r\n", args::authenticate);
  EXPECT_EQ(a.initial_response, "=");
}

TEST(Parser, MailboxCommands) {
  struct Case {
    std::string_view wire;
    std::string_view name;
    std::string_view mailbox;
    ArgParser parse;
  };
  const Case cases[] = {
      {"a SELECT inbox\r\n", "SELECT", "INBOX", args::mailbox_with_params},
      {"a EXAMINE \"InBoX\"\r\n", "EXAMINE", "INBOX", args::mailbox_with_params},
      {"a CREATE inbox.sub\r\n", "CREATE", "inbox.sub", args::mailbox_with_params},
      {"a DELETE \"My Folder\"\r\n", "DELETE", "My Folder", args::mailbox},
      {"a SUBSCRIBE {3}\r\nf o\r\n", "SUBSCRIBE", "f o", args::mailbox},
      {"a UNSUBSCRIBE &AOk-t&AOk-\r\n", "UNSUBSCRIBE", "&AOk-t&AOk-", args::mailbox},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.wire));
    Command cmd = ok(c.wire, c.parse);
    EXPECT_EQ(cmd.name, c.name);
    ASSERT_TRUE(std::holds_alternative<MailboxArgs>(cmd.args));
    EXPECT_EQ(std::get<MailboxArgs>(cmd.args).mailbox, c.mailbox);
  }
  auto sel = args_of<MailboxArgs>("a SELECT INBOX (CONDSTORE)\r\n", args::mailbox_with_params);
  ASSERT_EQ(sel.params.size(), 1u);
  EXPECT_EQ(sel.params[0].value, "CONDSTORE");
  auto rename = args_of<RenameArgs>("a RENAME \"old box\" new\r\n", args::rename);
  EXPECT_EQ(rename.from, "old box");
  EXPECT_EQ(rename.to, "new");
}

TEST(Parser, List) {
  auto a = args_of<ListArgs>("a LIST \"\" *\r\n", args::list);
  EXPECT_EQ(a.reference, "");
  EXPECT_EQ(a.patterns, std::vector<std::string>{"*"});
  EXPECT_FALSE(a.extended);
  // RFC 5258: any of its forms, even empty, makes the command an extended LIST.
  EXPECT_TRUE(args_of<ListArgs>("a LIST () \"\" \"\"\r\n", args::list).extended);
  EXPECT_TRUE(args_of<ListArgs>("a LIST \"\" (\"\")\r\n", args::list).extended);
  EXPECT_TRUE(args_of<ListArgs>("a LIST \"\" \"\" RETURN ()\r\n", args::list).extended);
  a = args_of<ListArgs>("a LIST ~/Mail/ %.foo*\r\n", args::list);
  EXPECT_EQ(a.reference, "~/Mail/");
  EXPECT_EQ(a.patterns, std::vector<std::string>{"%.foo*"});
  a = args_of<ListArgs>(
      "a LIST (subscribed) \"\" (INBOX \"Sent*\") RETURN (CHILDREN STATUS (MESSAGES))\r\n",
      args::list);
  EXPECT_EQ(a.selection_options, std::vector<std::string>{"SUBSCRIBED"});
  EXPECT_EQ(a.patterns, (std::vector<std::string>{"INBOX", "Sent*"}));
  ASSERT_EQ(a.return_options.size(), 3u);
  EXPECT_EQ(a.return_options[2].kind, Arg::Kind::List);
  a = args_of<ListArgs>("a LSUB \"\" inbox\r\n", args::lsub);
  EXPECT_EQ(a.patterns, std::vector<std::string>{"INBOX"});
}

TEST(Parser, StatusEnableId) {
  auto s = args_of<StatusArgs>("a STATUS blurdybloop (UIDNEXT messages)\r\n", args::status);
  EXPECT_EQ(s.mailbox, "blurdybloop");
  EXPECT_EQ(s.items, (std::vector<std::string>{"UIDNEXT", "MESSAGES"}));
  auto e = args_of<EnableArgs>("a ENABLE condstore QRESYNC\r\n", args::enable);
  EXPECT_EQ(e.capabilities, (std::vector<std::string>{"CONDSTORE", "QRESYNC"}));
  auto id = args_of<IdArgs>("a ID (\"name\" \"sodr\" \"version\" NIL)\r\n", args::id);
  ASSERT_TRUE(id.params.has_value());
  ASSERT_EQ(id.params->size(), 2u);
  EXPECT_EQ((*id.params)[0].first, "name");
  EXPECT_EQ((*id.params)[0].second, "sodr");
  EXPECT_FALSE((*id.params)[1].second.has_value());
  EXPECT_FALSE(args_of<IdArgs>("a ID NIL\r\n", args::id).params.has_value());
  EXPECT_TRUE(args_of<IdArgs>("a ID ()\r\n", args::id).params->empty());
}

TEST(Parser, Append) {
  auto a =
      args_of<AppendArgs>("a APPEND saved-messages (\\Seen) {7}\r\nHi\r\nyo!\r\n", args::append);
  EXPECT_EQ(a.mailbox, "saved-messages");
  ASSERT_EQ(a.messages.size(), 1u);
  EXPECT_EQ(a.messages[0].flags, std::vector<std::string>{"\\Seen"});
  EXPECT_EQ(a.messages[0].message, "Hi\r\nyo!");
  EXPECT_FALSE(a.messages[0].binary);
  EXPECT_FALSE(a.messages[0].date_time.has_value());

  a = args_of<AppendArgs>(
      "a APPEND inbox (\\seen $Junk) \"17-Jul-1996 02:44:25 -0700\" {5+}\r\nabcde\r\n",
      args::append);
  EXPECT_EQ(a.mailbox, "INBOX");
  EXPECT_EQ(a.messages[0].flags, (std::vector<std::string>{"\\Seen", "$Junk"}));
  ASSERT_TRUE(a.messages[0].date_time.has_value());
  EXPECT_EQ(a.messages[0].date_time->unix_seconds, 837596665);  // 1996-07-17T09:44:25Z
  EXPECT_EQ(a.messages[0].message, "abcde");

  a = args_of<AppendArgs>("a APPEND x \" 1-Jan-1970 00:00:00 +0000\" {1}\r\nz\r\n", args::append);
  EXPECT_EQ(a.messages[0].date_time->unix_seconds, 0);

  a = args_of<AppendArgs>(std::string_view("a APPEND x ~{3}\r\na\0b\r\n", 22), args::append);
  EXPECT_TRUE(a.messages[0].binary);
  EXPECT_EQ(a.messages[0].message, std::string("a\0b", 3));

  a = args_of<AppendArgs>("a APPEND x () {0}\r\n\r\n", args::append);
  EXPECT_TRUE(a.messages[0].flags.empty());
  EXPECT_EQ(a.messages[0].message, "");
}

TEST(Parser, MultiAppendAndUtf8) {
  // RFC 3502 section 6.3.11: several messages, each with its own flags and date.
  auto a = args_of<AppendArgs>(
      "a APPEND x (\\Seen) {2+}\r\nm1 \" 1-Jan-1970 00:00:00 +0000\" {2+}\r\nm2 {2}\r\nm3\r\n",
      args::append);
  ASSERT_EQ(a.messages.size(), 3u);
  EXPECT_EQ(a.messages[0].message, "m1");
  EXPECT_EQ(a.messages[0].flags, std::vector<std::string>{"\\Seen"});
  EXPECT_TRUE(a.messages[1].flags.empty());
  EXPECT_TRUE(a.messages[1].date_time.has_value());
  EXPECT_EQ(a.messages[2].message, "m3");
  // RFC 6855 section 4: UTF8 (literal8).
  a = args_of<AppendArgs>("a APPEND x () UTF8 (~{3+}\r\nabc)\r\n", args::append);
  ASSERT_EQ(a.messages.size(), 1u);
  EXPECT_TRUE(a.messages[0].utf8);
  EXPECT_EQ(a.messages[0].message, "abc");
  for (std::string_view bad :
       {"a APPEND x UTF8 ({3+}\r\nabc)\r\n", "a APPEND x UTF8 ~{3+}\r\nabc\r\n",
        "a APPEND x UTF8 (~{3+}\r\nabc\r\n", "a APPEND x {1+}\r\na \r\n",
        "a APPEND x FROB {1+}\r\na\r\n"}) {
    EXPECT_TRUE(std::holds_alternative<ParseError>(parse_command(bad, args::append))) << bad;
  }
}

TEST(Parser, StoreCopyMoveExpunge) {
  Command c = ok("a UID STORE 1:3 +FLAGS.SILENT (\\Deleted \\seen)\r\n", args::store);
  EXPECT_TRUE(c.uid);
  EXPECT_EQ(c.name, "STORE");
  auto s = std::get<StoreArgs>(c.args);
  EXPECT_EQ(s.set.to_string(), "1:3");
  EXPECT_EQ(s.mode, StoreMode::Add);
  EXPECT_TRUE(s.silent);
  EXPECT_EQ(s.flags, (std::vector<std::string>{"\\Deleted", "\\Seen"}));

  s = args_of<StoreArgs>("a STORE 2 -flags \\Flagged\r\n", args::store);
  EXPECT_EQ(s.mode, StoreMode::Remove);
  EXPECT_FALSE(s.silent);
  EXPECT_EQ(s.flags, std::vector<std::string>{"\\Flagged"});

  s = args_of<StoreArgs>("a STORE * FLAGS foo \\Answered\r\n", args::store);
  EXPECT_EQ(s.mode, StoreMode::Replace);
  EXPECT_EQ(s.flags, (std::vector<std::string>{"foo", "\\Answered"}));

  s = args_of<StoreArgs>("a STORE 1 (UNCHANGEDSINCE 12345) FLAGS ()\r\n", args::store);
  EXPECT_EQ(s.unchanged_since, 12345u);
  EXPECT_TRUE(s.flags.empty());

  c = ok("a UID COPY 2:4 MEETING\r\n", args::copy);
  EXPECT_TRUE(c.uid);
  EXPECT_EQ(c.name, "COPY");
  EXPECT_EQ(std::get<CopyArgs>(c.args).mailbox, "MEETING");
  c = ok("a uid move 1,5:* \"Trash\"\r\n", args::copy);
  EXPECT_EQ(c.name, "MOVE");
  EXPECT_EQ(std::get<CopyArgs>(c.args).set.to_string(), "1,5:*");
  auto m = args_of<CopyArgs>("a MOVE 1 inbox\r\n", args::copy);
  EXPECT_EQ(m.mailbox, "INBOX");

  c = ok("a UID EXPUNGE 3000:3002\r\n", args::expunge);
  EXPECT_EQ(c.name, "EXPUNGE");
  EXPECT_EQ(std::get<SequenceArgs>(c.args).set.to_string(), "3000:3002");
}

TEST(Parser, Search) {
  auto s =
      args_of<SearchArgs>("a SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n", args::search);
  EXPECT_FALSE(s.charset.has_value());
  ASSERT_EQ(s.keys.size(), 6u);
  EXPECT_EQ(s.keys[5].kind, Arg::Kind::String);
  EXPECT_EQ(s.keys[5].value, "Smith");

  Command c =
      ok("a UID SEARCH RETURN (MIN COUNT) CHARSET UTF-8 OR (1:* DELETED) TEXT {3}\r\nxyz\r\n",
         args::search);
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
  ok(deep, args::search);
}

TEST(Parser, GenericFallback) {
  auto g = args_of<GenericArgs>("a UID SORT (REVERSE DATE) UTF-8 ALL\r\n", args::generic);
  ASSERT_EQ(g.args.size(), 3u);
  EXPECT_EQ(g.args[0].list.size(), 2u);
}

TEST(Parser, HeadErrors) {
  struct Case {
    std::string_view wire;
    std::string_view tag;
  };
  const Case cases[] = {
      {"", "*"},
      {"\r\n", "*"},
      {" NOOP\r\n", "*"},     // missing tag
      {"+ NOOP\r\n", "*"},    // '+' is not a tag character
      {"a(b NOOP\r\n", "*"},  // invalid tag
      {"a1\r\n", "a1"},       // missing command
      {"a1 \r\n", "a1"},
      {"a1 UID\r\n", "a1"},  // UID without a command
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.wire));
    Reader r(c.wire);
    HeadResult h = parse_command_head(r);
    ASSERT_TRUE(std::holds_alternative<ParseError>(h));
    EXPECT_EQ(std::get<ParseError>(h).tag, c.tag);
  }
  Reader r("x7 uid fetch 1 FLAGS\r\n");
  HeadResult h = parse_command_head(r);
  ASSERT_TRUE(std::holds_alternative<CommandHead>(h));
  EXPECT_EQ(std::get<CommandHead>(h).tag, "x7");
  EXPECT_EQ(std::get<CommandHead>(h).name, "FETCH");
  EXPECT_TRUE(std::get<CommandHead>(h).uid);
  EXPECT_EQ(r.position(), 12u);  // just after the name
}

TEST(Parser, ArgumentErrors) {
  struct Case {
    std::string_view wire;
    ArgParser parse;
  };
  const Case cases[] = {
      {"a1 NOOP extra\r\n", args::none},  // trailing arguments
      {"a1 NOOP  \r\n", args::none},
      {"a1 LOGIN fred\r\n", args::login},            // missing password
      {"a1 LOGIN \"fred secret\r\n", args::login},   // unterminated quoted
      {"a1 LOGIN \"fr\\ed\" x\r\n", args::login},    // bad escape
      {"a1 LOGIN {10}\r\nfred x\r\n", args::login},  // truncated literal
      {"a1 LOGIN {3}\r\nfred x\r\n", args::login},   // literal size mismatch: "d x" follows
      {"a1 LOGIN {4}fred x\r\n", args::login},       // no CRLF after marker
      {"a1 LOGIN {99999999999999999999}\r\n", args::login},
      {"a1 LOGIN ~{4}\r\nfred x\r\n", args::login},  // literal8 outside APPEND
      {"a1 SEARCH (ALL\r\n", args::search},          // unbalanced
      {"a1 SEARCH ALL)\r\n", args::search},
      {"a1 SEARCH ((ALL)\r\n", args::search},
      {"a1 SEARCH\r\n", args::search},
      {"a1 FETCH 0 FLAGS\r\n", args::fetch},  // bad sequence sets
      {"a1 FETCH 1:: FLAGS\r\n", args::fetch},
      {"a1 FETCH , FLAGS\r\n", args::fetch},
      {"a1 FETCH $,1 FLAGS\r\n", args::fetch},
      {"a1 FETCH 1,,2 FLAGS\r\n", args::fetch},
      {"a1 STORE 1 FLAG (\\Seen)\r\n", args::store},
      {"a1 STORE 1 +FLAGS (\\Seen\r\n", args::store},
      {"a1 COPY 1\r\n", args::copy},
      {"a1 UID EXPUNGE\r\n", args::expunge},
      {"a1 APPEND x \"bad date\" {1}\r\nx\r\n", args::append},
      {"a1 APPEND x \"31-Foo-2020 00:00:00 +0000\" {1}\r\nx\r\n", args::append},
      {"a1 APPEND x \"message\"\r\n", args::append},  // message must be a literal
      {"a1 STATUS x ()\r\n", args::status},
      {"a1 ID (\"a\")\r\n", args::id},
      {"a1 ENABLE\r\n", args::enable},
      {"a1 SELECT\r\n", args::mailbox_with_params},
      {"a1 DELETE x (y)\r\n", args::mailbox},
      {"a1 LSUB (x) \"\" *\r\n", args::lsub},  // no LIST-EXTENDED forms in LSUB
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.wire));
    ParseResult r = parse_command(c.wire, c.parse);
    ASSERT_TRUE(std::holds_alternative<ParseError>(r));
    EXPECT_EQ(std::get<ParseError>(r).tag, "a1");
    EXPECT_FALSE(std::get<ParseError>(r).message.empty());
  }
  // NUL inside an ordinary literal needs literal8 (~{n}).
  ParseResult nul =
      parse_command(std::string_view("a1 APPEND x {5}\r\nab\0de\r\n", 25), args::append);
  EXPECT_TRUE(std::holds_alternative<ParseError>(nul));
  ParseResult truncated = parse_command("a1 LOGIN {10}\r\nfred x\r\n", args::login);
  EXPECT_EQ(std::get<ParseError>(truncated).message, "LOGIN: truncated literal");
}

TEST(Parser, DepthLimit) {
  std::string deep = "a SEARCH " + std::string(kMaxListDepth + 1, '(') + "ALL" +
                     std::string(kMaxListDepth + 1, ')') + "\r\n";
  ParseResult r = parse_command(deep, args::search);
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  EXPECT_EQ(std::get<ParseError>(r).message, "SEARCH: lists nested too deeply");
  // Very deep input must not overflow the stack.
  std::string huge = "a SEARCH " + std::string(100000, '(');
  EXPECT_TRUE(std::holds_alternative<ParseError>(parse_command(huge, args::search)));
}

TEST(Parser, NeverReadsPastEndOnPrefixes) {
  // Every prefix of valid commands must parse or fail cleanly (ASan catches overreads).
  const std::pair<std::string_view, ArgParser> inputs[] = {
      {"a LOGIN {4}\r\nfred {6+}\r\nsecret\r\n", args::login},
      {"a UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.100>) (CHANGEDSINCE 5 "
       "VANISHED)\r\n",
       args::fetch},
      {"a APPEND x (\\Seen) \"17-Jul-1996 02:44:25 -0700\" ~{3}\r\nabc\r\n", args::append},
      {"a STORE 1 (UNCHANGEDSINCE 9) +FLAGS.SILENT (\\Seen)\r\n", args::store},
  };
  for (auto [in, parse] : inputs) {
    for (size_t n = 0; n < in.size(); ++n) {
      std::string copy(in.substr(0, n));  // own buffer, so ASan sees the exact end
      (void)parse_command(copy, parse);
    }
    EXPECT_TRUE(std::holds_alternative<Command>(parse_command(in, parse))) << in;
  }
}

}  // namespace
}  // namespace mail::imap
