// The records of a mail domain and their comparison with what is published (dns_records.h).
#include "ctl/dns_records.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "common/ascii.h"
#include "mailauth/tag_list.h"

namespace mail::ctl {
namespace {

using TagMap = std::map<std::string, std::string>;

constexpr int kTtl = 3600;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string absolute(const std::string& name) {
  return name.empty() ? "." : name + ".";
}

// A character-string in zone-file syntax (RFC 1035 5.1). Published text is untrusted:
// quotes, backslashes and anything not printable ASCII are escaped, so nothing it holds
// reaches the terminal as a control sequence.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u > 0x7e) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\%03u", static_cast<unsigned>(u));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string mx_text(const dns::MxRecord& mx) {
  return std::to_string(mx.preference) + " " + absolute(mx.host);
}

std::string srv_text(const SrvRecord& srv) {
  return std::to_string(srv.priority) + " " + std::to_string(srv.weight) + " " +
         std::to_string(srv.port) + " " + absolute(srv.target);
}

// The record's data in presentation form, TXT as one string.
std::string data_text(const DnsRecord& r) {
  switch (r.kind) {
    case RecordKind::Mx:
      return mx_text(r.mx);
    case RecordKind::Srv:
      return srv_text(r.srv);
    default:
      return quoted(r.text);
  }
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " | ") + p;
  return out;
}

// --- TXT records: which published record is the one of this kind --------------------

// The version tag that starts a tag-list record ("v=DMARC1" -> "DMARC1"), or "".
std::string version_tag(std::string_view text) {
  std::string_view first = text.substr(0, text.find(';'));
  size_t eq = first.find('=');
  if (eq == std::string_view::npos || trim(first.substr(0, eq)) != "v") return "";
  return std::string(trim(first.substr(eq + 1)));
}

// RFC 7208 4.5: a record is SPF when it starts with "v=spf1" followed by a space or its end.
bool is_spf(std::string_view text) {
  std::string l = ascii::lower(text.substr(0, 7));
  return l == "v=spf1" || l == "v=spf1 ";
}

// Whether a published TXT record is one of `kind`'s (DKIM: any record at the selector's
// name is meant as the key, RFC 6376 3.6.2.2).
bool of_kind(RecordKind kind, std::string_view text) {
  switch (kind) {
    case RecordKind::Spf:
      return is_spf(text);
    case RecordKind::Dmarc:
      return ascii::lower(version_tag(text)) == "dmarc1";  // RFC 7489 6.6.3
    case RecordKind::TlsRpt:
      return ascii::lower(version_tag(text)) == "tlsrptv1";  // RFC 8460 3
    case RecordKind::MtaSts:
      return ascii::lower(version_tag(text)) == "stsv1";  // RFC 8461 3.1
    default:
      return true;
  }
}

const char* kind_label(RecordKind kind) {
  switch (kind) {
    case RecordKind::Spf:
      return "v=spf1";
    case RecordKind::Dmarc:
      return "v=DMARC1";
    case RecordKind::TlsRpt:
      return "v=TLSRPTv1";
    case RecordKind::MtaSts:
      return "v=STSv1";
    default:
      return "DKIM key";
  }
}

// RFC 7208 4.6.1: terms separated by spaces; mechanism names and domains are
// case-insensitive, "+" is the default qualifier (4.6.2). Terms with macros keep their case
// (a macro letter's case means URL-escaping, 7.3).
std::vector<std::string> spf_terms(std::string_view text) {
  std::vector<std::string> terms;
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && is_space(text[pos])) ++pos;
    size_t end = pos;
    while (end < text.size() && !is_space(text[end])) ++end;
    if (end > pos) {
      std::string term(text.substr(pos, end - pos));
      if (term.find('%') == std::string::npos) term = ascii::lower(term);
      if (term.size() > 1 && term[0] == '+') term.erase(0, 1);
      terms.push_back(std::move(term));
    }
    pos = end;
  }
  return terms;
}

// --- tag lists ----------------------------------------------------------------------

// The tags a kind's comparison looks at, each with its default (nullopt: none; the tag is
// compared as absent). Other tags are ignored, as their RFCs tell receivers to do.
struct TagRule {
  const char* name;
  std::optional<std::string> fallback;
};

std::vector<TagRule> tag_rules(RecordKind kind, const TagMap& tags) {
  switch (kind) {
    case RecordKind::Dkim:  // RFC 6376 3.6.1 (n= is a note for humans); values lower-cased
      return {{"v", "dkim1"}, {"k", "rsa"}, {"h", "*"}, {"s", "*"}, {"t", ""}, {"p", std::nullopt}};
    case RecordKind::Dmarc: {  // RFC 7489 6.3; sp= defaults to p=
      auto p = tags.find("p");
      return {{"v", std::nullopt},
              {"p", std::nullopt},
              {"sp", p == tags.end() ? std::nullopt : std::optional<std::string>(p->second)},
              {"adkim", "r"},
              {"aspf", "r"},
              {"pct", "100"},
              {"fo", "0"},
              {"rf", "afrf"},
              {"ri", "86400"},
              {"rua", std::nullopt},
              {"ruf", std::nullopt}};
    }
    case RecordKind::TlsRpt:  // RFC 8460 3
      return {{"v", std::nullopt}, {"rua", std::nullopt}};
    default:  // MTA-STS: id is checked for its syntax only (it changes with the policy)
      return {{"v", std::nullopt}};
  }
}

bool in_list(std::string_view list, std::string_view item) {
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t end = std::min(list.find(':', pos), list.size());
    if (list.substr(pos, end - pos) == item) return true;
    pos = end + 1;
  }
  return false;
}

// The record's tags, normalised: DKIM tag names are case-sensitive (RFC 6376 3.2) and p= is
// base64 (case kept); the other kinds' names and values compare case-insensitively. White
// space inside values (folded p=, "mailto:a, mailto:b") is removed.
std::optional<TagMap> tag_map(RecordKind kind, std::string_view text) {
  auto tags = mailauth::parse_tag_list(text);
  if (!tags) return std::nullopt;
  TagMap map;
  for (const auto& t : *tags) {
    std::string value = mailauth::without_whitespace(t.value);
    if (kind == RecordKind::Dkim) {
      if (t.name != "p") value = ascii::lower(value);
      // h= (hash algorithms) and s= (service types) are colon-separated lists: one that
      // allows what we sign with (sha256, email) means the same as leaving the tag out.
      if ((t.name == "h" && in_list(value, "sha256")) ||
          (t.name == "s" && (in_list(value, "*") || in_list(value, "email"))))
        value = "*";
      map[t.name] = value;
    } else {
      map[ascii::lower(t.name)] = ascii::lower(value);
    }
  }
  return map;
}

// RFC 8461 3.1: id = 1*32(ALPHA / DIGIT).
bool valid_sts_id(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

// "" when the published tags mean what we want, else the differences.
std::string tag_differences(RecordKind kind, const std::string& want_text,
                            const std::string& got_text) {
  auto want = tag_map(kind, want_text);
  auto got = tag_map(kind, got_text);
  if (!got) return "not a valid tag=value list";
  if (!want) return "our record is not a valid tag list";  // a bug; shown rather than thrown
  std::string out;
  auto add = [&out](const std::string& s) { out += (out.empty() ? "" : ", ") + s; };
  const auto want_rules = tag_rules(kind, *want);
  const auto got_rules = tag_rules(kind, *got);
  for (size_t i = 0; i < want_rules.size(); ++i) {
    const std::string name = want_rules[i].name;
    auto value_of = [&name](const TagMap& m, const TagRule& rule) -> std::optional<std::string> {
      auto it = m.find(name);
      if (it != m.end()) return it->second;
      return rule.fallback;
    };
    auto w = value_of(*want, want_rules[i]);
    auto g = value_of(*got, got_rules[i]);
    if (w == g) continue;
    if (kind == RecordKind::Dkim && name == "p") {
      add(!g ? "no p=" : g->empty() ? "p= is empty (key revoked)" : "p= is not our key");
    } else if (!g) {
      add("no " + name + "=");
    } else {
      add(name + "=" + *g + " (want " + (w ? name + "=" + *w : "none") + ")");
    }
  }
  if (kind == RecordKind::MtaSts) {
    auto id = got->find("id");
    if (id == got->end()) {
      add("no id=");
    } else {
      // tag_map lower-cased it; the syntax check does not care.
      if (!valid_sts_id(id->second)) add("id= is not 1-32 letters and digits");
    }
  }
  return out;
}

CheckResult check_txt(const DnsRecord& want, const Published& got) {
  std::vector<std::string> all, mine;
  for (const auto& text : got.data) {
    all.push_back(quoted(text));
    if (of_kind(want.kind, text)) mine.push_back(text);
  }
  if (mine.empty())
    return {CheckState::Missing, join(all), std::string("no ") + kind_label(want.kind) + " record"};
  std::vector<std::string> shown;
  for (const auto& m : mine) shown.push_back(quoted(m));
  if (mine.size() > 1) {
    // SPF: permerror (RFC 7208 4.5); DMARC, TLS-RPT, MTA-STS: none applies (RFC 7489
    // 6.6.3, RFC 8460 3, RFC 8461 3.1); DKIM: verifiers may pick either (RFC 6376 3.6.2.2).
    return {CheckState::Different, join(shown),
            std::to_string(mine.size()) + " " + kind_label(want.kind) + " records, want one"};
  }
  std::string diff;
  if (want.kind == RecordKind::Spf) {
    if (spf_terms(mine[0]) != spf_terms(want.text)) diff = "other terms";
  } else {
    diff = tag_differences(want.kind, want.text, mine[0]);
  }
  if (!diff.empty()) return {CheckState::Different, join(shown), diff};
  return {CheckState::Ok, join(shown), ""};
}

CheckResult check_mx(const DnsRecord& want, const Published& got) {
  std::vector<std::pair<uint16_t, std::string>> published;
  std::vector<std::string> shown;
  for (const auto& mx : got.mx) {
    published.emplace_back(mx.preference, ascii::lower(mx.host));
    shown.push_back(mx_text(mx));
  }
  std::sort(published.begin(), published.end());
  const std::vector<std::pair<uint16_t, std::string>> wanted{
      {want.mx.preference, ascii::lower(want.mx.host)}};
  if (published == wanted) return {CheckState::Ok, join(shown), ""};
  for (const auto& [pref, host] : published)
    if (host.empty())
      return {CheckState::Different, join(shown), "null MX: the domain accepts no mail (RFC 7505)"};
  return {CheckState::Different, join(shown), "other MX records"};
}

CheckResult check_srv(const DnsRecord& want, const Published& got) {
  std::vector<SrvRecord> published;
  std::vector<std::string> shown;
  for (const auto& rdata : got.data) {
    auto srv = parse_srv(rdata);
    if (!srv) return {CheckState::Different, join(shown), "malformed SRV record"};
    srv->target = ascii::lower(srv->target);
    shown.push_back(srv_text(*srv));
    published.push_back(*srv);
  }
  SrvRecord w = want.srv;
  w.target = ascii::lower(w.target);
  if (published.size() == 1 && published[0] == w) return {CheckState::Ok, join(shown), ""};
  for (const auto& s : published)
    if (s.target.empty())
      return {CheckState::Different, join(shown), "target \".\": service not offered (RFC 2782)"};
  return {CheckState::Different, join(shown), "other SRV records"};
}

}  // namespace

std::optional<SrvRecord> parse_srv(std::string_view rdata) {
  if (rdata.size() < 7) return std::nullopt;  // three numbers and at least the root
  auto u16 = [&rdata](size_t at) {
    return static_cast<uint16_t>((static_cast<uint8_t>(rdata[at]) << 8) |
                                 static_cast<uint8_t>(rdata[at + 1]));
  };
  auto target = dns::parse_name(rdata.substr(6));
  if (!target) return std::nullopt;
  return SrvRecord{u16(0), u16(2), u16(4), std::move(*target)};
}

uint16_t DnsRecord::rrtype() const {
  switch (kind) {
    case RecordKind::Mx:
      return 15;
    case RecordKind::Srv:
      return 33;
    default:
      return 16;
  }
}

const char* DnsRecord::type() const {
  switch (kind) {
    case RecordKind::Mx:
      return "MX";
    case RecordKind::Srv:
      return "SRV";
    default:
      return "TXT";
  }
}

std::vector<DnsRecord> domain_records(const std::string& domain, const std::string& host,
                                      const std::vector<DkimPublication>& dkim,
                                      const std::string& sts_id) {
  std::vector<DnsRecord> out;
  auto txt = [&out](RecordKind kind, std::string name, std::string text) {
    DnsRecord r;
    r.kind = kind;
    r.name = std::move(name);
    r.text = std::move(text);
    out.push_back(std::move(r));
  };
  // RFC 5321 5.1: mail for the domain goes to this host.
  DnsRecord mx;
  mx.kind = RecordKind::Mx;
  mx.name = domain;
  mx.mx = dns::MxRecord{10, host};
  out.push_back(std::move(mx));
  txt(RecordKind::Spf, domain, "v=spf1 mx -all");  // RFC 7208: only the MX sends
  for (const auto& k : dkim)                       // RFC 6376 3.6.2.1
    txt(RecordKind::Dkim, k.selector + "._domainkey." + domain, k.record);
  // RFC 7489 6.3: aggregate reports to the postmaster (always deliverable, RFC 5321 4.5.1).
  txt(RecordKind::Dmarc, "_dmarc." + domain,
      "v=DMARC1; p=quarantine; adkim=r; aspf=r; rua=mailto:postmaster@" + domain);
  // RFC 8461 3.1: the id changes when the policy file (https://mta-sts.DOMAIN/.well-known/
  // mta-sts.txt) does.
  txt(RecordKind::MtaSts, "_mta-sts." + domain, "v=STSv1; id=" + sts_id);
  txt(RecordKind::TlsRpt, "_smtp._tls." + domain, "v=TLSRPTv1; rua=mailto:postmaster@" + domain);
  // RFC 6186 3 and RFC 8314 5.1: implicit TLS first, then STARTTLS.
  struct Service {
    const char* name;
    uint16_t port;
  };
  for (Service s : {Service{"_submissions._tcp", 465}, Service{"_submission._tcp", 587},
                    Service{"_imaps._tcp", 993}, Service{"_imap._tcp", 143},
                    Service{"_pop3s._tcp", 995}, Service{"_pop3._tcp", 110}}) {
    DnsRecord r;
    r.kind = RecordKind::Srv;
    r.name = std::string(s.name) + "." + domain;
    r.srv = SrvRecord{0, 1, s.port, host};
    out.push_back(std::move(r));
  }
  return out;
}

std::string zone_line(const DnsRecord& r) {
  std::string out = absolute(r.name) + " " + std::to_string(kTtl) + " IN " + r.type() + " ";
  if (r.kind == RecordKind::Mx || r.kind == RecordKind::Srv) return out + data_text(r);
  out += "(";
  for (size_t i = 0; i < r.text.size(); i += 255) out += " " + quoted(r.text.substr(i, 255));
  return out + " )";
}

const char* check_state_name(CheckState state) {
  switch (state) {
    case CheckState::Ok:
      return "OK";
    case CheckState::Missing:
      return "MISSING";
    case CheckState::Different:
      return "DIFFERENT";
    case CheckState::Unknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

CheckResult check_record(const DnsRecord& want, const Published& got) {
  std::string detail = got.detail.empty() ? "" : ": " + got.detail;
  if (got.bogus) return {CheckState::Unknown, "", "DNSSEC validation failed" + detail};
  switch (got.status) {
    case dns::Status::Ok:
      break;
    case dns::Status::NoData:  // RFC 2308: the name exists, without records of this type
      return {CheckState::Missing, "", "NODATA"};
    case dns::Status::NxDomain:
      return {CheckState::Missing, "", "NXDOMAIN"};
    default:  // temporary (or a name the resolver refused): nothing known
      return {CheckState::Unknown, "", upper(dns::status_name(got.status)) + detail};
  }
  switch (want.kind) {
    case RecordKind::Mx:
      return check_mx(want, got);
    case RecordKind::Srv:
      return check_srv(want, got);
    default:
      return check_txt(want, got);
  }
}

std::string check_line(const DnsRecord& want, const CheckResult& result) {
  std::string state = check_state_name(result.state);
  state.resize(9, ' ');
  std::string out = state + " " + absolute(want.name) + " " + want.type() + " ";
  if (!result.reason.empty()) out += "(" + result.reason + ") ";
  switch (result.state) {
    case CheckState::Ok:
      return out + result.published;
    case CheckState::Missing:
      return out + "publish " + data_text(want);
    case CheckState::Different:
      return out + "published " + result.published;
    case CheckState::Unknown:
      return out + "not checked";
  }
  return out;
}

}  // namespace mail::ctl
