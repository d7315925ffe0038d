"""IMAP LOGIN and AUTHENTICATE through the shared Authenticator, against the real imapd:
the CAPABILITY AUTH= list from the Authenticator (SCRAM-SHA-256-PLUS only on TLS 1.3),
imaplib's AUTHENTICATE with SCRAM-SHA-256 (a client written from RFC 5802) and LOGIN,
GNU SASL's gsasl in its --imap mode (its own STARTTLS and RFC 9266 channel binding) for
SCRAM-SHA-256 and -PLUS, -PLUS with a wrong channel binding refused (openssl s_client's
tls-exporter value), the session ending after imapd.max_login_failures failures, and one
login throttle shared by smtpd, imapd and pop3d."""

import base64
import imaplib
import shutil
import subprocess

import pytest

import helpers
from conftest import ALICE, require_built, separate_suite
from helpers import Imap, Pop3, Smtp
from sasl_clients import Scram, TlsPipe, imap_sasl


@pytest.fixture
def running(suite):
    suite.require("mailctl", "imapd")
    return suite


def need(tool):
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed (scripts/install-deps.sh installs it)")


def test_capabilities_list_the_mechanisms(running):
    m = imaplib.IMAP4("127.0.0.1", running.ports["imap"], timeout=10)
    try:
        auth = [c for c in m.capabilities if c.startswith("AUTH=")]
        assert auth == ["AUTH=SCRAM-SHA-256", "AUTH=PLAIN", "AUTH=LOGIN"], m.capabilities
        assert "SASL-IR" in m.capabilities
    finally:
        m.logout()
    m = imaplib.IMAP4_SSL("127.0.0.1", running.ports["imaps"], timeout=10,
                          ssl_context=helpers.unverified_context())
    try:
        assert m.sock.version() == "TLSv1.3"
        auth = [c for c in m.capabilities if c.startswith("AUTH=")]
        assert auth == ["AUTH=SCRAM-SHA-256-PLUS", "AUTH=SCRAM-SHA-256", "AUTH=PLAIN",
                        "AUTH=LOGIN"], m.capabilities
    finally:
        m.logout()


def test_imaplib_authenticate_scram_sha256(running):
    m = imaplib.IMAP4_SSL("127.0.0.1", running.ports["imaps"], timeout=10,
                          ssl_context=helpers.unverified_context())
    try:
        scram = Scram(ALICE, running.passwords[ALICE])
        typ, data = m.authenticate("SCRAM-SHA-256", scram.responder())
        assert typ == "OK", data
        assert scram.server_signature is not None  # the server proved itself too
        assert m.select("INBOX")[0] == "OK"
    finally:
        m.logout()
    m = imaplib.IMAP4("127.0.0.1", running.ports["imap"], timeout=10)
    try:
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            m.authenticate("SCRAM-SHA-256", Scram(ALICE, "not the password").responder())
    finally:
        m.logout()


def test_imaplib_authenticate_login_and_plain(running):
    m = imaplib.IMAP4("127.0.0.1", running.ports["imap"], timeout=10)
    try:
        answers = {b"Username:": ALICE.encode(), b"Password:": running.passwords[ALICE].encode()}
        typ, _ = m.authenticate("LOGIN", answers.get)
        assert typ == "OK"
    finally:
        m.logout()
    m = imaplib.IMAP4("127.0.0.1", running.ports["imap"], timeout=10)
    try:
        typ, _ = m.authenticate("PLAIN", lambda _: f"\0{ALICE}\0{running.passwords[ALICE]}".encode())
        assert typ == "OK"
    finally:
        m.logout()


@pytest.mark.parametrize("mechanism,extra", [("SCRAM-SHA-256", ["--no-cb"]),
                                             ("SCRAM-SHA-256-PLUS", []), ("PLAIN", [])])
def test_gsasl_imap_client(running, mechanism, extra):
    """gsasl gives up on plain SCRAM-SHA-256 by itself when the TLS layer could bind
    (it would have to claim "y" while we offer -PLUS, RFC 5802 6): --no-cb for that one;
    our refusal of such a downgrade is tested with our own client below."""
    need("gsasl")
    r = gsasl_imap(running, mechanism, extra)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert b"OK [CAPABILITY" in out or b"Session finished" in out, out


def gsasl_imap(running, mechanism, extra=()):
    return subprocess.run(["gsasl", "--imap", "--connect", f"localhost:{running.ports['imap']}",
                           "--starttls", f"--x509-ca-file={running.cert_dir / 'cert.pem'}",
                           "--mechanism", mechanism, "-a", ALICE, "-p", running.passwords[ALICE],
                           *extra], stdin=subprocess.DEVNULL, capture_output=True, timeout=60)


def imaps_pipe(running):
    pipe = TlsPipe(running.ports["imaps"], protocol="imap")
    return pipe


def test_scram_plus_wrong_channel_binding_refused(running):
    pipe = imaps_pipe(running)
    try:
        good = Scram(ALICE, running.passwords[ALICE], channel_binding=pipe.exporter)
        reply = imap_sasl(pipe.send, pipe.readline, "a1", "SCRAM-SHA-256-PLUS", good.responder(),
                          initial_response=True)
        assert reply.startswith(b"a1 OK"), reply
    finally:
        pipe.close()
    pipe = imaps_pipe(running)
    try:
        wrong = Scram(ALICE, running.passwords[ALICE], channel_binding=b"\x01" * 32)
        reply = imap_sasl(pipe.send, pipe.readline, "a1", "SCRAM-SHA-256-PLUS", wrong.responder(),
                          initial_response=True)
        assert reply.startswith(b"a1 NO [AUTHENTICATIONFAILED]"), reply
    finally:
        pipe.close()


def test_session_ends_after_failed_logins(running):
    user = running.new_user("imapfail")
    c = Imap(running.ports["imap"])
    try:
        for i in range(3):
            status, line, _ = c.command(f"LOGIN {user} wrong{i}")
            assert status == "NO" and b"[AUTHENTICATIONFAILED]" in line, line
        assert c.pending().startswith(b"* BYE Too many failed logins"), c.buf
    finally:
        c.close()


# --- one throttle for the three daemons ------------------------------------------------------

SHARED_LIMIT = 4
SHARED_SECTIONS = {
    "auth": f"""account_failure_limit = {SHARED_LIMIT}
lockout = 60
failure_memory = 60
cache_ttl = 0""",
    "smtpd": "max_auth_failures = 100",
    "imapd": "max_login_failures = 100",
    "pop3d": "max_login_failures = 100",
}


@pytest.fixture(scope="module")
def shared_throttle(tmp_path_factory):
    for name in ("mailctl", "smtpd", "imapd", "pop3d"):
        require_built(name)
    with separate_suite(tmp_path_factory.mktemp("shared-throttle"), sections=SHARED_SECTIONS) as s:
        yield s


def test_throttle_is_shared_by_smtpd_imapd_and_pop3d(shared_throttle):
    """Failures counted by smtpd (AUTH over 465) and imapd (LOGIN) lock the account for
    all three daemons: the right password then gets 454 4.7.0, NO [UNAVAILABLE] and
    -ERR [LOGIN-DELAY], while another account still logs in everywhere."""
    s = shared_throttle
    victim, other = s.new_user("victim"), s.new_user("other")

    def smtp_auth(user, password):
        c = Smtp(s.ports["submissions"], tls=True)
        try:
            c.ehlo()
            return c.cmd("AUTH PLAIN " + base64.b64encode(f"\0{user}\0{password}".encode()).decode())
        finally:
            c.close()

    def imap_login(user, password):
        c = Imap(s.ports["imap"])
        try:
            return c.command(f"LOGIN {user} {password}")[1]
        finally:
            c.close()

    def pop3_login(user, password):
        c = Pop3(s.ports["pop3"])
        try:
            c.cmd(f"USER {user}")
            return c.cmd(f"PASS {password}")
        finally:
            c.close()

    for i in range(SHARED_LIMIT // 2):
        code, text = smtp_auth(victim, f"wrong{i}")
        assert code == 535 and text[0].startswith("5.7.8"), (code, text)
        line = imap_login(victim, f"wrong{i}")
        assert b"NO [AUTHENTICATIONFAILED]" in line, line
    code, text = smtp_auth(victim, s.passwords[victim])
    assert code == 454 and text[0].startswith("4.7.0"), (code, text)
    line = imap_login(victim, s.passwords[victim])
    assert b"NO [UNAVAILABLE]" in line, line
    reply = pop3_login(victim, s.passwords[victim])
    assert reply.startswith(b"-ERR [LOGIN-DELAY]"), reply
    assert smtp_auth(other, s.passwords[other])[0] == 235
    assert b"OK" in imap_login(other, s.passwords[other])
    assert pop3_login(other, s.passwords[other]).startswith(b"+OK")
