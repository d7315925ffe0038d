"""SIGHUP reloads the TLS certificate without a restart (renewed certificates, e.g. from
certbot): after the files are replaced and each daemon gets SIGHUP, new TLS sessions on
every TLS port present the new certificate; a session opened before keeps working; and a
broken replacement is refused with the old certificate kept."""

import signal
import smtplib
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

import helpers
from conftest import ALICE, REPO, require_built, separate_suite


def presented_cert(port, starttls=None):
    """DER certificate the server presents on `port` (implicit TLS, or after STARTTLS
    for "smtp")."""
    ctx = helpers.unverified_context()
    if starttls == "smtp":
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
            s.starttls(context=ctx)
            return s.sock.getpeercert(binary_form=True)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.getpeercert(binary_form=True)


def der(path):
    return ssl.PEM_cert_to_DER_cert(Path(path).read_text())


@pytest.fixture(scope="module")
def reloadable(tmp_path_factory):
    for name in ("mailctl", "smtpd", "queued", "imapd", "pop3d"):
        require_built(name)
    with separate_suite(tmp_path_factory.mktemp("reload")) as s:
        yield s


def tls_ports(s):
    return [(s.ports["submissions"], None), (s.ports["imaps"], None), (s.ports["pop3s"], None),
            (s.ports["smtp"], "smtp")]


def hup_all(s):
    for name in ("smtpd", "imapd", "pop3d"):
        s.procs[name].send_signal(signal.SIGHUP)
    time.sleep(0.5)


def test_sighup_reloads_certificate(reloadable, tmp_path):
    s = reloadable
    old = der(s.cert_dir / "cert.pem")
    for port, mode in tls_ports(s):
        assert presented_cert(port, mode) == old

    # A session opened before the reload keeps working afterwards.
    before = helpers.imap_login(s.ports["imaps"], ALICE, s.passwords[ALICE], tls=True)

    fresh = tmp_path / "new"
    subprocess.run(["bash", str(REPO / "scripts" / "gen-cert.sh"), str(fresh)], check=True,
                   stdout=subprocess.DEVNULL, timeout=60)
    (s.cert_dir / "key.pem").write_bytes((fresh / "key.pem").read_bytes())
    (s.cert_dir / "cert.pem").write_bytes((fresh / "cert.pem").read_bytes())
    new = der(s.cert_dir / "cert.pem")
    assert new != old
    hup_all(s)
    for port, mode in tls_ports(s):
        assert presented_cert(port, mode) == new, f"port {port} still presents the old certificate"
    assert before.select("INBOX")[0] == "OK"
    before.logout()

    # A broken certificate file is refused; the daemons keep the one they have.
    (s.cert_dir / "cert.pem").write_text("not a certificate\n")
    hup_all(s)
    for port, mode in tls_ports(s):
        assert presented_cert(port, mode) == new, f"port {port} lost its certificate on a bad reload"
    for name in ("smtpd", "imapd", "pop3d"):
        assert "tls_reload_failed" in s.logs[name].read_text(), f"{name} did not log the failed reload"
    (s.cert_dir / "cert.pem").write_bytes((fresh / "cert.pem").read_bytes())
