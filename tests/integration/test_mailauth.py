"""Mail authentication end to end (issue 18): SPF, DKIM and DMARC of mail arriving on the
MX port, our Authentication-Results field, DKIM signing of submitted mail.

A zone served by tests/dns/dns_server.py on loopback holds the sender domains' SPF, DKIM
and DMARC records; smtpd's resolver (dns.resolvers) asks it. Messages are signed by an
independent implementation (python3-dkim), sent by real clients (smtplib, swaks), read
back over IMAP, and our Authentication-Results field is parsed by python3-authres. Our
own signatures are verified by python3-dkim against the record `mailctl dkim show` prints.
"""

import base64
import email
import email.policy
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import helpers
from conftest import ALICE, BOB, PASSWORDS, REPO, report_figure, require_built, separate_suite

dkim = pytest.importorskip("dkim")
authres = pytest.importorskip("authres")

SELECTOR = b"sel1"
SIGNED = [b"From", b"To", b"Subject", b"Date", b"Message-ID"]


def _rsa_key(tmp):
    key = tmp / "sender.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", str(key)], check=True, capture_output=True, timeout=60)
    der = subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True, timeout=60).stdout
    return key.read_bytes(), base64.b64encode(der).decode()


def _txt(value):
    return " ".join(f'"{value[i:i + 250]}"' for i in range(0, len(value), 250))


def _zone(public_key):
    return f"""$TTL 300
test. IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300
sender.test. IN TXT "v=spf1 ip4:127.0.0.0/8 -all"
sel1._domainkey.sender.test. IN TXT {_txt("v=DKIM1; k=rsa; p=" + public_key)}
_dmarc.sender.test. IN TXT "v=DMARC1; p=reject"
spoof.test. IN TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc.spoof.test. IN TXT "v=DMARC1; p=reject"
soft.test. IN TXT "v=spf1 ip4:192.0.2.1 ~all"
neutral.test. IN TXT "v=spf1 ?all"
perm.test. IN TXT "v=spf1 include:nowhere.test -all"
nospf.test. IN A 192.0.2.7
slow.test. IN TXT "v=spf1 -all"
quar.test. IN TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc.quar.test. IN TXT "v=DMARC1; p=quarantine"
"""


@pytest.fixture(scope="module")
def mailauth(tmp_path_factory):
    for name in ("mailctl", "smtpd", "queued", "imapd"):
        require_built(name)
    root = tmp_path_factory.mktemp("mailauth")
    private_pem, public_key = _rsa_key(root)
    zone = root / "mailauth.zone"
    zone.write_text(_zone(public_key))
    dns = subprocess.Popen(["/usr/bin/python3", str(REPO / "tests/dns/dns_server.py"), str(zone),
                            "--delay", "slow.test=30"],
                           stdout=subprocess.PIPE, text=True)
    try:
        ready = dns.stdout.readline().split()
        assert ready and ready[0] == "ready", ready
        port = int(ready[1])
        sections = {
            "dns": f'resolvers = ["127.0.0.1@{port}"]\ntimeout = 2',
            "mailauth": "spf = true\ndkim_verify = true\ndmarc = true\ndkim_sign = true\n"
                        "timeout = 4",
        }
        with separate_suite(root / "suite", sections=sections) as s:
            s.sender_key = private_pem
            yield s
    finally:
        dns.terminate()
        dns.wait(timeout=10)


def _message(tag, sender, to=ALICE, extra_headers=()):
    lines = [f"From: <{sender}>", f"To: <{to}>", f"Subject: mailauth {tag}",
             f"Message-ID: <{tag}@outside.test>", "Date: Sat, 05 Dec 2026 00:00:00 +0000",
             *extra_headers, "", f"Body of {tag}.", "Second line."]
    return ("\r\n".join(lines) + "\r\n").encode()


def _signed(s, tag, sender="bob@sender.test", **kw):
    msg = _message(tag, sender, **kw)
    sig = dkim.sign(msg, SELECTOR, b"sender.test", s.sender_key, include_headers=SIGNED)
    return sig.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n") + msg


def _fetch(s, tag, user=ALICE):
    uids, _ = helpers.imap_wait(s.ports["imap"], user, PASSWORDS[user], tag, deadline=10)
    m = helpers.imap_login(s.ports["imap"], user, PASSWORDS[user])
    try:
        m.select("INBOX")
        typ, data = m.uid("FETCH", str(uids[-1]), "(BODY.PEEK[])")
        assert typ == "OK", data
        return helpers.literal(data)
    finally:
        m.logout()


def _our_results(raw):
    """Our Authentication-Results fields, parsed by python3-authres: {method: result}."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    ours = []
    for value in msg.get_all("Authentication-Results", []):
        value = re.sub(r"\r?\n[ \t]", " ", value)
        parsed = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)
        if parsed.authserv_id.lower() == helpers.HOSTNAME:
            ours.append(parsed)
    assert len(ours) == 1, f"expected one field of ours, got {len(ours)}:\n{raw[:1500]!r}"
    return {r.method: r.result for r in ours[0].results}, ours[0]


def _send_mx(s, sender, message, rcpt=ALICE):
    return helpers.smtp_send(s.ports["smtp"], sender, [rcpt], message)


def test_dkimpy_signed_mail_passes_spf_dkim_dmarc(mailauth):
    tag = helpers.token()
    _send_mx(mailauth, "bob@sender.test", _signed(mailauth, tag))
    results, _ = _our_results(_fetch(mailauth, tag))
    assert results["spf"] == "pass"
    assert results["dkim"] == "pass"
    assert results["dmarc"] == "pass"


def test_tampered_body_fails_dkim(mailauth):
    tag = helpers.token()
    msg = _signed(mailauth, tag).replace(b"Second line.", b"Second line, changed.")
    _send_mx(mailauth, "bob@sender.test", msg)
    results, _ = _our_results(_fetch(mailauth, tag))
    assert results["dkim"] == "fail"
    assert results["dmarc"] == "pass"  # SPF still aligned


def test_tampered_signed_header_fails_dkim(mailauth):
    tag = helpers.token()
    msg = _signed(mailauth, tag).replace(f"Subject: mailauth {tag}".encode(),
                                         f"Subject: mailauth {tag} forged".encode())
    _send_mx(mailauth, "bob@sender.test", msg)
    results, _ = _our_results(_fetch(mailauth, tag))
    assert results["dkim"] == "fail"


@pytest.mark.parametrize("domain,expected", [
    ("soft.test", "softfail"), ("neutral.test", "neutral"), ("nospf.test", "none"),
    ("perm.test", "permerror"),
])
def test_spf_results(mailauth, domain, expected):
    tag = helpers.token()
    sender = f"someone@{domain}"
    _send_mx(mailauth, sender, _message(tag, sender))
    results, _ = _our_results(_fetch(mailauth, tag))
    assert results["spf"] == expected


def test_dmarc_reject_refuses_spoofed_mail_with_swaks(mailauth):
    if not shutil.which("swaks"):
        pytest.skip("swaks is not installed")
    tag = helpers.token()
    r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(mailauth.ports["smtp"]),
                        "--helo", "client.outside.test", "--from", "ceo@spoof.test",
                        "--to", ALICE, "--header", f"Subject: mailauth {tag}",
                        "--h-From", "<ceo@spoof.test>", "--body", "pay this invoice"],
                       capture_output=True, text=True, timeout=60)
    assert re.search(r"<\S* 550[ -]5\.7\.1", r.stdout), r.stdout[-1500:]


def test_dmarc_quarantine_delivers_to_junk(mailauth):
    tag = helpers.token()
    _send_mx(mailauth, "x@quar.test", _message(tag, "x@quar.test"))
    m = helpers.imap_login(mailauth.ports["imap"], ALICE, PASSWORDS[ALICE])
    try:
        def in_box(box):
            typ, data = m.select(box)
            assert typ == "OK", data
            if int(data[0]) == 0:
                return None
            typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
            for part in data:
                if isinstance(part, tuple) and tag.encode() in part[1]:
                    return part[1]
            return None
        raw, _ = helpers.wait_until(lambda: in_box("Junk"), deadline=10)
        assert raw, "quarantined message not in Junk"
        results, field = _our_results(raw)
        assert results["dmarc"] == "fail"
        assert "policy.dmarc=quarantine" in str(field)
        assert in_box("INBOX") is None
    finally:
        m.logout()


def test_forged_auth_results_removed(mailauth):
    tag = helpers.token()
    forged = f"Authentication-Results: {helpers.HOSTNAME}; spf=pass smtp.mailfrom=x@sender.test; dkim=pass header.d=bank.test"
    foreign = "Authentication-Results: other.example; spf=none"
    msg = _signed(mailauth, tag, extra_headers=(forged, foreign))
    _send_mx(mailauth, "bob@sender.test", msg)
    raw = _fetch(mailauth, tag)
    results, _ = _our_results(raw)  # exactly one field with our id: the forged one is gone
    assert b"header.d=bank.test" not in raw
    assert b"other.example; spf=none" in raw  # another authserv-id's field is left alone
    assert results["spf"] == "pass"


def test_dns_timeout_defers(mailauth):
    tag = helpers.token()
    c = helpers.Smtp(mailauth.ports["smtp"])
    try:
        assert c.greeting[0] == 220
        c.ehlo()
        helpers.expect(c.cmd("MAIL FROM:<a@slow.test>"), 250)
        helpers.expect(c.cmd(f"RCPT TO:<{ALICE}>"), 250)
        helpers.expect(c.cmd("DATA"), 354)
        start = time.monotonic()
        reply = c.cmd(_message(tag, "a@slow.test").decode() + ".")
        took = time.monotonic() - start
        helpers.expect(reply, 451, "4.7.24")
        assert took < 15, took
    finally:
        c.close()


def test_submitted_mail_is_dkim_signed_and_verifies(mailauth):
    s = mailauth
    record = s.mailctl("dkim", "generate", helpers.DOMAIN, "--selector", "test1").stdout
    shown = s.mailctl("dkim", "show", helpers.DOMAIN).stdout
    assert "test1._domainkey.example.test." in shown
    txt = "".join(re.findall(r'"([^"]*)"', shown))
    assert txt.startswith("v=DKIM1; k=rsa; p=") and txt in "".join(re.findall(r'"([^"]*)"', record))
    tag = helpers.token()
    msg = _message(tag, ALICE, to=BOB)
    deadline = time.time() + 3  # the signer re-reads its key directory at most once a second
    import smtplib
    while True:
        with smtplib.SMTP("127.0.0.1", s.ports["submission"], timeout=helpers.TIMEOUT) as c:
            c.starttls(context=helpers.unverified_context())
            c.ehlo()
            if not c.has_extn("auth"):
                pytest.skip("smtpd offers no AUTH yet (the submission branch adds it)")
            c.login(ALICE, PASSWORDS[ALICE])
            c.sendmail(ALICE, [BOB], msg)
        raw = _fetch(s, tag, user=BOB)
        if b"DKIM-Signature:" in raw or time.time() > deadline:
            break
        tag = helpers.token()
        msg = _message(tag, ALICE, to=BOB)
    assert b"DKIM-Signature:" in raw
    signed = raw[raw.index(b"DKIM-Signature:"):]  # our trace fields above it are not signed

    def dnsfunc(name, timeout=5):
        assert name == b"test1._domainkey.example.test.", name
        return txt.encode()

    assert dkim.verify(signed, dnsfunc=dnsfunc)
    assert not dkim.verify(signed.replace(b"Second line.", b"Second line!"), dnsfunc=dnsfunc)


def test_mailctl_dns_prints_every_record(mailauth):
    out = mailauth.mailctl("dns", "records", helpers.DOMAIN).stdout
    for needle in ["IN MX 10 mail.example.test.", '"v=spf1 mx -all"', "_dmarc.example.test.",
                   "_domainkey.example.test.", "_mta-sts.example.test.", "_smtp._tls.example.test.",
                   "_submission._tcp.example.test. 3600 IN SRV 0 1 587",
                   "_imaps._tcp.example.test. 3600 IN SRV 0 1 993"]:
        assert needle in out, out


def test_verification_cost_per_message(mailauth):
    """Time from the end of DATA to 250 with all three checks (the DNS answers cached)."""
    n = 20
    msgs = [_signed(mailauth, helpers.token()) for _ in range(n)]
    _send_mx(mailauth, "bob@sender.test", msgs[0])  # warm the resolver cache
    import smtplib
    with smtplib.SMTP("127.0.0.1", mailauth.ports["smtp"], timeout=helpers.TIMEOUT) as c:
        c.ehlo("client.outside.test")
        start = time.monotonic()
        for m in msgs[1:]:
            c.sendmail("bob@sender.test", [ALICE], m)
        per = (time.monotonic() - start) / (n - 1) * 1000
    report_figure(f"mailauth: {per:.1f} ms per message (SPF+DKIM+DMARC, one session, "
                  f"cached DNS, including queue fsync)")
