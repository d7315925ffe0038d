"""POP3 SASL (RFC 5034) against the real pop3d with real and independent clients:
Python poplib (USER/PASS, and AUTH PLAIN/LOGIN/SCRAM-SHA-256 as raw commands with a SCRAM
client written in the test from RFC 5802 with hashlib/hmac), GNU SASL's gsasl client as a
second SCRAM implementation, SCRAM-SHA-256-PLUS over TLS 1.3 through openssl s_client
(which exports the RFC 9266 tls-exporter value), a wrong channel binding refused, -PLUS
absent on TLS 1.2, and fetchmail, which has no PLAIN/LOGIN/SCRAM for POP3 (its POP3 SASL
is CRAM-MD5, NTLM, GSSAPI, OTP, MSN), so it logs in with USER/PASS through the same
throttled Authenticator. Also the pre-login limits: login timeout, commands before
login, failed logins per session."""

import os
import poplib
import subprocess
import time

import pytest

import helpers
from conftest import ALICE, require_built, separate_suite
from sasl_clients import Gsasl, Scram, TlsPipe, b64, pop3_sasl


def plain(authzid, authcid, password):
    return f"{authzid}\0{authcid}\0{password}".encode()


@pytest.fixture
def pop(suite):
    suite.require("mailctl", "pop3d")
    p = poplib.POP3("127.0.0.1", suite.ports["pop3"], timeout=10)
    yield p
    try:
        p.quit()
    except (poplib.error_proto, OSError, AttributeError):  # already quit
        pass


def sasl_over_poplib(p, mechanism, respond, initial_response=False):
    def cmd(text):
        try:
            return p._shortcmd(text)
        except poplib.error_proto as e:
            return e.args[0]
    return pop3_sasl(cmd, mechanism, respond, initial_response)


def test_capa_lists_sasl_mechanisms(pop):
    caps = pop.capa()
    assert caps["SASL"] == ["SCRAM-SHA-256", "PLAIN", "LOGIN"], caps
    assert "STLS" in caps and "USER" in caps


def test_stls_on_tls13_adds_scram_plus(suite):
    suite.require("pop3d")
    p = poplib.POP3("127.0.0.1", suite.ports["pop3"], timeout=10)
    try:
        p.stls(context=helpers.unverified_context())
        assert p.sock.version() == "TLSv1.3"
        assert p.capa()["SASL"] == ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "PLAIN", "LOGIN"]
    finally:
        p.quit()


def test_auth_plain_with_and_without_initial_response(suite, pop):
    pw = suite.passwords[ALICE]
    reply = sasl_over_poplib(pop, "PLAIN", lambda c: plain("", ALICE, pw), initial_response=True)
    assert reply.startswith(b"+OK maildrop has"), reply
    assert pop.stat()[0] >= 0
    pop.quit()
    p = poplib.POP3("127.0.0.1", suite.ports["pop3"], timeout=10)
    try:
        reply = sasl_over_poplib(p, "PLAIN", lambda c: plain(ALICE, ALICE, pw))
        assert reply.startswith(b"+OK"), reply
    finally:
        p.quit()


def test_auth_login_and_failures(suite, pop):
    pw = suite.passwords[ALICE]
    answers = {b"Username:": ALICE.encode(), b"Password:": b"wrong"}
    assert sasl_over_poplib(pop, "LOGIN", answers.get) == b"-ERR [AUTH] Authentication failed"
    reply = sasl_over_poplib(pop, "PLAIN", lambda c: plain("bob@" + helpers.DOMAIN, ALICE, pw),
                             initial_response=True)
    assert reply.startswith(b"-ERR [AUTH]"), reply
    assert sasl_over_poplib(pop, "CRAM-MD5", lambda c: b"") == b"-ERR Unsupported authentication mechanism"
    assert pop._shortcmd("AUTH LOGIN").startswith(b"+ ")
    with pytest.raises(poplib.error_proto, match="cancelled"):
        pop._shortcmd("*")
    answers[b"Password:"] = pw.encode()
    assert sasl_over_poplib(pop, "LOGIN", answers.get).startswith(b"+OK")


def test_auth_scram_sha256_python_client(suite, pop):
    scram = Scram(ALICE, suite.passwords[ALICE])
    reply = sasl_over_poplib(pop, "SCRAM-SHA-256", scram.responder(), initial_response=True)
    assert reply.startswith(b"+OK"), reply
    assert scram.server_signature is not None
    wrong = Scram(ALICE, "not the password")
    p = poplib.POP3("127.0.0.1", suite.ports["pop3"], timeout=10)
    try:
        assert sasl_over_poplib(p, "SCRAM-SHA-256", wrong.responder()) == b"-ERR [AUTH] Authentication failed"
    finally:
        p.quit()


def test_auth_scram_sha256_gnu_sasl_client(suite, pop):
    helpers.need_tool("gsasl")
    g = Gsasl("SCRAM-SHA-256", ALICE, suite.passwords[ALICE])
    try:
        reply = sasl_over_poplib(pop, "SCRAM-SHA-256", g.responder())
    finally:
        g.close()
    assert reply.startswith(b"+OK"), reply


def test_scram_plus_over_tls13_gnu_sasl_and_python(suite):
    suite.require("pop3d")
    helpers.need_tool("gsasl")
    t = TlsPipe(suite.ports["pop3s"])
    try:
        assert len(t.exporter) == 32
        g = Gsasl("SCRAM-SHA-256-PLUS", ALICE, suite.passwords[ALICE], tls_exporter=t.exporter)
        try:
            reply = pop3_sasl(t.cmd, "SCRAM-SHA-256-PLUS", g.responder())
        finally:
            g.close()
        assert reply.startswith(b"+OK"), reply
        assert t.cmd("STAT").startswith(b"+OK")
        t.cmd("QUIT")
    finally:
        t.close()
    t = TlsPipe(suite.ports["pop3s"])
    try:
        scram = Scram(ALICE, suite.passwords[ALICE], channel_binding=t.exporter)
        assert pop3_sasl(t.cmd, "SCRAM-SHA-256-PLUS", scram.responder(), True).startswith(b"+OK")
        t.cmd("QUIT")
    finally:
        t.close()


def test_scram_plus_wrong_channel_binding_refused(suite):
    suite.require("pop3d")
    t = TlsPipe(suite.ports["pop3s"])
    try:
        # The exporter of another TLS session, as a man in the middle would relay it.
        other = bytes(b ^ 0xFF for b in t.exporter)
        scram = Scram(ALICE, suite.passwords[ALICE], channel_binding=other)
        reply = pop3_sasl(t.cmd, "SCRAM-SHA-256-PLUS", scram.responder(), True)
        assert reply == b"-ERR [AUTH] Authentication failed", reply
        # Claiming "y" (could bind, server did not offer it) where -PLUS was offered.
        downgrade = Scram(ALICE, suite.passwords[ALICE], cbind_flag="y")
        reply = pop3_sasl(t.cmd, "SCRAM-SHA-256", downgrade.responder(), True)
        assert reply.startswith(b"-ERR [AUTH]"), reply
        t.cmd("QUIT")
    finally:
        t.close()


def test_no_scram_plus_on_tls12(suite):
    suite.require("pop3d")
    t = TlsPipe(suite.ports["pop3s"], tls_version="-tls1_2")
    try:
        t.send("CAPA")
        lines = []
        while (line := t.readline()) != b".":
            lines.append(line)
        sasl = [l for l in lines if l.startswith(b"SASL ")]
        assert sasl == [b"SASL SCRAM-SHA-256 PLAIN LOGIN"], lines
        assert t.cmd("AUTH SCRAM-SHA-256-PLUS") == b"-ERR Unsupported authentication mechanism"
        scram = Scram(ALICE, suite.passwords[ALICE])
        assert pop3_sasl(t.cmd, "SCRAM-SHA-256", scram.responder(), True).startswith(b"+OK")
        t.cmd("QUIT")
    finally:
        t.close()


def test_fetchmail_logs_in_through_the_authenticator(suite, tmp_path):
    """fetchmail over POP3S: it sees SASL PLAIN/LOGIN/SCRAM but has none of them for POP3,
    so it sends USER/PASS, which the Authenticator checks (event=auth_success)."""
    helpers.need_tool("fetchmail")
    suite.require("pop3d")
    user = suite.new_user("fmsasl")
    rc = tmp_path / "rc"
    rc.write_text(f"""poll localhost protocol POP3 service {suite.ports['pop3s']}
  user "{user}" password "{suite.passwords[user]}"
  ssl sslcertck sslcertfile "{suite.cert_dir}/cert.pem" keep mda "cat >> {tmp_path}/mbox"
""")
    os.chmod(rc, 0o600)
    r = subprocess.run(["fetchmail", "-f", str(rc), "--nosyslog", "-v", "--idfile", str(tmp_path / "ids")],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, HOME=str(tmp_path)))
    out = r.stdout + r.stderr
    assert r.returncode == 1, out  # 1: logged in, no mail
    assert "SASL SCRAM-SHA-256" in out and "POP3> PASS" in out, out
    log = suite.logs["pop3d"].read_text()
    assert "event=auth_success" in log and f"user={user}" in log


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    for name in ("mailctl", "pop3d"):
        require_built(name)
    sections = {"pop3d": "login_timeout = 2\nmax_login_commands = 5\nmax_login_failures = 2"}
    with separate_suite(tmp_path_factory.mktemp("pop3-limits"), sections=sections) as s:
        yield s


def test_login_timeout_covers_the_whole_authorization_state(strict):
    c = helpers.Pop3(strict.ports["pop3"])
    try:
        start = time.monotonic()
        assert c.cmd("CAPA").startswith(b"+OK")
        c.multiline()
        c.sock.settimeout(10)
        time.sleep(1.2)
        assert c.cmd("NOOP").startswith(b"-ERR")  # still inside the 2 s
        assert c.readline() == b"-ERR [SYS/TEMP] Login timeout"
        assert 1.8 < time.monotonic() - start < 4
    finally:
        c.close()


def test_commands_and_failures_before_login_are_limited(strict):
    c = helpers.Pop3(strict.ports["pop3"])
    try:
        for _ in range(5):
            assert c.cmd("NOOP").startswith(b"-ERR")
        assert c.cmd("NOOP") == b"-ERR Too many commands without login"
        assert c.pending() == b""
    finally:
        c.close()
    c = helpers.Pop3(strict.ports["pop3"])
    try:
        assert c.cmd("AUTH PLAIN " + b64(plain("", ALICE, "wrong1"))) == b"-ERR [AUTH] Authentication failed"
        assert c.cmd("AUTH PLAIN " + b64(plain("", ALICE, "wrong2"))) == b"-ERR [AUTH] Authentication failed"
        assert c.readline() == b"-ERR Too many failed logins"
        assert c.pending() == b""
    finally:
        c.close()
