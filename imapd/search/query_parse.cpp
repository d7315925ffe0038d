// Reading SEARCH, SORT and THREAD arguments from the token tree; see query.h.
// Input: tokens from an untrusted client (syntactically tokens, nothing more).
#include <algorithm>
#include <array>
#include <string_view>

#include "imapd/search/query.h"
#include "store/mail_store.h"

namespace mail::imapd::search {
namespace {

using imap::Arg;

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return out;
}

QueryError bad(std::string message) {
  return QueryError{QueryError::Kind::Bad, std::move(message)};
}

bool is_atom(const Arg& a) {
  return a.kind == Arg::Kind::Atom;
}

// RFC 9051 6.4.4: a CHARSET the server does not support is NO [BADCHARSET (...)].
std::optional<QueryError> check_charset(std::string_view charset) {
  const std::string u = upper(charset);
  for (const char* ok : kSearchCharsets)
    if (u == ok) return std::nullopt;
  return QueryError{QueryError::Kind::BadCharset, "Unsupported charset " + std::string(charset)};
}

// Reads keys from a token list: each call to key() consumes one search-key.
class KeyReader {
 public:
  KeyReader(const std::vector<Arg>& tokens, Needs& needs) : t_(tokens), needs_(needs) {}

  bool at_end() const { return i_ >= t_.size(); }
  const std::optional<QueryError>& error() const { return error_; }

  // One search-key at the reader's position, `depth` levels below the top.
  std::optional<Key> key(int depth) {
    if (depth > kMaxKeyDepth) return fail("search keys nested too deeply");
    if (at_end()) return fail("missing search key");
    const Arg& a = t_[i_++];
    if (a.kind == Arg::Kind::List) return group(a.list, depth + 1);
    if (a.kind == Arg::Kind::String) return fail("expected a search key, not a string");
    const std::string name = upper(a.value);
    if (auto k = flag_key(name)) return k;
    if (name == "ALL") return Key{};
    if (name == "RECENT" || name == "NEW" || name == "OLD")
      return simple(name == "RECENT" ? Key::Kind::Recent
                    : name == "NEW"  ? Key::Kind::New
                                     : Key::Kind::Old);
    if (name == "BCC" || name == "CC" || name == "FROM" || name == "SUBJECT" || name == "TO")
      return header(name, depth);
    if (name == "HEADER") {
      auto field = astring();
      if (!field) return std::nullopt;
      if (field->empty()) return fail("empty header field name");
      return header(*field, depth);
    }
    if (name == "BODY" || name == "TEXT") {
      auto v = astring();
      if (!v) return std::nullopt;
      Key k;
      k.kind = name == "BODY" ? Key::Kind::Body : Key::Kind::Text;
      k.value = std::move(*v);
      needs_.body = needs_.summary = true;
      return k;
    }
    if (auto k = date_key(name)) return k;
    if (error_) return std::nullopt;
    if (name == "KEYWORD" || name == "UNKEYWORD") return keyword(name == "KEYWORD");
    if (name == "LARGER" || name == "SMALLER") {
      auto n = number();
      if (!n) return std::nullopt;
      Key k;
      k.kind = name == "LARGER" ? Key::Kind::Larger : Key::Kind::Smaller;
      k.number = *n;
      return k;
    }
    if (name == "NOT") {
      auto inner = key(depth + 1);
      if (!inner) return std::nullopt;
      Key k;
      k.kind = Key::Kind::Not;
      k.children.push_back(std::move(*inner));
      return k;
    }
    if (name == "OR") {
      auto left = key(depth + 1);
      if (!left) return std::nullopt;
      auto right = key(depth + 1);
      if (!right) return std::nullopt;
      Key k;
      k.kind = Key::Kind::Or;
      k.children.push_back(std::move(*left));
      k.children.push_back(std::move(*right));
      return k;
    }
    if (name == "UID") {
      if (at_end() || !is_atom(t_[i_])) return fail("UID needs a sequence set");
      return set_key(t_[i_++].value, true);
    }
    if (name == "MODSEQ") return modseq();
    if (is_set_start(name)) return set_key(a.value, false);
    return fail("unknown search key " + a.value);
  }

  // Keys until the end of the list, as one And (the top level, or a group).
  std::optional<Key> all(int depth) {
    Key k;
    k.kind = Key::Kind::And;
    while (!at_end()) {
      auto one = key(depth);
      if (!one) return std::nullopt;
      k.children.push_back(std::move(*one));
    }
    if (k.children.empty()) return fail("missing search key");
    return k;
  }

  std::optional<std::string> astring() {
    if (at_end() || t_[i_].kind == Arg::Kind::List) {
      fail("expected a string");
      return std::nullopt;
    }
    return t_[i_++].value;
  }

 private:
  std::nullopt_t fail(std::string message) {
    if (!error_) error_ = bad(std::move(message));
    return std::nullopt;
  }

  static std::optional<Key> simple(Key::Kind kind) {
    Key k;
    k.kind = kind;
    return k;
  }

  // 4294967295 is a valid nz-number, and clients search "UID n:4294967295" for "every
  // UID from n" (imaptest does). SequenceSet keeps that value for "*", so it becomes
  // 4294967294 here: the same set, since the store never gives out the last UID.
  static std::string clamp_top(std::string_view text) {
    std::string out;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t end = text.find_first_of(",:", pos);
      if (end == std::string_view::npos) end = text.size();
      std::string_view number = text.substr(pos, end - pos);
      out += number == "4294967295" ? "4294967294" : number;
      if (end < text.size()) out += text[end];
      pos = end + 1;
    }
    return out;
  }

  static bool is_set_start(std::string_view s) {
    return !s.empty() && ((s[0] >= '0' && s[0] <= '9') || s[0] == '*' || s[0] == '$');
  }

  std::optional<Key> flag_key(const std::string& name) {
    struct FlagName {
      std::string_view name;
      uint32_t bit;
    };
    static constexpr std::array<FlagName, 5> kFlags = {{{"ANSWERED", store::kAnswered},
                                                        {"DELETED", store::kDeleted},
                                                        {"DRAFT", store::kDraft},
                                                        {"FLAGGED", store::kFlagged},
                                                        {"SEEN", store::kSeen}}};
    for (const FlagName& f : kFlags) {
      const bool set = name == f.name;
      if (!set && !(name.starts_with("UN") && std::string_view(name).substr(2) == f.name)) continue;
      Key k;
      k.kind = set ? Key::Kind::FlagSet : Key::Kind::FlagClear;
      k.flag = f.bit;
      return k;
    }
    return std::nullopt;
  }

  std::optional<Key> header(std::string field, int) {
    auto v = astring();
    if (!v) return std::nullopt;
    Key k;
    k.kind = Key::Kind::Header;
    k.text = std::move(field);
    k.value = std::move(*v);
    needs_.body = true;
    return k;
  }

  std::optional<Key> date_key(const std::string& name) {
    static constexpr std::array<std::string_view, 3> kOps = {"BEFORE", "ON", "SINCE"};
    std::string_view op = name;
    DateField field = DateField::Internal;
    if (op.starts_with("SENT")) {
      op.remove_prefix(4);
      field = DateField::Sent;
    }
    for (size_t i = 0; i < kOps.size(); ++i) {
      if (op != kOps[i]) continue;
      auto text = astring();
      if (!text) return std::nullopt;
      auto day = parse_search_date(*text);
      if (!day) return fail("invalid date " + *text);
      Key k;
      k.kind = Key::Kind::Date;
      k.date_field = field;
      k.date_op = static_cast<DateOp>(i);
      k.day = *day;
      if (field == DateField::Sent) needs_.summary = true;
      return k;
    }
    return std::nullopt;
  }

  std::optional<Key> keyword(bool set) {
    if (at_end() || !is_atom(t_[i_])) return fail("KEYWORD needs a flag keyword");
    const std::string& word = t_[i_++].value;
    if (word.starts_with('\\')) {
      // A system flag where a keyword belongs: the flag itself (as Dovecot does), or,
      // for one that is not a system flag, a keyword no message can have.
      if (auto k = flag_key(upper(word.substr(1)))) {
        if (!set)
          k->kind = k->kind == Key::Kind::FlagSet ? Key::Kind::FlagClear : Key::Kind::FlagSet;
        return k;
      }
      return simple(set ? Key::Kind::Nothing : Key::Kind::All);
    }
    Key k;
    k.kind = set ? Key::Kind::Keyword : Key::Kind::Unkeyword;
    k.text = word;
    return k;
  }

  std::optional<uint64_t> number() {
    if (at_end() || !is_atom(t_[i_])) {
      fail("expected a number");
      return std::nullopt;
    }
    const std::string& s = t_[i_++].value;
    if (s.empty() || s.size() > 18) {
      fail("invalid number " + s);
      return std::nullopt;
    }
    uint64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') {
        fail("invalid number " + s);
        return std::nullopt;
      }
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return v;
  }

  std::optional<Key> set_key(const std::string& text, bool uid) {
    Key k;
    if (text == "$") {
      k.kind = Key::Kind::SavedResult;
      return k;
    }
    auto set = imap::SequenceSet::parse(clamp_top(text));
    if (!set) return fail("invalid sequence set " + text);
    k.kind = uid ? Key::Kind::Uid : Key::Kind::Sequence;
    k.set = std::move(*set);
    if (!uid) needs_.sequence = true;
    return k;
  }

  // RFC 7162 3.1.5: "MODSEQ" [SP entry-name SP entry-type-req] SP mod-sequence-valzer.
  // Flags have no MODSEQ of their own here; the entry is checked and then ignored.
  std::optional<Key> modseq() {
    if (i_ + 1 < t_.size() && t_[i_].kind == Arg::Kind::String) {
      const std::string type = upper(t_[i_ + 1].value);
      if (t_[i_ + 1].kind != Arg::Kind::Atom ||
          (type != "PRIV" && type != "SHARED" && type != "ALL"))
        return fail("invalid MODSEQ entry type");
      i_ += 2;
    }
    auto n = number();
    if (!n) return std::nullopt;
    Key k;
    k.kind = Key::Kind::ModSeq;
    k.number = *n;
    needs_.modseq = true;
    return k;
  }

  std::optional<Key> group(const std::vector<Arg>& list, int depth) {
    KeyReader inner(list, needs_);
    auto k = inner.all(depth);
    if (!k) error_ = inner.error();
    return k;
  }

  const std::vector<Arg>& t_;
  Needs& needs_;
  size_t i_ = 0;
  std::optional<QueryError> error_;
};

std::optional<QueryError> read_return_options(const std::vector<Arg>& options, ReturnOptions& ret) {
  ret.esearch = true;
  for (size_t i = 0; i < options.size(); ++i) {
    const Arg& o = options[i];
    if (!is_atom(o)) return bad("invalid RETURN option");
    const std::string u = upper(o.value);
    if (u == "MIN") {
      ret.min = true;
    } else if (u == "MAX") {
      ret.max = true;
    } else if (u == "ALL") {
      ret.all = true;
    } else if (u == "COUNT") {
      ret.count = true;
    } else if (u == "SAVE") {
      ret.save = true;
    } else if (u == "UPDATE") {
      // RFC 5267 section 4.2 (Dovecot also takes "UPDATE (fetch-att)"; we do not).
      if (ret.update) return bad("duplicate UPDATE");
      ret.update = true;
    } else if (u == "CONTEXT") {
      // RFC 5267 section 4.1: a hint that the result will be narrowed later; no effect.
    } else if (u == "PARTIAL") {
      // RFC 5267 section 4.4: exactly one range argument, one PARTIAL per command.
      if (ret.partial) return bad("PARTIAL may be given only once");
      if (i + 1 >= options.size() || !is_atom(options[i + 1])) return bad("PARTIAL needs a range");
      ret.partial = parse_partial_range(options[++i].value);
      if (!ret.partial) return bad("invalid PARTIAL range");
    } else {
      return bad("unknown RETURN option " + o.value);
    }
  }
  // RFC 5267 section 4.4: "either one PARTIAL, one ALL, or neither".
  if (ret.partial && ret.all) return bad("PARTIAL conflicts with ALL");
  // RFC 4731 section 3.1: RETURN () means ALL (SAVE alone returns nothing, RFC 5182 2.4).
  if (options.empty()) ret.all = true;
  return std::nullopt;
}

std::variant<Program, QueryError> parse_keys(const std::vector<Arg>& keys, size_t first,
                                             Program program) {
  std::vector<Arg> rest(keys.begin() + static_cast<ptrdiff_t>(first), keys.end());
  KeyReader reader(rest, program.needs);
  auto root = reader.all(0);
  if (!root) return reader.error() ? *reader.error() : bad("missing search key");
  program.root = std::move(*root);
  return program;
}

bool is_word(const std::vector<Arg>& t, size_t i, std::string_view w) {
  return i < t.size() && is_atom(t[i]) && upper(t[i].value) == w;
}

}  // namespace

std::optional<PartialRange> parse_partial_range(std::string_view text) {
  // partial-range = number ":" number (RFC 5267 section 6; RFC 9394 adds negative ranges,
  // which we do not offer). Ten digits at most: a uint32_t.
  const auto read = [](std::string_view digits) -> std::optional<uint32_t> {
    if (digits.empty() || digits.size() > 10) return std::nullopt;
    uint64_t n = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    if (n == 0 || n > UINT32_MAX) return std::nullopt;
    return static_cast<uint32_t>(n);
  };
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto a = read(text.substr(0, colon));
  auto b = read(text.substr(colon + 1));
  if (!a || !b) return std::nullopt;
  return PartialRange{std::min(*a, *b), std::max(*a, *b)};
}

std::optional<int64_t> parse_search_date(std::string_view s) {
  // date-day "-" date-month "-" date-year, date-day = 1*2DIGIT.
  static constexpr std::array<std::string_view, 12> kMonths = {
      "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  size_t dash = s.find('-');
  if (dash == 0 || dash > 2 || s.size() != dash + 9 || s[dash + 4] != '-') return std::nullopt;
  int day = 0;
  for (size_t i = 0; i < dash; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    day = day * 10 + (s[i] - '0');
  }
  const std::string month = upper(s.substr(dash + 1, 3));
  unsigned m = 0;
  while (m < 12 && kMonths[m] != month) ++m;
  if (m == 12) return std::nullopt;
  int year = 0;
  for (char c : s.substr(dash + 5)) {
    if (c < '0' || c > '9') return std::nullopt;
    year = year * 10 + (c - '0');
  }
  static constexpr int kDays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (day < 1 || day > kDays[m]) return std::nullopt;
  // Days from civil (H. Hinnant's algorithm), month 1-based.
  const int mon = static_cast<int>(m) + 1;
  const int y = year - (mon <= 2 ? 1 : 0);
  const int era = y / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<int64_t>(era) * 146097 + doe - 719468;
}

std::variant<Program, QueryError> parse_search(const imap::SearchArgs& args) {
  Program program;
  if (args.has_return) {
    if (auto e = read_return_options(args.return_options, program.ret)) return *e;
  }
  if (args.charset) {
    if (auto e = check_charset(*args.charset)) return *e;
  }
  return parse_keys(args.keys, 0, std::move(program));
}

std::variant<SortQuery, QueryError> parse_sort(const std::vector<Arg>& t) {
  SortQuery q;
  size_t i = 0;
  if (is_word(t, i, "RETURN")) {
    if (i + 1 >= t.size() || t[i + 1].kind != Arg::Kind::List)
      return bad("expected RETURN option list");
    if (auto e = read_return_options(t[i + 1].list, q.program.ret)) return *e;
    if (q.program.ret.save) return bad("SAVE is not a SORT return option");
    i += 2;
  }
  // sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"
  if (i >= t.size() || t[i].kind != Arg::Kind::List || t[i].list.empty())
    return bad("expected sort criteria");
  const auto& list = t[i].list;
  for (size_t k = 0; k < list.size(); ++k) {
    if (!is_atom(list[k])) return bad("invalid sort criterion");
    SortCriterion c;
    std::string name = upper(list[k].value);
    if (name == "REVERSE") {
      c.reverse = true;
      if (++k >= list.size() || !is_atom(list[k])) return bad("REVERSE needs a sort key");
      name = upper(list[k].value);
    }
    static constexpr std::array<std::string_view, 9> kNames = {
        "ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO"};
    size_t n = 0;
    while (n < kNames.size() && kNames[n] != name) ++n;
    if (n == kNames.size()) return bad("unknown sort key " + list[k].value);
    c.key = static_cast<SortKey>(n);
    q.criteria.push_back(c);
  }
  ++i;
  if (i >= t.size() || t[i].kind == Arg::Kind::List) return bad("expected a charset");
  if (auto e = check_charset(t[i].value)) return *e;
  auto program = parse_keys(t, i + 1, std::move(q.program));
  if (auto* e = std::get_if<QueryError>(&program)) return *e;
  q.program = std::move(std::get<Program>(program));
  return q;
}

std::variant<ThreadQuery, QueryError> parse_thread(const std::vector<Arg>& t) {
  ThreadQuery q;
  if (is_word(t, 0, "ORDEREDSUBJECT")) {
    q.algorithm = ThreadAlgorithm::OrderedSubject;
  } else if (is_word(t, 0, "REFERENCES")) {
    q.algorithm = ThreadAlgorithm::References;
  } else {
    return bad(t.empty() ? "expected a thread algorithm" : "unknown thread algorithm");
  }
  if (t.size() < 2 || t[1].kind == Arg::Kind::List) return bad("expected a charset");
  if (auto e = check_charset(t[1].value)) return *e;
  auto program = parse_keys(t, 2, std::move(q.program));
  if (auto* e = std::get_if<QueryError>(&program)) return *e;
  q.program = std::move(std::get<Program>(program));
  return q;
}

}  // namespace mail::imapd::search
