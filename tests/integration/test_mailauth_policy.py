"""SPF results against python3-spf (pyspf) and DMARC alignment (issue 18).

SPF: for each record of the matrix below, mail from someone@<domain> arrives from 127.0.0.1
on the MX port; our result (libspf2, in our Authentication-Results field, parsed by
python3-authres) must equal pyspf's for the same client, HELO and sender, with pyspf's
dnspython pointed at the same loopback DNS server, and the result named in the matrix.
mailauth.on_temperror = "accept" so that temperror is delivered and visible.

DMARC (RFC 7489 3.1): SPF- and DKIM-identifier alignment with the From domain, relaxed
(Organizational Domains equal) and strict (aspf=s / adkim=s: the same name), with
p=reject (550 5.7.1 at the end of DATA) and p=quarantine (the Junk mailbox).
"""

import smtplib

import pytest

import helpers
from conftest import ALICE, require_built
from mailauth_env import (ZONE_HEAD, dkim_sign, imap_find, mailauth_suite, message, our_results,
                          rsa_key, txt)

spf = pytest.importorskip("spf")
dns_resolver = pytest.importorskip("dns.resolver")
pytest.importorskip("dkim")
pytest.importorskip("authres")

CLIENT_IP, HELO = "127.0.0.1", "client.outside.test"

# (domain, the result RFC 7208 gives, its records)
SPF_CASES = [
    ("pass-ip4.test", "pass", ['IN TXT "v=spf1 ip4:127.0.0.0/8 -all"']),
    ("pass-a.test", "pass", ['IN TXT "v=spf1 a -all"', "IN A 127.0.0.1"]),
    ("pass-mx.test", "pass", ['IN TXT "v=spf1 mx -all"', "IN MX 10 mx.pass-mx.test."]),
    ("pass-include.test", "pass", ['IN TXT "v=spf1 include:_spf.pass-include.test -all"']),
    ("pass-redirect.test", "pass", ['IN TXT "v=spf1 redirect=_spf.pass-include.test"']),
    ("pass-exists.test", "pass", ['IN TXT "v=spf1 exists:%{i}._ip.%{d} -all"']),
    ("fail-ip4.test", "fail", ['IN TXT "v=spf1 ip4:192.0.2.1 -all"']),
    ("fail-a.test", "fail", ['IN TXT "v=spf1 a -all"', "IN A 192.0.2.9"]),
    ("softfail.test", "softfail", ['IN TXT "v=spf1 ip4:192.0.2.1 ~all"']),
    ("neutral.test", "neutral", ['IN TXT "v=spf1 ?all"']),
    ("neutral-default.test", "neutral", ['IN TXT "v=spf1 ip4:192.0.2.1"']),
    ("none-norecord.test", "none", ["IN A 192.0.2.7"]),
    ("none-othertxt.test", "none", ['IN TXT "site-verification=abc"']),
    ("none-nxdomain.test", "none", []),
    ("temperror.test", "temperror", []),  # SERVFAIL
    ("temperror-include.test", "temperror", ['IN TXT "v=spf1 include:servfail.test -all"']),
    ("permerror-two.test", "permerror", ['IN TXT "v=spf1 -all"', 'IN TXT "v=spf1 +all"']),
    ("permerror-syntax.test", "permerror", ['IN TXT "v=spf1 ip4:300.1.1.1 -all"']),
    ("permerror-mechanism.test", "permerror", ['IN TXT "v=spf1 foo:bar -all"']),
    ("permerror-include.test", "permerror", ['IN TXT "v=spf1 include:none-norecord.test -all"']),
    ("permerror-redirect.test", "permerror", ['IN TXT "v=spf1 redirect=none-nxdomain.test"']),
    ("permerror-lookups.test", "permerror",
     ['IN TXT "v=spf1 ' + " ".join(f"a:l{i}.lookups.test" for i in range(1, 12)) + ' -all"']),
    ("permerror-void.test", "permerror",
     ['IN TXT "v=spf1 a:v1.void.test a:v2.void.test a:v3.void.test ip4:127.0.0.1 -all"']),
]
SPF_EXTRA = """mx.pass-mx.test. IN A 127.0.0.1
_spf.pass-include.test. IN TXT "v=spf1 ip4:127.0.0.1 -all"
127.0.0.1._ip.pass-exists.test. IN A 127.0.0.2
""" + "".join(f"l{i}.lookups.test. IN A 192.0.2.{i}\n" for i in range(1, 12))


def _dmarc_zone(rsa_public):
    key = txt("v=DKIM1; k=rsa; p=" + rsa_public)
    return f"""align.test. IN TXT "v=spf1 -all"
_dmarc.align.test. IN TXT "v=DMARC1; p=reject"
mail.align.test. IN TXT "v=spf1 ip4:127.0.0.0/8 -all"
sel1._domainkey.align.test. IN TXT {key}
sel1._domainkey.sub.align.test. IN TXT {key}
strict.test. IN TXT "v=spf1 -all"
_dmarc.strict.test. IN TXT "v=DMARC1; p=reject; aspf=s; adkim=s"
mail.strict.test. IN TXT "v=spf1 ip4:127.0.0.0/8 -all"
sel1._domainkey.strict.test. IN TXT {key}
sel1._domainkey.sub.strict.test. IN TXT {key}
other.test. IN TXT "v=spf1 ip4:127.0.0.0/8 -all"
sel1._domainkey.other.test. IN TXT {key}
quar.test. IN TXT "v=spf1 -all"
_dmarc.quar.test. IN TXT "v=DMARC1; p=quarantine"
sel1._domainkey.quar.test. IN TXT {key}
"""


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    for name in ("mailctl", "smtpd", "queued", "imapd"):
        require_built(name)
    root = tmp_path_factory.mktemp("mailauth_policy")
    private, public = rsa_key(root)
    zone = ZONE_HEAD + "".join(f"{d}. {rr}\n" for d, _, rrs in SPF_CASES for rr in rrs)
    zone += SPF_EXTRA + _dmarc_zone(public)
    dns_args = ("--servfail", "temperror.test", "--servfail", "servfail.test")
    with mailauth_suite(root, zone, dns_args, mailauth_keys='on_temperror = "accept"') as s:
        s.sender_key = private
        yield s


@pytest.fixture(scope="module")
def pyspf(suite):
    """pyspf's check2 with dnspython asking the test's DNS server."""
    resolver = dns_resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = suite.dns_port
    resolver.lifetime = 3
    saved = dns_resolver.default_resolver
    dns_resolver.default_resolver = resolver
    try:
        yield lambda sender: spf.check2(i=CLIENT_IP, s=sender, h=HELO, querytime=5)[0]
    finally:
        dns_resolver.default_resolver = saved


def _deliver(s, mail_from, msg):
    """Sends on the MX port: the reply to the final dot as (code, text)."""
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], local_hostname=HELO,
                      timeout=helpers.TIMEOUT) as c:
        try:
            c.sendmail(mail_from, [ALICE], msg)
        except smtplib.SMTPDataError as e:
            return e.smtp_code, e.smtp_error.decode()
        return 250, ""


@pytest.mark.parametrize("domain,expected", [(d, r) for d, r, _ in SPF_CASES],
                         ids=[d for d, _, _ in SPF_CASES])
def test_spf_result_matches_pyspf(suite, pyspf, domain, expected):
    sender = f"someone@{domain}"
    theirs = pyspf(sender)
    tag = helpers.token()
    code, text = _deliver(suite, sender, message(tag, sender))
    assert code == 250, text
    results, field = our_results(imap_find(suite, tag)[1])
    assert (results["spf"], theirs) == (expected, expected), str(field)


# (name, MAIL FROM domain, From domain, DKIM d= or None, tamper, dmarc, where it goes)
DMARC_CASES = [
    ("spf-aligned-relaxed", "mail.align.test", "align.test", None, False, "pass", "INBOX"),
    ("dkim-aligned-exact", "other.test", "align.test", "align.test", False, "pass", "INBOX"),
    ("dkim-aligned-relaxed", "other.test", "align.test", "sub.align.test", False, "pass", "INBOX"),
    ("spf-aligned-dkim-broken", "mail.align.test", "align.test", "align.test", True, "pass",
     "INBOX"),
    ("dkim-aligned-spf-fail", "align.test", "align.test", "align.test", False, "pass", "INBOX"),
    ("neither-aligned", "other.test", "align.test", "other.test", False, "fail", "reject"),
    ("aligned-dkim-broken-spf-unaligned", "other.test", "align.test", "align.test", True, "fail",
     "reject"),
    ("strict-spf-subdomain", "mail.strict.test", "strict.test", None, False, "fail", "reject"),
    ("strict-dkim-subdomain", "other.test", "strict.test", "sub.strict.test", False, "fail",
     "reject"),
    ("strict-dkim-exact", "other.test", "strict.test", "strict.test", False, "pass", "INBOX"),
    ("quarantine-unaligned", "other.test", "quar.test", "other.test", False, "fail", "Junk"),
    ("quarantine-aligned", "other.test", "quar.test", "quar.test", False, "pass", "INBOX"),
]


@pytest.mark.parametrize("mail_from,author,d,tamper,dmarc,where",
                         [c[1:] for c in DMARC_CASES], ids=[c[0] for c in DMARC_CASES])
def test_dmarc_alignment(suite, mail_from, author, d, tamper, dmarc, where):
    tag = helpers.token()
    msg = message(tag, f"ceo@{author}")
    if d:
        msg = dkim_sign(msg, b"sel1", d.encode(), suite.sender_key)
    if tamper:
        msg = msg.replace(b"Second line.", b"Second line!")
    code, text = _deliver(suite, f"bounce@{mail_from}", msg)
    if where == "reject":
        assert (code, text[:5]) == (550, "5.7.1"), text
        return
    assert code == 250, text
    box, raw = imap_find(suite, tag, boxes=("INBOX", "Junk"))
    results, field = our_results(raw)
    assert results["dmarc"] == dmarc, str(field)
    assert box == where, str(field)
    if where == "Junk":
        assert "policy.dmarc=quarantine" in str(field), str(field)
