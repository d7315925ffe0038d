"""DKIM against independent implementations (issue 18): inbound signatures made by dkimpy
(rsa-sha256 and ed25519-sha256, RFC 8463; an expired x=), and our own signatures
(RSA and Ed25519 keys from `mailctl dkim generate`, key rotation with two selectors)
verified by dkimpy and by OpenDKIM's opendkim-testmsg.

opendkim-testmsg has no key option: it asks DNS through the system resolver. It runs in a
network and mount namespace of its own (unshare, as root) where /etc/resolv.conf names
127.0.0.1 and tests/dns/dns_server.py answers on port 53 with the records mailctl printed.
"""

import re
import shutil
import subprocess
import time

import pytest

import helpers
from conftest import ALICE, BOB, PASSWORDS, REPO, require_built
from mailauth_env import (ZONE_HEAD, dkim_fields, dkim_sign, ed25519_key, fetch, mailauth_suite,
                          message, our_results, record_of, rsa_key, send_mx, submit_signed, txt)

dkim = pytest.importorskip("dkim")
pytest.importorskip("authres")
pytest.importorskip("nacl")


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    for name in ("mailctl", "smtpd", "queued", "imapd"):
        require_built(name)
    root = tmp_path_factory.mktemp("mailauth_dkim")
    rsa_private, rsa_public = rsa_key(root)
    ed_private, ed_public = ed25519_key()
    zone = ZONE_HEAD + f"""sender.test. IN TXT "v=spf1 ip4:127.0.0.0/8 -all"
sel1._domainkey.sender.test. IN TXT {txt("v=DKIM1; k=rsa; p=" + rsa_public)}
ed1._domainkey.sender.test. IN TXT "v=DKIM1; k=ed25519; p={ed_public}"
_dmarc.sender.test. IN TXT "v=DMARC1; p=none"
nullmx.test. IN MX 0 .
"""
    with mailauth_suite(root, zone) as s:
        s.rsa_private, s.ed_private = rsa_private, ed_private
        yield s


def _inbound(s, tag, selector, key, algorithm, **kw):
    return dkim_sign(message(tag, "bob@sender.test"), selector, b"sender.test", key, algorithm,
                     **kw)


def _dkim_of(s, msg, tag):
    send_mx(s, "bob@sender.test", msg)
    results, field = our_results(fetch(s, tag))
    return results["dkim"], str(field)


# --- inbound: dkimpy signs, we verify --------------------------------------------------


def test_expired_signature_fails(suite):
    """RFC 6376 3.5 x=: a verifier may treat a signature past its expiry as invalid; 6.1.1
    makes it PERMFAIL (signature expired), which we report as dkim=fail (RFC 8601 2.7.1).
    dkimpy agrees. The same signature with x= ahead passes, so x= alone decides."""
    now = int(time.time())
    tag = helpers.token()
    expired = _inbound(suite, tag, b"sel1", suite.rsa_private, b"rsa-sha256",
                       extra_tags={b"t": str(now - 3 * 86400).encode(),
                                   b"x": str(now - 2 * 86400).encode()})
    assert b"x=" in expired and not dkim.verify(expired, dnsfunc=_zone_dnsfunc(suite))
    result, field = _dkim_of(suite, expired, tag)
    assert result == "fail", field

    tag = helpers.token()
    valid = _inbound(suite, tag, b"sel1", suite.rsa_private, b"rsa-sha256",
                     extra_tags={b"x": str(now + 86400).encode()})
    assert dkim.verify(valid, dnsfunc=_zone_dnsfunc(suite))
    result, field = _dkim_of(suite, valid, tag)
    assert result == "pass", field


def test_dkimpy_ed25519_signature_passes(suite):
    """RFC 8463: an ed25519-sha256 signature by dkimpy verifies (libopendkim built with
    Ed25519; smtpd would log dkim_no_ed25519 otherwise); a tampered one fails."""
    tag = helpers.token()
    msg = _inbound(suite, tag, b"ed1", suite.ed_private, b"ed25519-sha256")
    assert dkim.verify(msg, dnsfunc=_zone_dnsfunc(suite))
    result, field = _dkim_of(suite, msg, tag)
    assert result == "pass", field
    assert "header.a=ed25519-sha256" in field and "header.s=ed1" in field, field
    assert b"dkim_no_ed25519" not in suite.logs["smtpd"].read_bytes()

    tag = helpers.token()
    msg = _inbound(suite, tag, b"ed1", suite.ed_private, b"ed25519-sha256")
    result, field = _dkim_of(suite, msg.replace(b"Second line.", b"Second line!"), tag)
    assert result == "fail", field


def _zone_dnsfunc(s):
    """dkimpy's key lookup answered from the test's zone file (same records smtpd sees)."""
    text = s.zone_file.read_text()

    def dnsfunc(name, timeout=5):
        m = re.search(re.escape(name.decode().rstrip(".")) + r"\. IN TXT (.*)", text)
        return "".join(re.findall(r'"([^"]*)"', m.group(1))).encode() if m else None
    return dnsfunc


# --- outbound: we sign, dkimpy and opendkim-testmsg verify ----------------------------


def _testmsg(s, tmp_path, msg, records):
    """opendkim-testmsg's verdict on `msg` with `records` {name: value} in DNS: (rc, output)."""
    if not shutil.which("opendkim-testmsg"):
        pytest.fail("opendkim-testmsg missing: scripts/install-deps.sh installs opendkim-tools")
    zone = tmp_path / "testmsg.zone"
    zone.write_text(ZONE_HEAD + "".join(f"{n}. IN TXT {txt(v)}\n" for n, v in records.items()))
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\noptions attempts:1 timeout:2\n")
    (tmp_path / "msg.eml").write_bytes(msg)
    script = r"""
set -u
ip link set lo up && mount --bind "$1" /etc/resolv.conf || exit 97
coproc DNS { exec /usr/bin/python3 "$2" "$3" --port 53; }
read -r ready port pid <&"${DNS[0]}" || exit 98
[ "$ready" = ready ] || exit 98
opendkim-testmsg < "$4"; rc=$?
kill "$pid"; wait
exit $rc
"""
    r = subprocess.run(["unshare", "--net", "--mount", "bash", "-c", script, "testmsg",
                        str(resolv), str(REPO / "tests/dns/dns_server.py"), str(zone),
                        str(tmp_path / "msg.eml")], capture_output=True, text=True, timeout=60)
    assert r.returncode not in (97, 98), r.stderr
    return r.returncode, r.stdout + r.stderr


def _only_signature(raw, field):
    """`raw` from its first DKIM-Signature on (our trace fields above are not signed), with
    every other DKIM-Signature field left out (ours do not sign DKIM-Signature)."""
    start = raw.index(b"DKIM-Signature:")
    head, body = raw[start:].split(b"\r\n\r\n", 1)
    others = [f for _, _, f in dkim_fields(raw) if f != field]
    head += b"\r\n"
    for f in others:
        head = head.replace(f, b"", 1)
    return head + b"\r\n" + body


def _verify_each(s, tmp_path, raw, domain="example.test"):
    """Every DKIM signature of `raw` checked alone by dkimpy and by opendkim-testmsg, and
    both shown to reject it after the body changes: {selector: algorithm}."""
    seen = {}
    for selector, algorithm, field in dkim_fields(raw):
        one = _only_signature(raw, field)
        record = record_of(s, domain, selector)
        name = f"{selector}._domainkey.{domain}"

        def dnsfunc(qname, timeout=5):
            assert qname.decode().rstrip(".") == name, qname
            return record.encode()
        tampered = one.replace(b"Second line.", b"Second line!")
        assert dkim.verify(one, dnsfunc=dnsfunc), (selector, one[:600])
        assert not dkim.verify(tampered, dnsfunc=dnsfunc)
        rc, out = _testmsg(s, tmp_path, one, {name: record})
        assert rc == 0 and out.strip() == "", (selector, rc, out)
        rc, out = _testmsg(s, tmp_path, tampered, {name: record})
        assert rc != 0, (selector, out)
        seen[selector] = algorithm
    return seen


def _submitted(s, want):
    return submit_signed(s, ALICE, BOB, lambda tag: message(tag, ALICE, to=BOB), want=want)


def test_our_rsa_and_ed25519_signatures_verify(suite, tmp_path):
    """mailctl dkim generate --algorithm rsa and ed25519: both keys sign (the first key of
    each algorithm is active); dkimpy and opendkim-testmsg verify each signature."""
    suite.mailctl("dkim", "generate", "example.test", "--selector", "r1")
    suite.mailctl("dkim", "generate", "example.test", "--selector", "e1", "--algorithm", "ed25519")
    assert "k=ed25519;" in record_of(suite, "example.test", "e1")
    raw = _submitted(suite, lambda raw: len(dkim_fields(raw)) == 2)
    assert _verify_each(suite, tmp_path, raw) == {"r1": "rsa-sha256", "e1": "ed25519-sha256"}


def test_key_rotation_with_two_selectors(suite, tmp_path):
    """A second RSA selector is published only until activated; then it signs instead of
    the old one (both records stay published until the old key is retired)."""
    if "r1" not in suite.mailctl("dkim", "list", "example.test").stdout:
        suite.mailctl("dkim", "generate", "example.test", "--selector", "r1")
    suite.mailctl("dkim", "generate", "example.test", "--selector", "r2")
    listed = suite.mailctl("dkim", "list", "example.test").stdout
    assert re.search(r"example\.test\tr1\trsa\t2048\tactive", listed), listed
    assert re.search(r"example\.test\tr2\trsa\t2048\tpublished", listed), listed
    records = suite.mailctl("dns", "records", "example.test").stdout
    assert "r1._domainkey.example.test." in records and "r2._domainkey.example.test." in records

    raw = _submitted(suite, lambda raw: True)
    assert [sel for sel, alg, _ in dkim_fields(raw) if alg == "rsa-sha256"] == ["r1"]

    suite.mailctl("dkim", "activate", "example.test", "r2")
    raw = _submitted(suite, lambda raw: "r2" in [sel for sel, _, _ in dkim_fields(raw)])
    rsa = [sel for sel, alg, _ in dkim_fields(raw) if alg == "rsa-sha256"]
    assert rsa == ["r2"], rsa
    assert "r2" in _verify_each(suite, tmp_path, raw)

    refused = suite.mailctl("dkim", "retire", "example.test", "r2", check=False)
    assert refused.returncode != 0, "retiring the active key must be refused"
    suite.mailctl("dkim", "retire", "example.test", "r1")
    listed = suite.mailctl("dkim", "list", "example.test").stdout
    assert "\tr1\t" not in listed and "\tr2\t" in listed, listed


def test_our_bounces_are_signed(suite, tmp_path):
    """A DSN from MAILER-DAEMON@mail.example.test (the null MX of nullmx.test bounces at
    once) carries our signature for example.test, the nearest parent domain with a key;
    dkimpy and opendkim-testmsg verify it, and reject it once its report part changes."""
    import smtplib
    if "example.test\t" not in suite.mailctl("dkim", "list", "example.test").stdout:
        suite.mailctl("dkim", "generate", "example.test", "--selector", "r1")
    tag = helpers.token()
    with smtplib.SMTP("127.0.0.1", suite.ports["submission"], timeout=helpers.TIMEOUT) as c:
        c.starttls(context=helpers.unverified_context())
        c.ehlo()
        c.login(ALICE, PASSWORDS[ALICE])
        c.sendmail(ALICE, ["x@nullmx.test"], message(tag, ALICE, to="x@nullmx.test"))
    raw = fetch(suite, tag)
    head = raw[:raw.index(b"\r\n\r\n")]
    assert b"multipart/report" in head and b"MAILER-DAEMON@" in head, head
    fields = dkim_fields(raw)
    assert len(fields) >= 1, head
    for selector, _, field in fields:
        assert b"d=example.test;" in re.sub(rb"\s+", b"", field), field
        one = _only_signature(raw, field)
        name = f"{selector}._domainkey.example.test"
        record = record_of(suite, "example.test", selector)
        tampered = one.replace(b"Action: failed", b"Action: delayed", 1)
        assert tampered != one
        assert dkim.verify(one, dnsfunc=lambda q, timeout=5: record.encode())
        assert not dkim.verify(tampered, dnsfunc=lambda q, timeout=5: record.encode())
        rc, out = _testmsg(suite, tmp_path, one, {name: record})
        assert rc == 0 and out.strip() == "", (selector, rc, out)
