// FETCH and STORE argument grammar: fetch attributes with sections and partials (RFC 9051
// section 6.4.5, RFC 3516 BINARY, RFC 7162 CONDSTORE/QRESYNC modifiers) and store-att-flags
// (RFC 9051 section 6.4.6). Input: untrusted bytes via Reader.
#include <string>
#include <string_view>
#include <unordered_map>

#include "imapd/protocol/arguments.h"
#include "imapd/protocol/parser_internal.h"

namespace mail::imap {
namespace detail {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// section-text after the part numbers (or alone): HEADER, HEADER.FIELDS[.NOT] (list), TEXT,
// MIME (only after part numbers).
bool read_section_text(Reader& r, Section& s) {
  auto kw = r.keyword();
  if (!kw) return false;
  if (*kw == "HEADER") {
    s.text = Section::Text::Header;
  } else if (*kw == "TEXT") {
    s.text = Section::Text::Text;
  } else if (*kw == "MIME") {
    if (s.part.empty()) return r.fail("MIME requires a part number");
    s.text = Section::Text::Mime;
  } else if (*kw == "HEADER.FIELDS" || *kw == "HEADER.FIELDS.NOT") {
    s.text = *kw == "HEADER.FIELDS" ? Section::Text::HeaderFields : Section::Text::HeaderFieldsNot;
    // header-list = "(" header-fld-name *(SP header-fld-name) ")"
    if (!r.sp() || !r.expect('(', "expected header list")) return false;
    while (true) {
      auto field = r.astring();
      if (!field) return false;
      s.fields.push_back(std::move(*field));
      if (r.consume(')')) break;
      if (!r.expect(' ', "expected SP or ')' in header list")) return false;
    }
  } else {
    return r.fail("unknown section " + *kw);
  }
  return true;
}

// "[" [section-spec] "]"; binary sections allow part numbers only.
bool read_section(Reader& r, Section& s, bool binary) {
  if (!r.expect('[', "expected '['")) return false;
  if (r.consume(']')) return true;
  if (!is_digit(r.peek())) {
    if (binary) return r.fail("BINARY section must be part numbers");
    if (!read_section_text(r, s)) return false;
    return r.expect(']', "expected ']'");
  }
  while (true) {
    auto n = r.nz_number();
    if (!n) return false;
    s.part.push_back(*n);
    if (!r.consume('.')) break;
    if (is_digit(r.peek())) continue;
    if (binary) return r.fail("BINARY section must be part numbers");
    if (!read_section_text(r, s)) return false;
    break;
  }
  return r.expect(']', "expected ']'");
}

// "<" number "." nz-number ">"
bool read_partial(Reader& r, std::optional<Partial>& out) {
  if (!r.consume('<')) return true;
  Partial p;
  auto offset = r.number();
  if (!offset || !r.expect('.', "expected '.' in partial")) return false;
  auto length = r.nz_number();
  if (!length || !r.expect('>', "expected '>'")) return false;
  p.offset = *offset;
  p.length = *length;
  out = p;
  return true;
}

}  // namespace

bool read_fetch_att(Reader& r, std::vector<FetchItem>& out, bool macros_allowed) {
  auto name = r.keyword();
  if (!name) return false;
  const std::string& n = *name;
  auto simple = [&](FetchAttr a) {
    FetchItem item;
    item.attr = a;
    out.push_back(std::move(item));
    return true;
  };
  if (macros_allowed && (n == "ALL" || n == "FAST" || n == "FULL")) {
    // RFC 9051 section 6.4.5: the macros.
    simple(FetchAttr::Flags);
    simple(FetchAttr::InternalDate);
    simple(FetchAttr::Rfc822Size);
    if (n != "FAST") simple(FetchAttr::Envelope);
    if (n == "FULL") simple(FetchAttr::Body);
    return true;
  }
  if (n == "FLAGS") return simple(FetchAttr::Flags);
  if (n == "UID") return simple(FetchAttr::Uid);
  if (n == "INTERNALDATE") return simple(FetchAttr::InternalDate);
  if (n == "RFC822.SIZE") return simple(FetchAttr::Rfc822Size);
  if (n == "RFC822") return simple(FetchAttr::Rfc822);
  if (n == "RFC822.HEADER") return simple(FetchAttr::Rfc822Header);
  if (n == "RFC822.TEXT") return simple(FetchAttr::Rfc822Text);
  if (n == "ENVELOPE") return simple(FetchAttr::Envelope);
  if (n == "BODYSTRUCTURE") return simple(FetchAttr::BodyStructure);
  if (n == "MODSEQ") return simple(FetchAttr::ModSeq);
  if (n == "BODY" && r.peek() != '[') return simple(FetchAttr::Body);
  FetchItem item;
  bool binary = false;
  if (n == "BODY" || n == "BODY.PEEK") {
    item.attr = FetchAttr::BodySection;
  } else if (n == "BINARY" || n == "BINARY.PEEK" || n == "BINARY.SIZE") {
    item.attr = n == "BINARY.SIZE" ? FetchAttr::BinarySize : FetchAttr::Binary;
    binary = true;
  } else {
    return r.fail("unknown fetch attribute " + n);
  }
  item.peek = n.ends_with(".PEEK");
  if (!read_section(r, item.section, binary)) return false;
  if (item.attr != FetchAttr::BinarySize && !read_partial(r, item.partial)) return false;
  out.push_back(std::move(item));
  return true;
}

namespace {

// fetch-modifiers (RFC 7162 section 3.1.4.1, 3.2.6): "(" modifier *(SP modifier) ")"
bool read_fetch_modifiers(Reader& r, FetchArgs& a, bool uid) {
  if (!r.expect('(', "expected fetch modifiers")) return false;
  while (true) {
    auto kw = r.keyword();
    if (!kw) return false;
    if (*kw == "CHANGEDSINCE") {
      if (!r.sp()) return false;
      auto v = r.number64();
      if (!v) return false;
      a.changed_since = *v;
    } else if (*kw == "VANISHED") {
      if (!uid) return r.fail("VANISHED requires UID FETCH");
      a.vanished = true;
    } else {
      return r.fail("unknown fetch modifier " + *kw);
    }
    if (r.consume(')')) break;
    if (!r.expect(' ', "expected SP or ')' in modifiers")) return false;
  }
  if (a.vanished && !a.changed_since) return r.fail("VANISHED requires CHANGEDSINCE");
  return true;
}

// A key naming what an item answers with, PEEK aside: BODY[] and BODY.PEEK[] give the
// same "BODY[]" data item.
std::string item_key(const FetchItem& item) {
  std::string key;
  key += static_cast<char>('A' + static_cast<int>(item.attr));
  key += static_cast<char>('0' + static_cast<int>(item.section.text));
  for (uint32_t n : item.section.part) key += std::to_string(n) + '.';
  for (const auto& field : item.section.fields) {
    key += std::to_string(field.size()) + ':';
    key += field;
  }
  if (item.partial)
    key += '<' + std::to_string(item.partial->offset) + '.' + std::to_string(item.partial->length) +
           '>';
  return key;
}

// Keeps the first of each item named more than once ("RFC822 RFC822 ..." asks for one
// copy of the message, not thousands); a non-PEEK twin wins over PEEK (it sets \Seen).
// Linear in the number of items.
}  // namespace

void remove_duplicate_items(std::vector<FetchItem>& items) {
  std::unordered_map<std::string, size_t> seen;
  std::vector<FetchItem> kept;
  kept.reserve(items.size());
  for (auto& item : items) {
    auto [it, inserted] = seen.try_emplace(item_key(item), kept.size());
    if (inserted) {
      kept.push_back(std::move(item));
    } else {
      kept[it->second].peek = kept[it->second].peek && item.peek;
    }
  }
  items = std::move(kept);
}

}  // namespace detail

namespace args {

std::optional<Section> parse_section_spec(std::string_view spec, bool binary) {
  const std::string bracketed = "[" + std::string(spec) + "]";
  Reader r(bracketed);
  Section section;
  if (!detail::read_section(r, section, binary) || !r.at_end()) return std::nullopt;
  return section;
}

using detail::remove_duplicate_items;

using detail::read_fetch_att;
using detail::read_fetch_modifiers;
using detail::read_sequence_set;

// fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att /
//         "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]
bool fetch(Reader& r, Command& cmd) {
  FetchArgs a;
  if (!r.sp()) return false;
  auto set = read_sequence_set(r);
  if (!set || !r.sp()) return false;
  a.set = std::move(*set);
  if (r.consume('(')) {
    while (true) {
      if (!read_fetch_att(r, a.items, false)) return false;
      if (r.consume(')')) break;
      if (!r.expect(' ', "expected SP or ')' in fetch attributes")) return false;
    }
  } else if (!read_fetch_att(r, a.items, true)) {
    return false;
  }
  if (r.consume(' ') && !read_fetch_modifiers(r, a, cmd.uid)) return false;
  remove_duplicate_items(a.items);
  cmd.args = std::move(a);
  return true;
}

// store = "STORE" SP sequence-set [SP "(" "UNCHANGEDSINCE" SP mod-sequence-valzer ")"]
//         SP store-att-flags
// store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag)))
bool store(Reader& r, Command& cmd) {
  StoreArgs a;
  if (!r.sp()) return false;
  auto set = read_sequence_set(r);
  if (!set || !r.sp()) return false;
  a.set = std::move(*set);
  if (r.consume('(')) {
    auto kw = r.keyword();
    if (!kw || *kw != "UNCHANGEDSINCE") return r.fail("expected UNCHANGEDSINCE");
    if (!r.sp()) return false;
    auto v = r.number64();
    if (!v || !r.expect(')', "expected ')'") || !r.sp()) return false;
    a.unchanged_since = *v;
  }
  if (r.consume('+')) {
    a.mode = StoreMode::Add;
  } else if (r.consume('-')) {
    a.mode = StoreMode::Remove;
  }
  auto kw = r.keyword();
  if (!kw) return false;
  if (*kw == "FLAGS.SILENT") {
    a.silent = true;
  } else if (*kw != "FLAGS") {
    return r.fail("expected FLAGS or FLAGS.SILENT");
  }
  if (!r.sp()) return false;
  if (r.peek() == '(') {
    auto flags = r.flag_list();
    if (!flags) return false;
    a.flags = std::move(*flags);
  } else {
    do {
      auto f = r.flag();
      if (!f) return false;
      a.flags.push_back(std::move(*f));
    } while (r.consume(' '));
  }
  cmd.args = std::move(a);
  return true;
}

}  // namespace args
}  // namespace mail::imap
