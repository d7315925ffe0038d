// RFC 5322 date parsing; see date.h.
#include "mime/date.h"

#include <strings.h>

#include <cstring>

#include <string>

#include "mime/rfc822_tokens.h"

namespace mail::mime {

namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

int to_int(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// RFC 5322 section 4.3 obs-zone; nullopt when the token is not a zone at all.
std::optional<int> parse_zone(std::string_view z) {
  if (z.size() == 5 && (z[0] == '+' || z[0] == '-') && all_digits(z.substr(1))) {
    int hh = to_int(z.substr(1, 2)), mm = to_int(z.substr(3, 2));
    if (mm > 59) return std::nullopt;
    int minutes = hh * 60 + mm;
    return z[0] == '-' ? -minutes : minutes;
  }
  static const struct {
    const char* name;
    int minutes;
  } kNamed[] = {{"UT", 0},        {"GMT", 0},       {"UTC", 0},       {"EST", -5 * 60},
                {"EDT", -4 * 60}, {"CST", -6 * 60}, {"CDT", -5 * 60}, {"MST", -7 * 60},
                {"MDT", -6 * 60}, {"PST", -8 * 60}, {"PDT", -7 * 60}};
  for (const auto& n : kNamed)
    if (z.size() == strlen(n.name) && strncasecmp(z.data(), n.name, z.size()) == 0)
      return n.minutes;
  return 0;  // military and unknown zones: treated as UTC
}

}  // namespace

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  // Howard Hinnant's algorithm.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::optional<DateTime> parse_date(std::string_view value) {
  Rfc822Tokens t(value);
  std::string tok;
  auto next = [&]() -> bool {
    tok.clear();
    if (t.at_end()) return false;
    return t.parse_atom(tok) >= 0 && !tok.empty();
  };
  t.skip_lwsp();
  if (!next()) return std::nullopt;
  if (!all_digits(tok)) {  // day-of-week ","
    if (t.peek() == ',') {
      t.advance();
      t.skip_lwsp();
    }
    if (!next()) return std::nullopt;
  }
  if (tok.size() > 2 || !all_digits(tok)) return std::nullopt;
  int day = to_int(tok);
  if (!next() || tok.size() < 3) return std::nullopt;
  static const char* const kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};
  int month = 0;
  for (int i = 0; i < 12; ++i)
    if (strncasecmp(tok.data(), kMonths[i], 3) == 0) month = i + 1;
  if (month == 0) return std::nullopt;
  if (!next() || !all_digits(tok) || tok.size() < 2 || tok.size() > 4) return std::nullopt;
  int year = to_int(tok);
  if (tok.size() == 2) year += year < 50 ? 2000 : 1900;  // RFC 5322 section 4.3
  if (tok.size() == 3) year += 1900;
  if (!next() || tok.size() > 2 || !all_digits(tok)) return std::nullopt;
  int hour = to_int(tok);
  if (t.peek() != ':' && t.peek() != '.') return std::nullopt;
  t.advance();
  t.skip_lwsp();
  if (!next() || tok.size() != 2 || !all_digits(tok)) return std::nullopt;
  int minute = to_int(tok);
  int second = 0;
  if (!t.at_end() && (t.peek() == ':' || t.peek() == '.')) {
    t.advance();
    t.skip_lwsp();
    if (!next() || tok.size() != 2 || !all_digits(tok)) return std::nullopt;
    second = to_int(tok);
  }
  int zone = 0;
  if (next()) {
    auto z = parse_zone(tok);
    if (!z) return std::nullopt;
    zone = *z;
  }
  static const int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (day < 1 || day > kDaysIn[month - 1] || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  DateTime dt;
  dt.utc_seconds = days * 86400 + hour * 3600 + minute * 60 + second - zone * 60LL;
  dt.zone_minutes = zone;
  return dt;
}

}  // namespace mail::mime
