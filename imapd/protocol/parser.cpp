// parse_command: command-level grammar (RFC 9051 section 9, RFC 3501 section 9) and the
// dispatch table from command name to argument parser. FETCH, STORE and APPEND live in
// parse_fetch.cpp and parse_append.cpp. Input: untrusted bytes.
#include "imapd/protocol/parser.h"

#include <array>

#include "imapd/protocol/parser_internal.h"

namespace mail::imap {
namespace detail {
namespace {

bool is_seq_char(unsigned char c) {
  return (c >= '0' && c <= '9') || c == ':' || c == ',' || c == '*' || c == '$';
}
bool is_base64_char(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/' || c == '=';
}

bool parse_none(Reader&, Command& cmd) {
  cmd.args = NoArgs{};
  return true;
}

// RFC 9051 section 6.2.3: LOGIN userid password.
bool parse_login(Reader& r, Command& cmd) {
  LoginArgs a;
  if (!r.sp()) return false;
  auto user = r.astring();
  if (!user || !r.sp()) return false;
  auto pass = r.astring();
  if (!pass) return false;
  a.userid = std::move(*user);
  a.password = std::move(*pass);
  cmd.args = std::move(a);
  return true;
}

// RFC 9051 section 6.2.2, RFC 4959 (SASL-IR): AUTHENTICATE mechanism [SP initial-response].
bool parse_authenticate(Reader& r, Command& cmd) {
  AuthenticateArgs a;
  if (!r.sp()) return false;
  auto mech = r.atom();
  if (!mech) return false;
  a.mechanism = to_upper(*mech);
  if (r.consume(' ')) {
    std::string_view ir = r.take_while(is_base64_char);
    if (ir.empty()) return r.fail("expected base64 initial response");
    a.initial_response = std::string(ir);
  }
  cmd.args = std::move(a);
  return true;
}

// SELECT/EXAMINE/CREATE/DELETE/SUBSCRIBE/UNSUBSCRIBE mailbox; SELECT, EXAMINE and CREATE
// take an optional parameter list (RFC 7162 CONDSTORE/QRESYNC, RFC 6154 CREATE USE).
bool parse_mailbox(Reader& r, Command& cmd) {
  MailboxArgs a;
  if (!r.sp()) return false;
  auto name = r.mailbox();
  if (!name) return false;
  a.mailbox = std::move(*name);
  bool params_allowed = cmd.name == "SELECT" || cmd.name == "EXAMINE" || cmd.name == "CREATE";
  if (params_allowed && r.consume(' ')) {
    auto list = r.generic_list(1);
    if (!list) return false;
    a.params = std::move(*list);
  }
  cmd.args = std::move(a);
  return true;
}

bool parse_rename(Reader& r, Command& cmd) {
  RenameArgs a;
  if (!r.sp()) return false;
  auto from = r.mailbox();
  if (!from || !r.sp()) return false;
  auto to = r.mailbox();
  if (!to) return false;
  a.from = std::move(*from);
  a.to = std::move(*to);
  cmd.args = std::move(a);
  return true;
}

// A "(" atom *(SP atom) ")" list, upper-cased; empty allowed only if allow_empty.
bool upper_atom_list(Reader& r, std::vector<std::string>& out, bool allow_empty) {
  if (!r.expect('(', "expected '('")) return false;
  if (r.consume(')')) return allow_empty || r.fail("empty list");
  while (true) {
    auto a = r.atom();
    if (!a) return false;
    out.push_back(to_upper(*a));
    if (r.consume(')')) return true;
    if (!r.expect(' ', "expected SP or ')' in list")) return false;
  }
}

// RFC 9051 section 6.3.9 and RFC 5258 (LIST-EXTENDED):
// LIST [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts].
bool parse_list(Reader& r, Command& cmd) {
  ListArgs a;
  if (!r.sp()) return false;
  if (r.peek() == '(' && cmd.name == "LIST") {
    if (!upper_atom_list(r, a.selection_options, true) || !r.sp()) return false;
  }
  auto ref = r.astring();
  if (!ref || !r.sp()) return false;
  a.reference = std::move(*ref);
  if (r.peek() == '(' && cmd.name == "LIST") {
    r.consume('(');
    while (true) {
      auto p = r.list_mailbox();
      if (!p) return false;
      a.patterns.push_back(std::move(*p));
      if (r.consume(')')) break;
      if (!r.expect(' ', "expected SP or ')' in pattern list")) return false;
    }
  } else {
    auto p = r.list_mailbox();
    if (!p) return false;
    a.patterns.push_back(std::move(*p));
  }
  if (cmd.name == "LIST" && r.consume(' ')) {
    auto kw = r.atom();
    if (!kw || to_upper(*kw) != "RETURN") return r.fail("expected RETURN");
    if (!r.sp()) return false;
    auto opts = r.generic_list(1);
    if (!opts) return false;
    a.return_options = std::move(*opts);
  }
  cmd.args = std::move(a);
  return true;
}

// RFC 9051 section 6.3.11: STATUS mailbox SP "(" status-att *(SP status-att) ")".
bool parse_status(Reader& r, Command& cmd) {
  StatusArgs a;
  if (!r.sp()) return false;
  auto name = r.mailbox();
  if (!name || !r.sp()) return false;
  a.mailbox = std::move(*name);
  if (!upper_atom_list(r, a.items, false)) return false;
  cmd.args = std::move(a);
  return true;
}

// RFC 5161: ENABLE 1*(SP capability).
bool parse_enable(Reader& r, Command& cmd) {
  EnableArgs a;
  do {
    if (!r.sp()) return false;
    auto cap = r.atom();
    if (!cap) return false;
    a.capabilities.push_back(to_upper(*cap));
  } while (r.peek() == ' ');
  cmd.args = std::move(a);
  return true;
}

// RFC 2971: ID SP ("(" *(string SP nstring) ")" / NIL).
bool parse_id(Reader& r, Command& cmd) {
  IdArgs a;
  if (!r.sp()) return false;
  if (r.consume('(')) {
    a.params.emplace();
    if (!r.consume(')')) {
      while (true) {
        auto key = r.string();
        if (!key || !r.sp()) return false;
        auto value = r.nstring();
        if (!value) return false;
        a.params->emplace_back(std::move(*key), std::move(*value));
        if (r.consume(')')) break;
        if (!r.expect(' ', "expected SP or ')' in ID list")) return false;
      }
    }
  } else {
    auto nil = r.atom();
    if (!nil || to_upper(*nil) != "NIL") return r.fail("expected ID parameter list or NIL");
  }
  cmd.args = std::move(a);
  return true;
}

// RFC 4315: UID EXPUNGE sequence-set; plain EXPUNGE has no arguments.
bool parse_expunge(Reader& r, Command& cmd) {
  if (!cmd.uid) return parse_none(r, cmd);
  if (!r.sp()) return false;
  auto set = read_sequence_set(r);
  if (!set) return false;
  cmd.args = SequenceArgs{std::move(*set)};
  return true;
}

// RFC 9051 sections 6.4.7 and 6.4.8; RFC 6851 MOVE: set SP mailbox.
bool parse_copy(Reader& r, Command& cmd) {
  CopyArgs a;
  if (!r.sp()) return false;
  auto set = read_sequence_set(r);
  if (!set || !r.sp()) return false;
  auto name = r.mailbox();
  if (!name) return false;
  a.set = std::move(*set);
  a.mailbox = std::move(*name);
  cmd.args = std::move(a);
  return true;
}

// RFC 9051 section 6.4.4, RFC 4731 (ESEARCH): SEARCH [SP "RETURN" SP "(" opts ")"]
// [SP "CHARSET" SP charset] 1*(SP search-key). Keys stay a token tree for now.
bool parse_search(Reader& r, Command& cmd) {
  std::vector<Arg> tokens;
  do {
    if (!r.sp()) return false;
    auto t = r.generic();
    if (!t) return false;
    tokens.push_back(std::move(*t));
  } while (r.peek() == ' ');
  SearchArgs a;
  size_t i = 0;
  auto is_word = [&](size_t k, std::string_view w) {
    return k < tokens.size() && tokens[k].kind == Arg::Kind::Atom && to_upper(tokens[k].value) == w;
  };
  if (is_word(i, "RETURN")) {
    if (i + 1 >= tokens.size() || tokens[i + 1].kind != Arg::Kind::List) {
      return r.fail("expected RETURN option list");
    }
    a.return_options = std::move(tokens[i + 1].list);
    i += 2;
  }
  if (is_word(i, "CHARSET")) {
    if (i + 1 >= tokens.size() || tokens[i + 1].kind == Arg::Kind::List) {
      return r.fail("expected charset");
    }
    a.charset = std::move(tokens[i + 1].value);
    i += 2;
  }
  if (i >= tokens.size()) return r.fail("expected search key");
  a.keys.assign(std::make_move_iterator(tokens.begin() + static_cast<ptrdiff_t>(i)),
                std::make_move_iterator(tokens.end()));
  cmd.args = std::move(a);
  return true;
}

// Recognised commands without a typed form yet: *(SP generic-token).
bool parse_generic(Reader& r, Command& cmd) {
  GenericArgs a;
  while (r.consume(' ')) {
    auto t = r.generic();
    if (!t) return false;
    a.args.push_back(std::move(*t));
  }
  cmd.args = std::move(a);
  return true;
}

using Handler = bool (*)(Reader&, Command&);
struct Entry {
  std::string_view name;
  Handler handler;
  bool with_uid;  // valid after "UID "
};

constexpr std::array kCommands = {
    Entry{"CAPABILITY", parse_none, false},
    Entry{"NOOP", parse_none, false},
    Entry{"LOGOUT", parse_none, false},
    Entry{"STARTTLS", parse_none, false},
    Entry{"CLOSE", parse_none, false},
    Entry{"UNSELECT", parse_none, false},
    Entry{"CHECK", parse_none, false},
    Entry{"IDLE", parse_none, false},
    Entry{"NAMESPACE", parse_none, false},
    Entry{"LOGIN", parse_login, false},
    Entry{"AUTHENTICATE", parse_authenticate, false},
    Entry{"SELECT", parse_mailbox, false},
    Entry{"EXAMINE", parse_mailbox, false},
    Entry{"CREATE", parse_mailbox, false},
    Entry{"DELETE", parse_mailbox, false},
    Entry{"SUBSCRIBE", parse_mailbox, false},
    Entry{"UNSUBSCRIBE", parse_mailbox, false},
    Entry{"RENAME", parse_rename, false},
    Entry{"LIST", parse_list, false},
    Entry{"LSUB", parse_list, false},
    Entry{"STATUS", parse_status, false},
    Entry{"ENABLE", parse_enable, false},
    Entry{"ID", parse_id, false},
    Entry{"APPEND", parse_append, false},
    Entry{"EXPUNGE", parse_expunge, true},
    Entry{"FETCH", parse_fetch, true},
    Entry{"STORE", parse_store, true},
    Entry{"COPY", parse_copy, true},
    Entry{"MOVE", parse_copy, true},
    Entry{"SEARCH", parse_search, true},
    Entry{"SORT", parse_generic, true},
    Entry{"THREAD", parse_generic, true},
    Entry{"GETQUOTA", parse_generic, false},
    Entry{"GETQUOTAROOT", parse_generic, false},
    Entry{"SETQUOTA", parse_generic, false},
    Entry{"COMPRESS", parse_generic, false},
};

}  // namespace

std::optional<SequenceSet> read_sequence_set(Reader& r) {
  std::string_view text = r.take_while(is_seq_char);
  if (text.find('$') != std::string_view::npos) {
    r.fail("search result reference ($) not supported");
    return std::nullopt;
  }
  auto set = SequenceSet::parse(text);
  if (!set) r.fail("invalid sequence set");
  return set;
}

}  // namespace detail

ParseResult parse_command(std::string_view wire) {
  Reader r(wire);
  // RFC 9051 section 9: command = tag SP (command-any / command-auth / ...) CRLF
  auto tag = r.tag();
  if (!tag) return ParseError{"*", "missing tag"};
  if (!r.consume(' ')) {
    if (r.at_end() || r.peek() == '\r' || r.peek() == '\n')
      return ParseError{*tag, "missing command"};
    return ParseError{"*", "invalid tag"};
  }
  Command cmd;
  cmd.tag = std::move(*tag);
  auto name = r.atom();
  if (!name) return ParseError{cmd.tag, "missing command"};
  cmd.name = to_upper(*name);
  if (cmd.name == "UID") {
    cmd.uid = true;
    if (!r.consume(' ')) return ParseError{cmd.tag, "UID: missing command"};
    auto sub = r.atom();
    if (!sub) return ParseError{cmd.tag, "UID: missing command"};
    cmd.name = to_upper(*sub);
  }
  const detail::Entry* entry = nullptr;
  for (const detail::Entry& e : detail::kCommands) {
    if (e.name == cmd.name) entry = &e;
  }
  if (entry == nullptr || (cmd.uid && !entry->with_uid)) {
    return ParseError{cmd.tag, cmd.uid ? "unknown UID command" : "unknown command"};
  }
  std::string label = (cmd.uid ? "UID " : "") + cmd.name + ": ";
  if (!entry->handler(r, cmd) || !r.end()) {
    return ParseError{cmd.tag, label + (r.error().empty() ? "syntax error" : r.error())};
  }
  return cmd;
}

}  // namespace mail::imap
