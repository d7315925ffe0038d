// RFC 5322 section 3.3 date-time (and the obsolete forms of section 4.3: 2- and 3-digit
// years, alphabetic zones, comments and extra whitespace anywhere) to UTC seconds plus the
// zone offset. Input: an unfolded Date header value, any bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mail::mime {

struct DateTime {
  int64_t utc_seconds = 0;  // seconds since 1970-01-01T00:00:00Z
  int zone_minutes = 0;     // offset of the written local time from UTC (+0100 -> 60)
  bool operator==(const DateTime&) const = default;
};

// nullopt when the value is not a date. The weekday is optional and not checked against
// the date; seconds are optional; a missing or unknown zone, a military zone and "-0000"
// all mean UTC (RFC 5322 section 4.3: military zones were defined with the wrong sign,
// so they carry no information). "." is accepted as the time separator.
std::optional<DateTime> parse_date(std::string_view value);

// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12).
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);

}  // namespace mail::mime
