// Search program evaluation; see match.h.
#include "imapd/search/match.h"

#include <algorithm>
#include <cctype>

#include "mime/address.h"
#include "mime/header.h"

namespace mail::imapd::search {

namespace {

constexpr int64_t kSecondsPerDay = 86400;

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

bool in_ranges(const std::vector<imap::SequenceRange>& ranges, uint32_t n) {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), n,
                             [](uint32_t v, const imap::SequenceRange& r) { return v < r.first; });
  return it != ranges.begin() && std::prev(it)->last >= n;
}

bool equal_icase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };
           return lower(static_cast<unsigned char>(x)) == lower(static_cast<unsigned char>(y));
         });
}

bool compare_day(DateOp op, int64_t day, int64_t wanted) {
  switch (op) {
    case DateOp::Before:
      return day < wanted;
    case DateOp::On:
      return day == wanted;
    case DateOp::Since:
      return day >= wanted;
  }
  return false;
}

// Relative cost of a key, so an And tries cheap keys first.
int cost_of(const Key& k) {
  switch (k.kind) {
    case Key::Kind::Header:
      return 2;
    case Key::Kind::Date:
      return k.date_field == DateField::Sent ? 1 : 0;
    case Key::Kind::Body:
    case Key::Kind::Text:
      return 3;
    default:
      return 0;
  }
}

}  // namespace

struct Matcher::Node {
  const Key* key = nullptr;
  int cost = 0;
  std::unique_ptr<mime::TextMatcher> text;
  // A raw header that lacks the key (and has no encoded words) lacks it decoded too,
  // when the key is ASCII without whitespace (unfolding cannot create a match).
  bool raw_header_reject = false;
  std::vector<imap::SequenceRange> ranges;  // Sequence, Uid: normalised
  std::vector<Node> children;
};

struct Matcher::Message {
  const store::MessageView& view;
  uint32_t seq;
  std::optional<mime::MessageSummary> summary;
  bool summary_tried = false;

  const mime::MessageSummary* get_summary() {
    if (!summary_tried) {
      summary_tried = true;
      if (!view.summary.empty()) {
        auto decoded = mime::decode_summary(view.summary);
        if (decoded) summary = std::move(*decoded);
      }
    }
    return summary ? &*summary : nullptr;
  }
  std::string_view header() const {
    return view.body.substr(0, std::min<size_t>(view.info.header_size, view.body.size()));
  }
};

namespace {

void compile(const Key& k, Matcher::Node& n, const SessionFacts& facts) {
  n.key = &k;
  n.cost = cost_of(k);
  switch (k.kind) {
    case Key::Kind::Header:
    case Key::Kind::Body:
    case Key::Kind::Text: {
      n.text = std::make_unique<mime::TextMatcher>(k.value);
      const auto& folded = n.text->folded_key();
      n.raw_header_reject = n.text->key_is_ascii() && !folded.empty() &&
                            folded.find_first_of(" \t\r\n") == std::string::npos;
      break;
    }
    case Key::Kind::Sequence:
      n.ranges = k.set.normalized(facts.exists);
      break;
    case Key::Kind::Uid:
      n.ranges = k.set.normalized(facts.max_uid);
      break;
    default:
      break;
  }
  for (const Key& child : k.children) {
    n.children.emplace_back();
    compile(child, n.children.back(), facts);
    n.cost = std::max(n.cost, n.children.back().cost);
  }
  if (k.kind == Key::Kind::And)
    std::stable_sort(
        n.children.begin(), n.children.end(),
        [](const Matcher::Node& a, const Matcher::Node& b) { return a.cost < b.cost; });
}

bool is_address_field(std::string_view field) {
  for (std::string_view name : {"from", "to", "cc", "bcc", "sender", "reply-to"}) {
    if (field.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i)
      same = static_cast<char>(std::tolower(static_cast<unsigned char>(field[i]))) == name[i];
    if (same) return true;
  }
  return false;
}

// An address field as its parsed addresses, "Name <mailbox@domain>, ...": comments and
// odd spacing gone, so "FROM user@domain.org" finds "<user (c)@ (c) domain.org>" too, as
// in Dovecot (imaptest "search-addresses").
std::string normalized_addresses(std::string_view value) {
  std::string out;
  for (const mime::Address& a : mime::parse_address_list(value)) {
    if (a.is_group_start() || a.is_group_end()) continue;
    if (!out.empty()) out += ", ";
    if (a.name) out += *a.name + " ";
    out += "<" + a.mailbox.value_or("") + "@" + a.domain.value_or("") + ">";
  }
  return out;
}

bool header_contains(std::string_view header, std::string_view field, const mime::TextMatcher& m,
                     bool raw_reject) {
  const bool address = is_address_field(field);
  if (raw_reject && !address && header.find("=?") == std::string_view::npos && !m.find_in(header))
    return false;
  for (const std::string& value : mime::decoded_header_values(header, field)) {
    if (m.empty() || m.find_in(value)) return true;
    if (address && m.find_in(normalized_addresses(value))) return true;
  }
  return false;
}

}  // namespace

Matcher::Matcher(const Program& program, SessionFacts facts)
    : root_(std::make_unique<Node>()), facts_(std::move(facts)) {
  compile(program.root, *root_, facts_);
  if (program.needs.body) parts_ |= store::kPartBody;
  if (program.needs.summary) parts_ |= store::kPartSummary;
}

Matcher::~Matcher() = default;

bool Matcher::matches(const store::MessageView& m, uint32_t seq) {
  Message message{m, seq, std::nullopt, false};
  return eval(*root_, message);
}

bool Matcher::eval(const Node& n, Message& m) const {
  const Key& k = *n.key;
  const store::MessageInfo& info = m.view.info;
  switch (k.kind) {
    case Key::Kind::All:
      return true;
    case Key::Kind::Nothing:
      return false;
    case Key::Kind::And:
      for (const Node& c : n.children)
        if (!eval(c, m)) return false;
      return true;
    case Key::Kind::Or:
      return eval(n.children[0], m) || eval(n.children[1], m);
    case Key::Kind::Not:
      return !eval(n.children[0], m);
    case Key::Kind::Sequence:
      return in_ranges(n.ranges, m.seq);
    case Key::Kind::Uid:
      return in_ranges(n.ranges, info.uid);
    case Key::Kind::SavedResult:
      return facts_.saved != nullptr && facts_.saved->contains(info.uid);
    case Key::Kind::FlagSet:
      return (info.flags.system & k.flag) != 0;
    case Key::Kind::FlagClear:
      return (info.flags.system & k.flag) == 0;
    case Key::Kind::Keyword:
    case Key::Kind::Unkeyword: {
      const bool has = std::any_of(info.flags.keywords.begin(), info.flags.keywords.end(),
                                   [&](const std::string& kw) { return equal_icase(kw, k.text); });
      return has == (k.kind == Key::Kind::Keyword);
    }
    case Key::Kind::Recent:
    case Key::Kind::New:
    case Key::Kind::Old: {
      const bool recent = facts_.recent && facts_.recent(info.uid);
      if (k.kind == Key::Kind::Old) return !recent;
      if (k.kind == Key::Kind::New) return recent && !(info.flags.system & store::kSeen);
      return recent;
    }
    case Key::Kind::Date: {
      int64_t day = floor_div(info.internal_date, kSecondsPerDay);
      if (k.date_field == DateField::Sent) {
        // The date as written in the Date field, in its own zone (RFC 9051 6.4.4:
        // "disregarding time and timezone"); without one, the internal date (as for SORT).
        const mime::MessageSummary* s = m.get_summary();
        if (s != nullptr && s->sort.has_date)
          day = floor_div(s->sort.date + int64_t{s->sort.zone_minutes} * 60, kSecondsPerDay);
      }
      return compare_day(k.date_op, day, k.day);
    }
    case Key::Kind::Larger:
      return info.size > k.number;
    case Key::Kind::Smaller:
      return info.size < k.number;
    case Key::Kind::ModSeq:
      return info.modseq >= k.number;
    case Key::Kind::Header:
      return header_contains(m.header(), k.text, *n.text, n.raw_header_reject);
    case Key::Kind::Body:
    case Key::Kind::Text: {
      const mime::MessageSummary* s = m.get_summary();
      if (s == nullptr) {
        // No summary (a store without analysis): the raw octets are all there is.
        std::string_view where =
            k.kind == Key::Kind::Text ? m.view.body : m.view.body.substr(m.header().size());
        return n.text->find_in(where);
      }
      return k.kind == Key::Kind::Text ? mime::message_text_contains(m.view.body, *s, *n.text)
                                       : mime::message_body_contains(m.view.body, *s, *n.text);
    }
  }
  return false;
}

std::vector<store::UidRange> candidate_ranges(const Program& program, const SessionFacts& facts,
                                              const std::function<uint32_t(uint32_t)>& uid_of_seq) {
  std::vector<store::UidRange> out;
  if (facts.max_uid == 0 || facts.exists == 0) return out;
  // Start with everything the client knows, then intersect with each narrowing key.
  std::vector<imap::SequenceRange> current = {{1, facts.max_uid}};
  auto intersect = [&](const std::vector<imap::SequenceRange>& with) {
    std::vector<imap::SequenceRange> next;
    size_t i = 0, j = 0;
    while (i < current.size() && j < with.size()) {
      const uint32_t lo = std::max(current[i].first, with[j].first);
      const uint32_t hi = std::min(current[i].last, with[j].last);
      if (lo <= hi) next.push_back({lo, hi});
      (current[i].last < with[j].last) ? ++i : ++j;
    }
    current = std::move(next);
  };
  for (const Key& k : program.root.children) {
    if (k.kind == Key::Kind::Uid) {
      intersect(k.set.normalized(facts.max_uid));
    } else if (k.kind == Key::Kind::SavedResult) {
      intersect(facts.saved ? facts.saved->uid_ranges() : std::vector<imap::SequenceRange>{});
    } else if (k.kind == Key::Kind::Sequence) {
      std::vector<imap::SequenceRange> uids;
      for (const auto& r : k.set.normalized(facts.exists))
        uids.push_back({uid_of_seq(r.first), uid_of_seq(r.last)});
      intersect(uids);
    }
  }
  out.reserve(current.size());
  for (const auto& r : current) out.push_back({r.first, r.last});
  return out;
}

}  // namespace mail::imapd::search
