"""Sending with the mail clients people use, against the real smtpd: msmtp (GnuTLS and GNU
SASL: PLAIN, LOGIN and SCRAM-SHA-256, over STARTTLS and implicit TLS), curl smtp:// with
--ssl-reqd and smtps:// (upload), s-nail in batch mode, and SCRAM-SHA-256 and
SCRAM-SHA-256-PLUS over SMTP with two independent clients: GNU SASL's gsasl in its --smtp
mode (its own STARTTLS, tls-exporter channel binding on TLS 1.3) and a SCRAM client
written from RFC 5802 over openssl s_client, which also proves a wrong channel binding is
refused. Each message is read back with imaplib."""

import shutil
import subprocess

import pytest

import helpers
from conftest import ALICE
from helpers import imap_wait, token
from sasl_clients import Scram, TlsPipe, smtp_sasl


@pytest.fixture
def running(suite):
    suite.require("mailctl", "smtpd", "queued", "imapd")
    return suite


def need(tool):
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed (scripts/install-deps.sh installs it)")


def cert(suite):
    return str(suite.cert_dir / "cert.pem")


def message(tag, rcpt, sender=ALICE):
    return (f"From: <{sender}>\r\nTo: <{rcpt}>\r\nSubject: {tag}\r\n\r\nbody of {tag}\r\n").encode()


# --- msmtp -------------------------------------------------------------------------------


@pytest.mark.parametrize("auth,listener", [("plain", "submission"), ("login", "submissions"),
                                           ("scram-sha-256", "submission"),
                                           ("scram-sha-256", "submissions")])
def test_msmtp(running, auth, listener):
    need("msmtp")
    rcpt = running.new_user("msmtp")
    tag = token()
    starttls = "on" if listener == "submission" else "off"
    r = subprocess.run(["msmtp", "--host=localhost", f"--port={running.ports[listener]}",
                        "--tls=on", f"--tls-starttls={starttls}", f"--tls-trust-file={cert(running)}",
                        f"--auth={auth}", f"--user={ALICE}",
                        f"--passwordeval=echo {running.passwords[ALICE]}", f"--from={ALICE}",
                        "--domain=client.example.test", rcpt],
                       input=message(tag, rcpt), capture_output=True, timeout=60)
    assert r.returncode == 0, (r.stdout, r.stderr)
    imap_wait(running.ports["imap"], rcpt, running.passwords[rcpt], tag)


def test_msmtp_wrong_password_is_refused(running):
    need("msmtp")
    r = subprocess.run(["msmtp", "--host=localhost", f"--port={running.ports['submissions']}",
                        "--tls=on", "--tls-starttls=off", f"--tls-trust-file={cert(running)}",
                        "--auth=plain", f"--user={ALICE}", "--passwordeval=echo wrong",
                        f"--from={ALICE}", ALICE],
                       input=b"Subject: x\r\n\r\nx\r\n", capture_output=True, timeout=60)
    assert r.returncode != 0
    assert b"535 5.7.8" in r.stderr, r.stderr


# --- curl --------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme,listener", [("smtp", "submission"), ("smtps", "submissions")])
def test_curl_upload(running, scheme, listener, tmp_path):
    need("curl")
    rcpt = running.new_user("curl")
    tag = token()
    path = tmp_path / "m.eml"
    path.write_bytes(message(tag, rcpt))
    args = ["curl", "-sS", f"{scheme}://localhost:{running.ports[listener]}/client.example.test",
            "--cacert", cert(running), "--mail-from", ALICE, "--mail-rcpt", rcpt,
            "-u", f"{ALICE}:{running.passwords[ALICE]}", "-T", str(path), "--max-time", "30"]
    if scheme == "smtp":
        args.append("--ssl-reqd")  # STARTTLS, or fail
    r = subprocess.run(args, capture_output=True, timeout=60)
    assert r.returncode == 0, (r.stdout, r.stderr)
    imap_wait(running.ports["imap"], rcpt, running.passwords[rcpt], tag)


def test_curl_as_another_user_refused(running, tmp_path):
    need("curl")
    path = tmp_path / "m.eml"
    path.write_bytes(message("x", ALICE, sender="bob@" + helpers.DOMAIN))
    r = subprocess.run(["curl", "-sS", f"smtps://localhost:{running.ports['submissions']}",
                        "--cacert", cert(running), "--mail-from", "bob@" + helpers.DOMAIN,
                        "--mail-rcpt", ALICE, "-u", f"{ALICE}:{running.passwords[ALICE]}",
                        "-T", str(path), "--max-time", "30"], capture_output=True, timeout=60)
    assert r.returncode != 0
    assert b"553" in r.stderr, r.stderr


# --- s-nail ------------------------------------------------------------------------------


@pytest.mark.parametrize("listener", ["submission", "submissions"])
def test_s_nail_batch_send(running, listener, tmp_path):
    need("s-nail")
    rcpt = running.new_user("snail")
    tag = token()
    user = ALICE.replace("@", "%40")
    if listener == "submission":
        url, extra = f"smtp://{user}@localhost:{running.ports[listener]}", ["-Ssmtp-use-starttls"]
    else:
        url, extra = f"smtps://{user}@localhost:{running.ports[listener]}", []
    r = subprocess.run(["s-nail", "-#", "-:/", "-Sv15-compat", f"-Smta={url}", *extra,
                        "-Ssmtp-auth=plain", f"-Spassword={running.passwords[ALICE]}",
                        f"-Stls-ca-file={cert(running)}", "-Stls-ca-no-defaults",
                        f"-Sfrom={ALICE}", "-Shostname=client.example.test", "-s", tag, rcpt],
                       input=b"sent by s-nail\n", capture_output=True, timeout=60,
                       env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, (r.stdout, r.stderr)
    imap_wait(running.ports["imap"], rcpt, running.passwords[rcpt], tag)


# --- SCRAM with independent clients --------------------------------------------------------


def gsasl_smtp(running, mechanism, extra=()):
    return subprocess.run(["gsasl", "--smtp", "--connect", f"localhost:{running.ports['submission']}",
                           "--starttls", f"--x509-ca-file={cert(running)}", "--mechanism", mechanism,
                           "-a", ALICE, "-p", running.passwords[ALICE], *extra],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=60)


@pytest.mark.parametrize("mechanism,extra", [("SCRAM-SHA-256", ["--no-cb"]),
                                             ("SCRAM-SHA-256-PLUS", []), ("PLAIN", [])])
def test_gsasl_smtp_client(running, mechanism, extra):
    """GNU SASL's own SMTP client: EHLO, STARTTLS (TLS 1.3), AUTH; for -PLUS it binds to
    the RFC 9266 tls-exporter value it computes itself. Plain SCRAM-SHA-256 needs --no-cb
    (without it gsasl gives up itself where it could bind, see test_imap_sasl.py)."""
    need("gsasl")
    r = gsasl_smtp(running, mechanism, extra)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert b"235 2.7.0" in out or b"Session finished" in out, out


def smtp_pipe(running):
    pipe = TlsPipe(running.ports["submissions"], protocol="smtp")

    def cmd(text):
        pipe.send(text)
        while True:  # the last line of a (multi-line) reply
            line = pipe.readline()
            if len(line) < 4 or line[3:4] != b"-":
                return line
    cmd("EHLO client.example.test")
    return pipe, cmd


def test_scram_plus_over_smtp_with_own_client(running):
    """SCRAM-SHA-256-PLUS over implicit TLS 1.3 with a client written from the RFCs and
    openssl's tls-exporter value; then with a wrong binding, refused with 535."""
    pipe, cmd = smtp_pipe(running)
    try:
        scram = Scram(ALICE, running.passwords[ALICE], channel_binding=pipe.exporter)
        reply = smtp_sasl(cmd, "SCRAM-SHA-256-PLUS", scram.responder(), initial_response=True)
        assert reply.startswith(b"235 2.7.0"), reply
    finally:
        pipe.close()
    pipe, cmd = smtp_pipe(running)
    try:
        wrong = Scram(ALICE, running.passwords[ALICE], channel_binding=bytes(32))
        reply = smtp_sasl(cmd, "SCRAM-SHA-256-PLUS", wrong.responder(), initial_response=True)
        assert reply.startswith(b"535 5.7.8"), reply
        # Claiming no binding while the server offers -PLUS is a downgrade (RFC 5802 6).
        downgrade = Scram(ALICE, running.passwords[ALICE], cbind_flag="y")
        reply = smtp_sasl(cmd, "SCRAM-SHA-256", downgrade.responder(), initial_response=True)
        assert reply.startswith(b"535 5.7.8"), reply
    finally:
        pipe.close()


def test_scram_plus_refused_on_tls12(running):
    """No tls-exporter on TLS 1.2 (RFC 9266 3): -PLUS is neither offered nor accepted."""
    pipe = TlsPipe(running.ports["submissions"], tls_version="-tls1_2", protocol="smtp")
    try:
        pipe.send("EHLO client.example.test")
        lines = []
        while not lines or lines[-1][3:4] == b"-":
            lines.append(pipe.readline())
        auth = [ln for ln in lines if ln[4:].startswith(b"AUTH ")]
        assert auth == [b"250-AUTH SCRAM-SHA-256 PLAIN LOGIN"] or \
            auth == [b"250 AUTH SCRAM-SHA-256 PLAIN LOGIN"], lines
        pipe.send("AUTH SCRAM-SHA-256-PLUS")
        assert pipe.readline().startswith(b"504 5.5.4")
    finally:
        pipe.close()
