"""Shared parts of the mail authentication tests (test_mailauth*.py) and bench/mailauth_rate.py:
keys made by independent tools (openssl, python3-nacl), a zone served on loopback by
tests/dns/dns_server.py, a separate suite whose resolver asks it, messages signed by
python3-dkim (dkimpy), and our Authentication-Results field parsed by python3-authres.
"""

import base64
import contextlib
import email
import email.policy
import re
import subprocess
import time

import helpers
from conftest import ALICE, PASSWORDS, REPO, separate_suite

SIGNED = [b"From", b"To", b"Subject", b"Date", b"Message-ID"]
ZONE_HEAD = "$TTL 300\ntest. IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300\n"


def rsa_key(tmp, name="sender"):
    """(private PEM bytes, base64 SubjectPublicKeyInfo) of a new RSA 2048 key (openssl)."""
    key = tmp / f"{name}.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", str(key)], check=True, capture_output=True, timeout=60)
    der = subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True, timeout=60).stdout
    return key.read_bytes(), base64.b64encode(der).decode()


def ed25519_key():
    """(private seed base64 as dkimpy wants it, raw public key base64 for p=, RFC 8463 4.2)."""
    import nacl.encoding
    import nacl.signing
    sk = nacl.signing.SigningKey.generate()
    return (sk.encode(encoder=nacl.encoding.Base64Encoder),
            sk.verify_key.encode(encoder=nacl.encoding.Base64Encoder).decode())


def txt(value):
    """A TXT value in zone-file syntax, split into character-strings under 255 octets."""
    return " ".join(f'"{value[i:i + 250]}"' for i in range(0, len(value), 250))


@contextlib.contextmanager
def dns_server(zone_file, *args):
    """tests/dns/dns_server.py serving `zone_file` on a free loopback port; yields the port."""
    dns = subprocess.Popen(["/usr/bin/python3", str(REPO / "tests/dns/dns_server.py"),
                            str(zone_file), *args], stdout=subprocess.PIPE, text=True)
    try:
        ready = dns.stdout.readline().split()
        assert ready and ready[0] == "ready", ready
        yield int(ready[1])
    finally:
        dns.terminate()
        dns.wait(timeout=10)


@contextlib.contextmanager
def mailauth_suite(root, zone_text, dns_args=(), mailauth_keys=""):
    """A separate suite with SPF, DKIM and DMARC on, its resolver asking a DNS server that
    serves `zone_text`. The suite gets .dns_port and .zone_file."""
    zone = root / "mailauth.zone"
    zone.write_text(zone_text)
    with dns_server(zone, *dns_args) as port:
        sections = {
            "dns": f'resolvers = ["127.0.0.1@{port}"]\ntimeout = 2',
            "mailauth": "spf = true\ndkim_verify = true\ndmarc = true\ndkim_sign = true\n"
                        "timeout = 4\n" + mailauth_keys,
        }
        with separate_suite(root / "suite", sections=sections) as s:
            s.dns_port = port
            s.zone_file = zone
            yield s


def message(tag, sender, to=ALICE, extra_headers=()):
    lines = [f"From: <{sender}>", f"To: <{to}>", f"Subject: mailauth {tag}",
             f"Message-ID: <{tag}@outside.test>", "Date: Sat, 05 Dec 2026 00:00:00 +0000",
             *extra_headers, "", f"Body of {tag}.", "Second line."]
    return ("\r\n".join(lines) + "\r\n").encode()


def crlf(data):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def dkim_sign(msg, selector, domain, key, algorithm=b"rsa-sha256", extra_tags=None):
    """`msg` with a dkimpy signature on top. `extra_tags` {b"x": b"..."} adds tags to the
    signature before it is computed (dkimpy 1.1 has no x= option), e.g. an expiry; a b"t"
    entry replaces the signing time."""
    import dkim
    original = dkim.DKIM.gen_header

    def gen_header(self, fields, *args, **kw):
        extra = dict(extra_tags or {})
        fields = [(k, extra.pop(k, v)) for k, v in fields]
        at = [k for k, _ in fields].index(b"h")
        fields[at:at] = list(extra.items())
        return original(self, fields, *args, **kw)

    dkim.DKIM.gen_header = gen_header
    try:
        sig = dkim.sign(msg, selector, domain, key, include_headers=SIGNED,
                        signature_algorithm=algorithm)
    finally:
        dkim.DKIM.gen_header = original
    return crlf(sig) + msg


def imap_find(s, tag, user=ALICE, boxes=("INBOX",), deadline=10):
    """(mailbox, raw message) of the message whose text holds `tag`, polling `boxes`."""
    m = helpers.imap_login(s.ports["imap"], user, PASSWORDS[user])
    try:
        def look():
            for box in boxes:
                typ, data = m.select(box)
                if typ != "OK" or int(data[0]) == 0:
                    continue
                typ, data = m.uid("SEARCH", "TEXT", tag)
                uids = data[0].split() if typ == "OK" and data and data[0] else []
                if uids:
                    typ, data = m.uid("FETCH", uids[-1].decode(), "(BODY.PEEK[])")
                    assert typ == "OK", data
                    return box, helpers.literal(data)
            return None
        found, _ = helpers.wait_until(look, deadline=deadline, interval=0.05)
        assert found, f"message {tag} not in {boxes}"
        return found
    finally:
        m.logout()


def fetch(s, tag, user=ALICE):
    return imap_find(s, tag, user)[1]


def our_results(raw):
    """Our Authentication-Results field, parsed by python3-authres: ({method: result}, field)."""
    import authres
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    ours = []
    for value in msg.get_all("Authentication-Results", []):
        value = re.sub(r"\r?\n[ \t]", " ", value)
        parsed = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)
        if parsed.authserv_id.lower() == helpers.HOSTNAME:
            ours.append(parsed)
    assert len(ours) == 1, f"expected one field of ours, got {len(ours)}:\n{raw[:1500]!r}"
    return {r.method: r.result for r in ours[0].results}, ours[0]


def send_mx(s, sender, msg, rcpt=ALICE):
    return helpers.smtp_send(s.ports["smtp"], sender, [rcpt], msg)


def submit_signed(s, sender, to, make_message, want=lambda raw: b"DKIM-Signature:" in raw,
                  deadline=3):
    """Submits (STARTTLS, AUTH) messages from make_message(tag) until one arrives for which
    want(raw) holds (smtpd re-reads its DKIM keys at most once a second); returns the raw
    message as delivered."""
    import smtplib
    end = time.time() + deadline
    while True:
        tag = helpers.token()
        with smtplib.SMTP("127.0.0.1", s.ports["submission"], timeout=helpers.TIMEOUT) as c:
            c.starttls(context=helpers.unverified_context())
            c.ehlo()
            c.login(sender, PASSWORDS[sender])
            c.sendmail(sender, [to], make_message(tag))
        raw = fetch(s, tag, user=to)
        if want(raw) or time.time() > end:
            return raw
        time.sleep(0.2)


def dkim_fields(raw):
    """The DKIM-Signature fields of `raw` as (selector, algorithm, field bytes) in order."""
    head = raw[:raw.index(b"\r\n\r\n") + 2]
    fields = re.findall(rb"^DKIM-Signature:.*?\r\n(?=[^ \t])", head, re.M | re.S)
    out = []
    for f in fields:
        flat = re.sub(rb"\s+", b"", f)
        out.append((re.search(rb";s=([^;]+)", flat).group(1).decode(),
                    re.search(rb";a=([^;]+)", flat).group(1).decode(), f))
    return out


def record_of(s, domain, selector):
    """The TXT value `mailctl dkim show` prints for one selector (strings joined)."""
    shown = s.mailctl("dkim", "show", domain, "--selector", selector).stdout
    assert f"{selector}._domainkey.{domain}." in shown, shown
    return "".join(re.findall(r'"([^"]*)"', shown))
