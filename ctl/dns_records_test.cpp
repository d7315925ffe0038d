// The records of `mailctl dns` and their comparison with published data (dns_records.h).
#include "ctl/dns_records.h"

#include <gtest/gtest.h>

namespace mail::ctl {
namespace {

const std::string kKey(400, 'A');  // stands for an RSA key's base64 (longer than 255)
const std::string kDkimText = "v=DKIM1; k=rsa; p=" + kKey;

std::vector<DnsRecord> records() {
  return domain_records("example.org", "mail.example.org", {{"s1", kDkimText}}, "20261206");
}

DnsRecord record_of(RecordKind kind) {
  for (const auto& r : records())
    if (r.kind == kind) return r;
  ADD_FAILURE() << "no record of that kind";
  return {};
}

Published txt(std::vector<std::string> data) {
  Published p;
  p.status = dns::Status::Ok;
  p.data = std::move(data);
  return p;
}

Published mx(std::vector<dns::MxRecord> records) {
  Published p;
  p.status = dns::Status::Ok;
  p.mx = std::move(records);
  return p;
}

std::string srv_rdata(uint16_t priority, uint16_t weight, uint16_t port, std::string name_wire) {
  std::string r;
  for (uint16_t v : {priority, weight, port}) {
    r += static_cast<char>(v >> 8);
    r += static_cast<char>(v & 0xff);
  }
  return r + name_wire;
}
const std::string kMailHostWire = std::string("\4mail\7example\3org\0", 18);

CheckState state(RecordKind kind, const Published& got) {
  return check_record(record_of(kind), got).state;
}

TEST(DomainRecords, EveryRecordInZoneSyntax) {
  auto rs = records();
  ASSERT_EQ(rs.size(), 12u);  // MX, SPF, one DKIM, DMARC, MTA-STS, TLS-RPT, six SRV
  EXPECT_EQ(zone_line(rs[0]), "example.org. 3600 IN MX 10 mail.example.org.");
  EXPECT_EQ(zone_line(rs[1]), "example.org. 3600 IN TXT ( \"v=spf1 mx -all\" )");
  EXPECT_EQ(rs[2].name, "s1._domainkey.example.org");
  // RFC 1035 3.3.14: at most 255 octets per character-string.
  EXPECT_EQ(zone_line(rs[2]), "s1._domainkey.example.org. 3600 IN TXT ( \"" +
                                  kDkimText.substr(0, 255) + "\" \"" + kDkimText.substr(255) +
                                  "\" )");
  EXPECT_EQ(rs[3].text,
            "v=DMARC1; p=quarantine; adkim=r; aspf=r; rua=mailto:postmaster@example.org");
  EXPECT_EQ(rs[4].text, "v=STSv1; id=20261206");
  EXPECT_EQ(rs[5].name, "_smtp._tls.example.org");
  EXPECT_EQ(zone_line(rs[6]),
            "_submissions._tcp.example.org. 3600 IN SRV 0 1 465 mail.example.org.");
  EXPECT_EQ(zone_line(rs[11]), "_pop3._tcp.example.org. 3600 IN SRV 0 1 110 mail.example.org.");
  EXPECT_EQ(rs[0].rrtype(), 15);
  EXPECT_EQ(rs[1].rrtype(), 16);
  EXPECT_EQ(rs[6].rrtype(), 33);
}

TEST(DomainRecords, NoDkimKeyNoDkimRecord) {
  auto rs = domain_records("example.org", "mail.example.org", {}, "1");
  EXPECT_EQ(rs.size(), 11u);
  for (const auto& r : rs) EXPECT_NE(r.kind, RecordKind::Dkim);
}

TEST(ParseSrv, RecordDataOfRfc2782) {
  auto srv = parse_srv(srv_rdata(0, 1, 993, kMailHostWire));
  ASSERT_TRUE(srv);
  EXPECT_EQ(*srv, (SrvRecord{0, 1, 993, "mail.example.org"}));
  auto none = parse_srv(srv_rdata(0, 0, 0, std::string(1, '\0')));  // "." : not offered
  ASSERT_TRUE(none);
  EXPECT_EQ(none->target, "");
  EXPECT_FALSE(parse_srv(""));
  EXPECT_FALSE(parse_srv(std::string("\0\0\0\1\3", 5)));
  EXPECT_FALSE(parse_srv(srv_rdata(0, 1, 993, "\4mail")));             // name cut short
  EXPECT_FALSE(parse_srv(srv_rdata(0, 1, 993, kMailHostWire + "x")));  // bytes after it
}

TEST(CheckRecord, ResolverStatusDecidesFirst) {
  Published p;
  p.status = dns::Status::NxDomain;
  EXPECT_EQ(state(RecordKind::Dmarc, p), CheckState::Missing);
  p.status = dns::Status::NoData;
  auto r = check_record(record_of(RecordKind::Srv), p);
  EXPECT_EQ(r.state, CheckState::Missing);
  EXPECT_EQ(r.reason, "NODATA");
  for (auto s : {dns::Status::Timeout, dns::Status::ServFail, dns::Status::Error}) {
    p.status = s;
    EXPECT_EQ(state(RecordKind::Mx, p), CheckState::Unknown);
  }
  p = txt({"v=spf1 mx -all"});
  p.bogus = true;  // failed DNSSEC validation: what it says cannot be trusted
  EXPECT_EQ(state(RecordKind::Spf, p), CheckState::Unknown);
}

TEST(CheckRecord, MxByHostAndPreference) {
  EXPECT_EQ(state(RecordKind::Mx, mx({{10, "Mail.Example.ORG"}})), CheckState::Ok);
  EXPECT_EQ(state(RecordKind::Mx, mx({{20, "mail.example.org"}})), CheckState::Different);
  EXPECT_EQ(state(RecordKind::Mx, mx({{10, "mx.elsewhere.net"}})), CheckState::Different);
  // Another MX besides ours: mail may go there.
  EXPECT_EQ(state(RecordKind::Mx, mx({{10, "mail.example.org"}, {20, "backup.example.org"}})),
            CheckState::Different);
  auto null = check_record(record_of(RecordKind::Mx), mx({{0, ""}}));
  EXPECT_EQ(null.state, CheckState::Different);
  EXPECT_NE(null.reason.find("null MX"), std::string::npos);
  EXPECT_EQ(null.published, "0 .");
}

TEST(CheckRecord, SpfByTerms) {
  EXPECT_EQ(state(RecordKind::Spf, txt({"v=spf1 mx -all"})), CheckState::Ok);
  EXPECT_EQ(state(RecordKind::Spf, txt({"V=SPF1  +MX   -ALL"})), CheckState::Ok);
  // Other TXT records at the domain are not SPF (RFC 7208 4.5).
  EXPECT_EQ(state(RecordKind::Spf, txt({"google-site-verification=x", "v=spf1 mx -all"})),
            CheckState::Ok);
  EXPECT_EQ(state(RecordKind::Spf, txt({"v=spf1 mx ~all"})), CheckState::Different);
  EXPECT_EQ(state(RecordKind::Spf, txt({"v=spf1 -all mx"})), CheckState::Different);  // order
  EXPECT_EQ(state(RecordKind::Spf, txt({"v=spf1 mx include:x.example -all"})),
            CheckState::Different);
  EXPECT_EQ(state(RecordKind::Spf, txt({"v=spf10 mx -all"})), CheckState::Missing);
  auto missing = check_record(record_of(RecordKind::Spf), txt({"other=1"}));
  EXPECT_EQ(missing.state, CheckState::Missing);
  EXPECT_EQ(missing.reason, "no v=spf1 record");
  auto two = check_record(record_of(RecordKind::Spf), txt({"v=spf1 mx -all", "v=spf1 -all"}));
  EXPECT_EQ(two.state, CheckState::Different);  // permerror for every receiver
  EXPECT_EQ(two.reason, "2 v=spf1 records, want one");
}

TEST(CheckRecord, DkimByTagsAndKey) {
  EXPECT_EQ(state(RecordKind::Dkim, txt({kDkimText})), CheckState::Ok);
  // Tags in another order, v= and k= left to their defaults, p= folded, a note: the same key.
  EXPECT_EQ(state(RecordKind::Dkim, txt({"n=rotated in December; p=" + kKey.substr(0, 100) + " " +
                                         kKey.substr(100)})),
            CheckState::Ok);
  auto old = check_record(record_of(RecordKind::Dkim),
                          txt({"v=DKIM1; k=rsa; p=" + std::string(400, 'B')}));
  EXPECT_EQ(old.state, CheckState::Different);
  EXPECT_EQ(old.reason, "p= is not our key");
  EXPECT_EQ(old.published, "\"v=DKIM1; k=rsa; p=" + std::string(400, 'B') + "\"");
  EXPECT_EQ(check_record(record_of(RecordKind::Dkim), txt({"v=DKIM1; k=rsa; p="})).reason,
            "p= is empty (key revoked)");
  auto ed = check_record(record_of(RecordKind::Dkim), txt({"v=DKIM1; k=ed25519; p=" + kKey}));
  EXPECT_EQ(ed.reason, "k=ed25519 (want k=rsa)");
  EXPECT_EQ(state(RecordKind::Dkim, txt({kDkimText + "; t=y"})), CheckState::Different);
  // h= and s= lists that allow sha256 and email say what their defaults say.
  EXPECT_EQ(state(RecordKind::Dkim, txt({kDkimText + "; h=sha1:SHA256; s=email"})), CheckState::Ok);
  EXPECT_EQ(check_record(record_of(RecordKind::Dkim), txt({kDkimText + "; h=sha1"})).reason,
            "h=sha1 (want h=*)");
  EXPECT_EQ(state(RecordKind::Dkim, txt({kDkimText + "; s=other"})), CheckState::Different);
  // Base64 is case-sensitive; tag names are too (RFC 6376 3.2).
  std::string lowered_key(400, 'a');
  EXPECT_EQ(state(RecordKind::Dkim, txt({"v=DKIM1; k=rsa; p=" + lowered_key})),
            CheckState::Different);
  EXPECT_EQ(state(RecordKind::Dkim, txt({"v=DKIM1; k=rsa; P=" + kKey})), CheckState::Different);
  EXPECT_EQ(check_record(record_of(RecordKind::Dkim), txt({"v=DKIM1; p"})).reason,
            "not a valid tag=value list");
  EXPECT_EQ(state(RecordKind::Dkim, txt({kDkimText, "v=DKIM1; k=rsa; p=" + std::string(4, 'B')})),
            CheckState::Different);
}

TEST(CheckRecord, DmarcByTagsWithDefaults) {
  EXPECT_EQ(state(RecordKind::Dmarc, txt({record_of(RecordKind::Dmarc).text})), CheckState::Ok);
  // adkim=r and aspf=r are the defaults (RFC 7489 6.3); order, case and spaces do not matter.
  EXPECT_EQ(state(RecordKind::Dmarc,
                  txt({"v=DMARC1;rua=MAILTO:Postmaster@example.org;  p=Quarantine; pct=100"})),
            CheckState::Ok);
  auto none = check_record(record_of(RecordKind::Dmarc),
                           txt({"v=DMARC1; p=none; rua=mailto:postmaster@example.org"}));
  EXPECT_EQ(none.state, CheckState::Different);
  // sp= defaults to p= on both sides, so it differs too.
  EXPECT_EQ(none.reason, "p=none (want p=quarantine), sp=none (want sp=quarantine)");
  auto no_rua = check_record(record_of(RecordKind::Dmarc), txt({"v=DMARC1; p=quarantine"}));
  EXPECT_EQ(no_rua.reason, "no rua=");
  EXPECT_EQ(state(RecordKind::Dmarc,
                  txt({"v=DMARC1; p=quarantine; adkim=s; rua=mailto:postmaster@example.org"})),
            CheckState::Different);
  EXPECT_EQ(state(RecordKind::Dmarc, txt({"v=spf1 -all"})), CheckState::Missing);
  EXPECT_EQ(state(RecordKind::Dmarc, txt({record_of(RecordKind::Dmarc).text, "v=DMARC1; p=none"})),
            CheckState::Different);  // RFC 7489 6.6.3: no policy applies
}

TEST(CheckRecord, MtaStsAcceptsAnyValidId) {
  EXPECT_EQ(state(RecordKind::MtaSts, txt({"v=STSv1; id=20190429T010101"})), CheckState::Ok);
  EXPECT_EQ(state(RecordKind::MtaSts, txt({"v=STSv1; id=20261206"})), CheckState::Ok);
  EXPECT_EQ(check_record(record_of(RecordKind::MtaSts), txt({"v=STSv1;"})).reason, "no id=");
  EXPECT_EQ(check_record(record_of(RecordKind::MtaSts), txt({"v=STSv1; id=2026-12-06"})).reason,
            "id= is not 1-32 letters and digits");
  EXPECT_EQ(state(RecordKind::MtaSts, txt({"v=STSv1; id=" + std::string(33, '1')})),
            CheckState::Different);
  EXPECT_EQ(state(RecordKind::MtaSts, txt({"v=STSv2; id=1"})), CheckState::Missing);
}

TEST(CheckRecord, TlsRptByReportingAddress) {
  EXPECT_EQ(state(RecordKind::TlsRpt, txt({"v=TLSRPTv1;rua=mailto:postmaster@example.org"})),
            CheckState::Ok);
  auto other =
      check_record(record_of(RecordKind::TlsRpt), txt({"v=TLSRPTv1; rua=mailto:tls@example.org"}));
  EXPECT_EQ(other.state, CheckState::Different);
  EXPECT_EQ(other.reason, "rua=mailto:tls@example.org (want rua=mailto:postmaster@example.org)");
}

TEST(CheckRecord, SrvAsASet) {
  const DnsRecord imaps = records()[8];
  ASSERT_EQ(imaps.name, "_imaps._tcp.example.org");
  EXPECT_EQ(check_record(imaps, txt({srv_rdata(0, 1, 993, kMailHostWire)})).state, CheckState::Ok);
  auto port = check_record(imaps, txt({srv_rdata(0, 1, 994, kMailHostWire)}));
  EXPECT_EQ(port.state, CheckState::Different);
  EXPECT_EQ(port.published, "0 1 994 mail.example.org.");
  auto none = check_record(imaps, txt({srv_rdata(0, 0, 0, std::string(1, '\0'))}));
  EXPECT_NE(none.reason.find("not offered"), std::string::npos);
  EXPECT_EQ(check_record(imaps, txt({"\1"})).reason, "malformed SRV record");
  EXPECT_EQ(check_record(imaps, txt({srv_rdata(0, 1, 993, kMailHostWire),
                                     srv_rdata(5, 1, 993, kMailHostWire)}))
                .state,
            CheckState::Different);
}

TEST(CheckLine, OneLinePerRecord) {
  const DnsRecord dmarc = record_of(RecordKind::Dmarc);
  EXPECT_EQ(check_line(dmarc, check_record(dmarc, txt({dmarc.text}))),
            "OK        _dmarc.example.org. TXT \"" + dmarc.text + "\"");
  Published nx;
  nx.status = dns::Status::NxDomain;
  EXPECT_EQ(check_line(dmarc, check_record(dmarc, nx)),
            "MISSING   _dmarc.example.org. TXT (NXDOMAIN) publish \"" + dmarc.text + "\"");
  const DnsRecord spf = record_of(RecordKind::Spf);
  EXPECT_EQ(check_line(spf, check_record(spf, txt({"v=spf1 a -all"}))),
            "DIFFERENT example.org. TXT (other terms) published \"v=spf1 a -all\"");
  Published timeout;
  timeout.status = dns::Status::Timeout;
  timeout.detail = "no answer in 2 s";
  EXPECT_EQ(check_line(spf, check_record(spf, timeout)),
            "UNKNOWN   example.org. TXT (TIMEOUT: no answer in 2 s) not checked");
  // Published text reaches the terminal escaped.
  auto hostile = check_record(spf, txt({"v=spf1 \x1b[2J\"\\ -all"}));
  EXPECT_EQ(hostile.published, "\"v=spf1 \\027[2J\\\"\\\\ -all\"");
}

}  // namespace
}  // namespace mail::ctl
