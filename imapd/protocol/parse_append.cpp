// APPEND argument grammar (RFC 9051 section 6.3.12, RFC 3502 MULTIAPPEND, RFC 3516 literal8,
// RFC 6855 UTF8, RFC 4469 CATENATE) and the date-time syntax it uses. Input: untrusted
// bytes via Reader.
#include <array>
#include <string_view>

#include "imapd/protocol/arguments.h"
#include "imapd/protocol/parser_internal.h"

namespace mail::imap {
namespace detail {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

std::optional<int64_t> parse_date_time_text(std::string_view t) {
  // "dd-Mon-yyyy hh:mm:ss +zzzz", day may be " d" (date-day-fixed); exactly 26 characters.
  if (t.size() != 26) return std::nullopt;
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0, zone = 0;
  std::string_view day_text = t.substr(0, 2);
  if (day_text[0] == ' ') {
    if (!digits(t, 1, 1, day)) return std::nullopt;
  } else if (!digits(t, 0, 2, day)) {
    return std::nullopt;
  }
  static constexpr std::array<std::string_view, 12> kMonths = {
      "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  if (t[2] != '-' || t[6] != '-' || t[11] != ' ' || t[14] != ':' || t[17] != ':' || t[20] != ' ' ||
      (t[21] != '+' && t[21] != '-')) {
    return std::nullopt;
  }
  std::string mon = to_upper(t.substr(3, 3));
  unsigned month = 0;
  for (unsigned i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == mon) month = i + 1;
  }
  if (month == 0 || !digits(t, 7, 4, year) || !digits(t, 12, 2, hh) || !digits(t, 15, 2, mm) ||
      !digits(t, 18, 2, ss) || !digits(t, 22, 4, zone)) {
    return std::nullopt;
  }
  if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || zone % 100 > 59) return std::nullopt;
  int64_t offset = (zone / 100) * 3600 + (zone % 100) * 60;
  if (t[21] == '-') offset = -offset;
  int64_t local =
      days_from_civil(year, month, static_cast<unsigned>(day)) * 86400 + hh * 3600 + mm * 60 + ss;
  return local - offset;
}

}  // namespace

std::optional<DateTime> read_date_time(Reader& r) {
  if (r.peek() != '"') {
    r.fail("expected date-time");
    return std::nullopt;
  }
  auto text = r.string();
  if (!text) return std::nullopt;
  auto seconds = parse_date_time_text(*text);
  if (!seconds) {
    r.fail("invalid date-time");
    return std::nullopt;
  }
  return DateTime{std::move(*text), *seconds};
}

}  // namespace detail

namespace {

// "UTF8" SP "(" literal8 ")" (RFC 6855 section 4), after the caller has read "UTF8".
bool read_utf8_literal(Reader& r, std::string& out, bool& binary) {
  if (!r.sp() || !r.expect('(', "expected '(' after UTF8")) return false;
  if (r.peek() != '~') return r.fail("expected literal8 after UTF8");
  auto octets = r.string(true, &binary);
  if (!octets || !r.expect(')', "expected ')' after UTF8 literal")) return false;
  out = std::move(*octets);
  return true;
}

// cat-part     = text-literal / url                         (RFC 4469 section 5)
// text-literal = "TEXT" SP literal   (literal8 accepted too, as for append-data, RFC 3516)
// url          = "URL" SP astring
// cat-part    =/ "UTF8" SP "(" literal8 ")"                  (RFC 6855 section 4)
bool read_cat_part(Reader& r, CatenatePart& part) {
  auto word = r.atom();
  if (!word) return r.fail("expected TEXT or URL");
  const std::string kind = to_upper(*word);
  if (kind == "URL") {
    if (!r.sp()) return false;
    auto url = r.astring();
    if (!url) return false;
    part.kind = CatenatePart::Kind::Url;
    part.data = std::move(*url);
    return true;
  }
  part.kind = CatenatePart::Kind::Text;
  if (kind == "UTF8") {
    part.utf8 = true;
    return read_utf8_literal(r, part.data, part.binary);
  }
  if (kind != "TEXT") return r.fail("expected TEXT or URL");
  if (!r.sp()) return false;
  if (r.peek() != '{' && r.peek() != '~') return r.fail("expected literal after TEXT");
  auto text = r.string(true, &part.binary);
  if (!text) return false;
  part.data = std::move(*text);
  return true;
}

// append-data =/ "CATENATE" SP "(" cat-part *(SP cat-part) ")" (RFC 4469 section 5), after
// the caller has read "CATENATE".
bool read_catenate(Reader& r, std::vector<CatenatePart>& parts) {
  if (!r.sp() || !r.expect('(', "expected '(' after CATENATE")) return false;
  do {
    CatenatePart part;
    if (!read_cat_part(r, part)) return false;
    parts.push_back(std::move(part));
  } while (r.consume(' '));
  return r.expect(')', "expected ')' after CATENATE parts");
}

// append-message = [SP flag-list] [SP date-time] SP append-data (RFC 3502, RFC 4466)
// append-data    = literal / literal8 / "UTF8" SP "(" literal8 ")" (RFC 6855 section 4)
//                / "CATENATE" SP "(" cat-part *(SP cat-part) ")" (RFC 4469 section 5)
bool read_append_message(Reader& r, AppendMessage& m) {
  if (!r.sp()) return false;
  if (r.peek() == '(') {
    auto flags = r.flag_list();
    if (!flags || !r.sp()) return false;
    m.flags = std::move(*flags);
  }
  if (r.peek() == '"') {
    auto dt = detail::read_date_time(r);
    if (!dt || !r.sp()) return false;
    m.date_time = std::move(*dt);
  }
  if (r.peek() != '{' && r.peek() != '~') {
    auto word = r.atom();
    if (!word) return r.fail("expected message literal");
    const std::string form = to_upper(*word);
    if (form == "CATENATE") return read_catenate(r, m.catenate);
    if (form != "UTF8") return r.fail("expected message literal");
    m.utf8 = true;
    return read_utf8_literal(r, m.message, m.binary);
  }
  auto message = r.string(true, &m.binary);
  if (!message) return false;
  m.message = std::move(*message);
  return true;
}

}  // namespace

// append = "APPEND" SP mailbox 1*append-message (RFC 9051 section 6.3.12, RFC 3502)
bool args::append(Reader& r, Command& cmd) {
  AppendArgs a;
  if (!r.sp()) return false;
  auto name = r.mailbox();
  if (!name) return false;
  a.mailbox = std::move(*name);
  do {
    AppendMessage m;
    if (!read_append_message(r, m)) return false;
    a.messages.push_back(std::move(m));
  } while (r.peek() == ' ');
  cmd.args = std::move(a);
  return true;
}

}  // namespace mail::imap
