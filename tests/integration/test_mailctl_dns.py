"""`mailctl dns DOMAIN --check` (issue 18): every record `mailctl dns` prints, looked up
through the [dns] resolver in a zone served by tests/dns/dns_server.py on loopback, and
reported OK, MISSING, DIFFERENT or UNKNOWN; the exit status is 0 only when everything is
published as printed. mailctl alone, no daemons: the records need only the config and the
DKIM keys of the data directory.
"""

import re

import pytest

from conftest import Suite, config_text, require_built
from mailauth_env import ZONE_HEAD, dns_server, rsa_key, txt

DOMAIN = "example.test"
LINE = re.compile(r"^(OK|MISSING|DIFFERENT|UNKNOWN) +(\S+)\. (MX|TXT|SRV) (.*)$")


@pytest.fixture(scope="module")
def ctl(tmp_path_factory):
    """A config and data directory with two DKIM keys of example.test (RSA 2048, whose
    record needs two TXT strings, and Ed25519); no daemon runs."""
    require_built("mailctl")
    s = Suite(tmp_path_factory.mktemp("mailctl_dns"))
    s.write_config()
    s.data_dir.mkdir(mode=0o700)
    s.mailctl("dkim", "generate", DOMAIN, "--selector", "r1")
    s.mailctl("dkim", "generate", DOMAIN, "--selector", "e1", "--algorithm", "ed25519")
    return s


def check(s, port, *extra, timeout=2, verb=()):
    """mailctl dns --check with the resolver asking 127.0.0.1@port: (returncode, {(name,
    type): (state, rest of line)}, stdout, stderr)."""
    s.sections = {"dns": f'resolvers = ["127.0.0.1@{port}"]\ntimeout = {timeout}'}
    s.config.write_text(config_text(s.data_dir, s.cert_dir, s.ports, sections=s.sections))
    r = s.mailctl("dns", *verb, DOMAIN, "--check", *extra, check=False)
    states = {}
    for line in r.stdout.splitlines():
        if line.startswith(";"):
            continue
        m = LINE.match(line)
        assert m, f"not a check line: {line!r}\n{r.stdout}"
        states[(m.group(2), m.group(3))] = (m.group(1), m.group(4))
    return r.returncode, states, r.stdout, r.stderr


def printed_records(s):
    return s.mailctl("dns", DOMAIN).stdout


def test_partly_published_zone(ctl, tmp_path):
    """Some records equal (in other spellings), an old DKIM key, a DMARC record with other
    tags, missing names, a wrong port, a name whose server fails."""
    _, old_key = rsa_key(tmp_path, "old")
    e1 = "".join(re.findall(r'"([^"]*)"', ctl.mailctl("dkim", "show", DOMAIN, "--selector",
                                                      "e1").stdout))
    assert e1.startswith("v=DKIM1; k=ed25519; p="), e1
    zone = tmp_path / "partial.zone"
    zone.write_text(ZONE_HEAD + f"""example.test. IN MX 10 MAIL.example.test.
example.test. IN TXT "google-site-verification=abc"
example.test. IN TXT "v=spf1  +mx -all"
r1._domainkey.example.test. IN TXT {txt("v=DKIM1; k=rsa; p=" + old_key)}
e1._domainkey.example.test. IN TXT "{e1.replace("v=DKIM1; ", "")}; n=second"
_dmarc.example.test. IN TXT "v=DMARC1; p=none; rua=mailto:postmaster@example.test"
_smtp._tls.example.test. IN TXT "v=TLSRPTv1;rua=mailto:Postmaster@example.test"
_submissions._tcp.example.test. IN SRV 0 1 465 mail.example.test.
_submission._tcp.example.test. IN SRV 0 1 587 mail.example.test.
_imaps._tcp.example.test. IN SRV 0 1 994 mail.example.test.
_pop3s._tcp.example.test. IN TXT "not an SRV record"
""")
    with dns_server(zone, "--servfail", "_pop3._tcp.example.test") as port:
        code, states, out, err = check(ctl, port)
    assert code == 1, out + err
    want = {
        (DOMAIN, "MX"): "OK",
        (DOMAIN, "TXT"): "OK",                      # SPF: the same terms
        ("r1._domainkey." + DOMAIN, "TXT"): "DIFFERENT",   # an old key
        ("e1._domainkey." + DOMAIN, "TXT"): "OK",   # v= left out, a note added
        ("_dmarc." + DOMAIN, "TXT"): "DIFFERENT",   # p=none
        ("_mta-sts." + DOMAIN, "TXT"): "MISSING",
        ("_smtp._tls." + DOMAIN, "TXT"): "OK",
        ("_submissions._tcp." + DOMAIN, "SRV"): "OK",
        ("_submission._tcp." + DOMAIN, "SRV"): "OK",
        ("_imaps._tcp." + DOMAIN, "SRV"): "DIFFERENT",
        ("_imap._tcp." + DOMAIN, "SRV"): "MISSING",
        ("_pop3s._tcp." + DOMAIN, "SRV"): "MISSING",  # the name has a TXT record only
        ("_pop3._tcp." + DOMAIN, "SRV"): "UNKNOWN",
    }
    assert {k: v[0] for k, v in states.items()} == want, out
    rest = {k: v[1] for k, v in states.items()}
    # The old key is shown as published, its two strings joined.
    assert rest[("r1._domainkey." + DOMAIN, "TXT")].startswith("(p= is not our key) published "), out
    assert old_key in rest[("r1._domainkey." + DOMAIN, "TXT")], out
    assert rest[("_dmarc." + DOMAIN, "TXT")].startswith("(p=none (want p=quarantine)"), out
    assert rest[("_mta-sts." + DOMAIN, "TXT")].startswith('(NXDOMAIN) publish "v=STSv1; id='), out
    assert rest[("_imaps._tcp." + DOMAIN, "SRV")] == ("(other SRV records) published "
                                                     "0 1 994 mail.example.test."), out
    assert rest[("_pop3s._tcp." + DOMAIN, "SRV")].startswith("(NODATA) publish 0 1 995 "), out
    assert rest[("_pop3._tcp." + DOMAIN, "SRV")].startswith("(SERVFAIL"), out
    assert rest[(DOMAIN, "MX")] == "10 MAIL.example.test.", out  # as published
    assert f"; {DOMAIN}: 6 ok, 3 missing, 3 different, 1 unknown" in out, out
    assert "3 missing, 3 different, 1 not checked" in err, err


def test_zone_from_mailctls_own_output_passes(ctl, tmp_path):
    printed = printed_records(ctl)
    assert printed.count(" IN ") == 13, printed  # MX, SPF, 2 DKIM, DMARC, STS, TLS-RPT, 6 SRV
    # The RSA key's record is split into character-strings of at most 255 octets.
    rsa_line = next(ln for ln in printed.splitlines() if ln.startswith("r1._domainkey."))
    assert len(re.findall(r'"[^"]*"', rsa_line)) == 2, rsa_line
    zone = tmp_path / "own.zone"
    zone.write_text(ZONE_HEAD + printed)
    with dns_server(zone) as port:
        code, states, out, err = check(ctl, port)
        # The same through "mailctl dns records DOMAIN --check".
        code2, states2, _, _ = check(ctl, port, verb=("records",))
    assert code == 0, out + err
    assert len(states) == 13 and {v[0] for v in states.values()} == {"OK"}, out
    assert f"; {DOMAIN}: 13 ok, 0 missing, 0 different, 0 unknown" in out, out
    assert code2 == 0 and states2.keys() == states.keys()


def test_unreachable_resolver_is_unknown_not_ok(ctl, tmp_path):
    """No server answers: every record UNKNOWN, exit 1, in about one timeout (the lookups
    run at once)."""
    import time
    start = time.monotonic()
    code, states, out, err = check(ctl, 9, timeout=1)  # the discard port: nothing answers
    assert time.monotonic() - start < 8, out
    assert code == 1, out + err
    assert len(states) == 13 and {v[0] for v in states.values()} == {"UNKNOWN"}, out
    assert "13 not checked" in err, err
