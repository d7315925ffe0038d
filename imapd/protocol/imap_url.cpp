// IMAP URL parser (RFC 5092 section 9 grammar, RFC 4467 section 2.1 for URLAUTH).
// A URL is a sequence of components; ";KEY=" parameters may be introduced by "/;" (a new
// path segment: ;UID, ;SECTION, ;PARTIAL) or ";" (within a segment: ;UIDVALIDITY,
// ;EXPIRE, ;URLAUTH). Mailbox and section values may contain "/", so a value runs to the
// next ";" and a "/" right before it belongs to the next parameter's introducer.
#include "imapd/protocol/imap_url.h"

#include <array>

namespace mail::imap {
namespace {

constexpr std::string_view kScheme = "imap://";
constexpr size_t kMaxNumberDigits = 10;  // 4294967295

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'f');
}
int hex_value(char c) {
  return is_digit(c) ? c - '0' : lower(c) - 'a' + 10;
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (lower(text[i]) != lower(prefix[i])) return false;
  return true;
}

// RFC 5092 section 9: unreserved / sub-delims-sh (uchar without pct-encoded).
bool is_uchar(char c) {
  if (is_alpha(c) || is_digit(c)) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':  // unreserved
    case '!':
    case '$':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
      return true;
    default:
      return false;
  }
}
bool is_achar(char c) {
  return is_uchar(c) || c == '&' || c == '=' || c == '~';
}
bool is_bchar(char c) {
  return is_achar(c) || c == ':' || c == '@' || c == '/';
}
// RFC 3986 reg-name: unreserved / sub-delims (pct-encoded handled by decode()).
bool is_reg_name_char(char c) {
  return is_uchar(c) || c == '&' || c == ';' || c == '=';
}

Error invalid(std::string message) {
  return make_error(ErrorKind::Invalid, std::move(message));
}

// Percent-decodes raw, whose literal characters must satisfy allowed. NUL, even escaped,
// is refused: no component (user, mailbox, section) may hold it.
template <typename Allowed>
std::optional<std::string> decode(std::string_view raw, Allowed allowed) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '%') {
      if (i + 2 >= raw.size() || !is_hex(raw[i + 1]) || !is_hex(raw[i + 2])) return std::nullopt;
      const char d = static_cast<char>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2]));
      if (d == '\0') return std::nullopt;
      out.push_back(d);
      i += 2;
    } else if (allowed(c)) {
      out.push_back(c);
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::optional<uint32_t> parse_number(std::string_view digits, bool nonzero) {
  if (digits.empty() || digits.size() > kMaxNumberDigits) return std::nullopt;
  uint64_t v = 0;
  for (const char c : digits) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > UINT32_MAX) return std::nullopt;
  if (nonzero && (v == 0 || digits[0] == '0')) return std::nullopt;  // nz-number
  return static_cast<uint32_t>(v);
}

// Reads the URL left to right. pending_slash: the "/" that ended the last value and
// introduces the next parameter.
class UrlReader {
 public:
  explicit UrlReader(std::string_view url) : url_(url) {}

  bool at_end() const { return pos_ >= url_.size(); }
  size_t pos() const { return pos_; }
  char peek() const { return url_[pos_]; }
  bool consume(char c) {
    if (at_end() || url_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool consume_ci(std::string_view prefix) {
    if (!starts_with_ci(url_.substr(pos_), prefix)) return false;
    pos_ += prefix.size();
    return true;
  }

  // Characters up to (not including) any of stops, or the end.
  std::string_view take_until(std::string_view stops) {
    const size_t end = url_.find_first_of(stops, pos_);
    const size_t stop = end == std::string_view::npos ? url_.size() : end;
    const std::string_view out = url_.substr(pos_, stop - pos_);
    pos_ = stop;
    return out;
  }

  // A mailbox or section value: up to ";" or "?" (mailbox only); a trailing "/" before ";"
  // is the next parameter's.
  std::string_view take_value(bool stop_at_query) {
    std::string_view raw = take_until(stop_at_query ? ";?" : ";");
    if (!raw.empty() && raw.back() == '/' && !at_end() && peek() == ';') {
      raw.remove_suffix(1);
      pending_slash_ = true;
    }
    return raw;
  }

  // Opens the next parameter: "/;KEY=" (segment) or ";KEY=". Returns false, consuming
  // nothing, when the input does not continue with key in that form.
  bool param(std::string_view key, bool segment) {
    const size_t saved = pos_;
    const bool slash = pending_slash_ || consume('/');
    if (slash != segment || !consume(';') || !consume_ci(key) || !consume('=')) {
      pos_ = saved;
      return false;
    }
    pending_slash_ = false;
    return true;
  }
  bool pending_slash() const { return pending_slash_; }

 private:
  std::string_view url_;
  size_t pos_ = 0;
  bool pending_slash_ = false;
};

Result<uint32_t> number_param(UrlReader& r, std::string_view name, bool nonzero) {
  const auto n = parse_number(r.take_until("/;?"), nonzero);
  if (!n) return invalid("bad " + std::string(name) + " number");
  return *n;
}

// [iuserinfo "@"] host [":" port], the authority of an absolute URL.
Result<void> parse_server(std::string_view authority, ImapUrl& url) {
  const size_t at = authority.find('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    const size_t semi = userinfo.find(';');
    if (semi != std::string_view::npos) {
      std::string_view auth = userinfo.substr(semi);
      userinfo = userinfo.substr(0, semi);
      if (!starts_with_ci(auth, ";AUTH=")) return invalid("bad userinfo parameter");
      auth.remove_prefix(6);
      if (auth == "*") {
        url.auth_type = "*";
      } else {
        auto type = decode(auth, is_achar);
        if (!type || type->empty()) return invalid("bad AUTH type");
        url.auth_type = std::move(*type);
      }
    } else if (userinfo.empty()) {
      return invalid("empty user");
    }
    if (!userinfo.empty()) {
      auto user = decode(userinfo, is_achar);
      if (!user) return invalid("bad user");
      url.user = std::move(*user);
    }
  }
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return invalid("bad IP literal");
    for (const char c : host.substr(1, close - 1))
      if (!is_hex(c) && c != ':' && c != '.' && !is_alpha(c)) return invalid("bad IP literal");
    url.host = std::string(host.substr(0, close + 1));
    host.remove_prefix(close + 1);
    if (!host.empty() && host.front() != ':') return invalid("bad IP literal");
  } else {
    const size_t colon = host.find(':');
    auto name = decode(host.substr(0, colon), is_reg_name_char);
    if (!name) return invalid("bad host");
    url.host = std::move(*name);
    host.remove_prefix(colon == std::string_view::npos ? host.size() : colon);
  }
  if (url.host.empty()) return invalid("empty host");
  if (!host.empty()) {  // ":" port
    host.remove_prefix(1);
    const auto port = parse_number(host, false);
    if (!port || *port > 65535 || host.size() > 5) return invalid("bad port");
    url.port = static_cast<uint16_t>(*port);
  }
  return {};
}

// ";URLAUTH=" access [":" mechanism ":" token], after its key; RFC 4467 section 2.1.
Result<void> parse_urlauth(UrlReader& r, ImapUrl& url) {
  const std::string_view access = r.take_until(":");
  if (starts_with_ci(access, "submit+") || starts_with_ci(access, "user+")) {
    const bool submit = lower(access[0]) == 's';
    auto user = decode(access.substr(submit ? 7 : 5), is_achar);
    if (!user || user->empty()) return invalid("bad URLAUTH access user");
    url.access_kind = submit ? UrlAccess::Submit : UrlAccess::User;
    url.access_user = std::move(*user);
  } else if (starts_with_ci(access, "authuser") && access.size() == 8) {
    url.access_kind = UrlAccess::AuthUser;
  } else if (starts_with_ci(access, "anonymous") && access.size() == 9) {
    url.access_kind = UrlAccess::Anonymous;
  } else {
    return invalid("bad URLAUTH access identifier");
  }
  url.access = std::string(access);
  url.rump_length = r.pos();
  if (r.at_end()) return {};
  r.consume(':');
  const std::string_view mechanism = r.take_until(":");
  if (mechanism.empty() || !r.consume(':')) return invalid("bad URLAUTH verifier");
  for (const char c : mechanism)
    if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.') return invalid("bad mechanism");
  const std::string_view token = r.take_until("");
  if (token.size() < 32) return invalid("URLAUTH token too short");
  for (const char c : token)
    if (!is_hex(c)) return invalid("bad URLAUTH token");
  url.mechanism = std::string(mechanism);
  url.token = std::string(token);
  return {};
}

// After ";UID=n": ["/;SECTION=s"] ["/;PARTIAL=o[.l]"], then, in absolute URLs only,
// [";EXPIRE=t"] [";URLAUTH=..."]. first_section/first_partial: the message-relative forms,
// whose first parameter has no "/" before it.
Result<void> parse_message_tail(UrlReader& r, ImapUrl& url, bool section_first,
                                bool partial_first) {
  if (section_first || (!partial_first && r.param("SECTION", true))) {
    auto section = decode(r.take_value(false), is_bchar);
    if (!section || section->empty()) return invalid("bad SECTION");
    url.section = std::move(*section);
  }
  if (partial_first || r.param("PARTIAL", true)) {
    const std::string_view range = r.take_until("/;");
    const size_t dot = range.find('.');
    const auto offset = parse_number(range.substr(0, dot), false);
    if (!offset) return invalid("bad PARTIAL offset");
    UrlPartial partial{*offset, std::nullopt};
    if (dot != std::string_view::npos) {
      const auto length = parse_number(range.substr(dot + 1), true);
      if (!length) return invalid("bad PARTIAL length");
      partial.length = *length;
    }
    url.partial = partial;
  }
  if (url.absolute && r.param("EXPIRE", false)) {
    const std::string_view when = r.take_until(";");
    url.expire_unix = parse_rfc3339(when);
    if (!url.expire_unix) return invalid("bad EXPIRE date-time");
    url.expire = std::string(when);
    if (!r.param("URLAUTH", false)) return invalid("EXPIRE without URLAUTH");
    return parse_urlauth(r, url);
  }
  if (url.absolute && r.param("URLAUTH", false)) return parse_urlauth(r, url);
  if (!r.at_end() || r.pending_slash()) return invalid("unexpected text after message part");
  return {};
}

// "/"-rooted path after the server: mailbox [;UIDVALIDITY=n] [?search | /;UID=n tail].
Result<void> parse_mailbox_path(UrlReader& r, ImapUrl& url) {
  auto mailbox = decode(r.take_value(true), is_bchar);
  if (!mailbox) return invalid("bad mailbox");
  url.mailbox = std::move(*mailbox);
  if (url.mailbox.empty()) {
    if (r.at_end() && !r.pending_slash()) return {};  // "imap://host/": the server
    return invalid("empty mailbox");
  }
  if (r.param("UIDVALIDITY", false)) {
    auto v = number_param(r, "UIDVALIDITY", true);
    if (!v) return v.error();
    url.uidvalidity = *v;
  }
  if (r.consume('?')) {
    auto search = decode(r.take_until(""), is_bchar);
    if (!search || search->empty()) return invalid("bad search");
    url.search = std::move(*search);
    return {};
  }
  if (r.param("UID", true)) {
    auto uid = number_param(r, "UID", true);
    if (!uid) return uid.error();
    url.uid = *uid;
    return parse_message_tail(r, url, false, false);
  }
  if (!r.at_end() || r.pending_slash()) return invalid("unexpected text after mailbox");
  return {};
}

}  // namespace

Result<ImapUrl> parse_imap_url(std::string_view text, size_t max_length) {
  if (text.size() > max_length) return invalid("URL too long");
  if (text.empty()) return invalid("empty URL");
  ImapUrl url;
  UrlReader r(text);
  Result<void> parsed;
  if (r.consume_ci(kScheme)) {
    url.form = UrlForm::Absolute;
    auto server = parse_server(r.take_until("/?#"), url);
    if (!server) return server.error();
    if (!r.at_end()) {
      if (!r.consume('/')) return invalid("bad character after server");
      parsed = parse_mailbox_path(r, url);
    }
  } else if (text.substr(0, 2) == "//") {
    return invalid("network-path references are not supported");
  } else if (r.consume('/')) {
    url.form = UrlForm::ServerRelative;
    url.absolute = false;
    parsed = parse_mailbox_path(r, url);
    if (parsed && url.mailbox.empty()) return invalid("empty mailbox");
  } else {
    url.absolute = false;
    if (r.param("UID", false)) {
      url.form = UrlForm::MailboxRelative;
      auto uid = number_param(r, "UID", true);
      if (!uid) return uid.error();
      url.uid = *uid;
      parsed = parse_message_tail(r, url, false, false);
    } else if (r.param("SECTION", false)) {
      url.form = UrlForm::MessageRelative;
      parsed = parse_message_tail(r, url, true, false);
    } else if (r.param("PARTIAL", false)) {
      url.form = UrlForm::MessageRelative;
      parsed = parse_message_tail(r, url, false, true);
    } else {
      return invalid("not an IMAP URL");
    }
  }
  if (!parsed) return parsed.error();
  return url;
}

Result<std::string_view> urlauth_rump(std::string_view text, size_t max_length) {
  auto url = parse_imap_url(text, max_length);
  if (!url) return url.error();
  if (!url->absolute || !url->has_urlauth()) return invalid("no URLAUTH in URL");
  return text.substr(0, url->rump_length);
}

ImapUrl resolve_imap_url(const ImapUrl& url, const ImapUrl& base) {
  if (url.form == UrlForm::Absolute) return url;
  ImapUrl out = url;
  out.form = UrlForm::Absolute;
  out.absolute = true;
  out.user = base.user;
  out.auth_type = base.auth_type;
  out.host = base.host;
  out.port = base.port;
  if (url.form == UrlForm::MailboxRelative || url.form == UrlForm::MessageRelative) {
    out.mailbox = base.mailbox;
    out.uidvalidity = base.uidvalidity;
  }
  if (url.form == UrlForm::MessageRelative) out.uid = base.uid;
  return out;
}

std::optional<int64_t> parse_rfc3339(std::string_view t) {
  // full-date "T" partial-time [time-secfrac] time-offset (RFC 3339 section 5.6).
  auto digits = [&](size_t at, size_t n) -> std::optional<int> {
    if (at + n > t.size()) return std::nullopt;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!is_digit(t[at + i])) return std::nullopt;
      v = v * 10 + (t[at + i] - '0');
    }
    return v;
  };
  const auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  const auto hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (t[4] != '-' || t[7] != '-' || lower(t[10]) != 't' || t[13] != ':' || t[16] != ':')
    return std::nullopt;
  static constexpr std::array<int, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (*month < 1 || *month > 12 || *day < 1 || *day > kDays[*month - 1]) return std::nullopt;
  const bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
  if (*month == 2 && *day == 29 && !leap) return std::nullopt;
  if (*hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  size_t at = 19;
  if (at < t.size() && t[at] == '.') {
    ++at;
    const size_t start = at;
    while (at < t.size() && is_digit(t[at])) ++at;
    if (at == start) return std::nullopt;
  }
  int offset = 0;
  if (at < t.size() && lower(t[at]) == 'z') {
    ++at;
  } else if (at < t.size() && (t[at] == '+' || t[at] == '-')) {
    const auto oh = digits(at + 1, 2), om = digits(at + 4, 2);
    if (!oh || !om || t[at + 3] != ':' || *oh > 23 || *om > 59) return std::nullopt;
    offset = (t[at] == '+' ? 1 : -1) * (*oh * 3600 + *om * 60);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != t.size()) return std::nullopt;
  // Days since 1970-01-01 (H. Hinnant's days_from_civil).
  const int y = *year - (*month <= 2 ? 1 : 0);
  const int era = y / 400;
  const int yoe = y - era * 400;
  const int mp = (*month + 9) % 12;
  const int doy = (153 * mp + 2) / 5 + *day - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = int64_t{era} * 146097 + doe - 719468;
  return days * 86400 + *hour * 3600 + *minute * 60 + *second - offset;
}

}  // namespace mail::imap
