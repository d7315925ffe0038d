// Argument parsers for the commands without a file of their own (RFC 9051 section 6, RFC
// 3501 section 6 and the extensions named at each). FETCH and STORE are in parse_fetch.cpp,
// APPEND in parse_append.cpp. Input: untrusted bytes via Reader.
#include "imapd/protocol/arguments.h"
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

}  // namespace

std::optional<SequenceSet> read_sequence_set(Reader& r) {
  std::string_view text = r.take_while(is_seq_char);
  auto set = SequenceSet::parse(text);
  if (!set) r.fail("invalid sequence set");
  return set;
}

}  // namespace detail

namespace args {

using detail::is_base64_char;
using detail::read_sequence_set;
using detail::upper_atom_list;

bool none(Reader&, Command& cmd) {
  cmd.args = NoArgs{};
  return true;
}

// RFC 9051 section 6.2.3: LOGIN userid password.
bool login(Reader& r, Command& cmd) {
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
bool authenticate(Reader& r, Command& cmd) {
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

// RFC 9051 sections 6.3.5-6.3.8: DELETE, SUBSCRIBE, UNSUBSCRIBE (and any command taking
// just a mailbox): SP mailbox.
bool mailbox(Reader& r, Command& cmd) {
  MailboxArgs a;
  if (!r.sp()) return false;
  auto name = r.mailbox();
  if (!name) return false;
  a.mailbox = std::move(*name);
  cmd.args = std::move(a);
  return true;
}

// SELECT and EXAMINE (RFC 9051 sections 6.3.2, 6.3.3, RFC 7162 CONDSTORE/QRESYNC
// parameters) and CREATE (RFC 6154 USE): SP mailbox [SP "(" parameters ")"].
bool mailbox_with_params(Reader& r, Command& cmd) {
  MailboxArgs a;
  if (!r.sp()) return false;
  auto name = r.mailbox();
  if (!name) return false;
  a.mailbox = std::move(*name);
  if (r.consume(' ')) {
    auto list = r.generic_list(1);
    if (!list) return false;
    a.params = std::move(*list);
  }
  cmd.args = std::move(a);
  return true;
}

bool rename(Reader& r, Command& cmd) {
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

namespace {

// RFC 9051 section 6.3.9 and RFC 5258 (LIST-EXTENDED), or RFC 3501 section 6.3.9 (LSUB):
// LIST [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts].
bool list_grammar(Reader& r, Command& cmd, bool extended) {
  ListArgs a;
  if (!r.sp()) return false;
  if (r.peek() == '(' && extended) {
    a.extended = true;
    if (!upper_atom_list(r, a.selection_options, true) || !r.sp()) return false;
  }
  auto ref = r.astring();
  if (!ref || !r.sp()) return false;
  a.reference = std::move(*ref);
  if (r.peek() == '(' && extended) {
    a.extended = true;
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
  if (extended && r.consume(' ')) {
    a.extended = true;
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

}  // namespace

bool list(Reader& r, Command& cmd) {
  return list_grammar(r, cmd, true);
}

// RFC 3501 section 6.3.9: LSUB SP mailbox SP list-mailbox.
bool lsub(Reader& r, Command& cmd) {
  return list_grammar(r, cmd, false);
}

// RFC 9051 section 6.3.11: STATUS mailbox SP "(" status-att *(SP status-att) ")".
bool status(Reader& r, Command& cmd) {
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
bool enable(Reader& r, Command& cmd) {
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
bool id(Reader& r, Command& cmd) {
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
bool expunge(Reader& r, Command& cmd) {
  if (!cmd.uid) return none(r, cmd);
  if (!r.sp()) return false;
  auto set = read_sequence_set(r);
  if (!set) return false;
  cmd.args = SequenceArgs{std::move(*set)};
  return true;
}

// RFC 9051 sections 6.4.7 and 6.4.8; RFC 6851 MOVE: set SP mailbox.
bool copy(Reader& r, Command& cmd) {
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
bool search(Reader& r, Command& cmd) {
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
    a.has_return = true;
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
bool generic(Reader& r, Command& cmd) {
  GenericArgs a;
  while (r.consume(' ')) {
    auto t = r.generic();
    if (!t) return false;
    a.args.push_back(std::move(*t));
  }
  cmd.args = std::move(a);
  return true;
}

}  // namespace args
}  // namespace mail::imap
