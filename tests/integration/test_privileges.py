"""Privilege drop: started as root, every daemon binds its ports, then serves as
server.user (here `nobody`, which owns nothing on this machine). Checked from outside:
/proc/PID/status shows the user's uid and gid in all four slots (real, effective, saved,
filesystem), the data directory now belongs to that user, mail still flows through
smtpd, queued, imapd and pop3d (each writes its LMDB store as nobody), mailctl run by
root keeps working beside them, and SIGHUP still reloads the TLS certificate (the key
file was made group-readable for the user). Started as root without a user, or with an
unknown one, a daemon refuses to start.

These tests need root (the suite's normal case here) and a directory `nobody` can reach,
so their files live under a fresh /tmp directory rather than pytest's private one.
"""

import grp
import os
import pwd
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import helpers
from conftest import ALICE, BINARIES, REPO, Suite, require_built, separate_suite

USER = "nobody"
DAEMONS = ["queued", "smtpd", "imapd", "pop3d"]

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="privilege drop needs root")


@pytest.fixture(scope="module")
def reachable_root():
    root = Path(tempfile.mkdtemp(prefix="mailsuite-priv-", dir="/tmp"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def dropped(reachable_root):
    for name in ("mailctl", *DAEMONS):
        require_built(name)
    (reachable_root / "suite").mkdir()
    sections = {"server": f'user = "{USER}"\nallow_root = false'}
    with separate_suite(reachable_root / "suite", sections=sections) as s:
        yield s


def ids(status_line):
    return [int(x) for x in status_line.split()]


def test_sessions_run_as_the_configured_user(dropped):
    """The ports are bound (and connectable) before the switch; connections wait in the
    backlog until the loops run, after it. So wait for the log line, then look."""
    nobody = pwd.getpwnam(USER)
    for name in DAEMONS:
        started, _ = helpers.wait_until(lambda: "event=started" in dropped.logs[name].read_text())
        assert started, f"{name} did not log event=started"
        status = dropped.status(name)
        assert ids(status["Uid"]) == [nobody.pw_uid] * 4, f"{name}: Uid {status['Uid']}"
        assert ids(status["Gid"]) == [nobody.pw_gid] * 4, f"{name}: Gid {status['Gid']}"
        assert 0 not in ids(status["Groups"] or "-1"), f"{name} kept group root: {status['Groups']}"
        assert "event=privileges user=nobody" in dropped.logs[name].read_text()
    for path in [dropped.data_dir, *dropped.data_dir.rglob("*")]:
        assert path.lstat().st_uid == nobody.pw_uid, f"{path} not owned by {USER}"


def test_mail_flows_with_dropped_privileges(dropped):
    """smtpd writes the queue, queued the store, imapd flags, pop3d deletes: all as nobody.
    mailctl, run as root, adds a user meanwhile."""
    tag = "priv-" + helpers.token()
    user = dropped.new_user("priv")
    code, _ = helpers.smtp_send(dropped.ports["smtp"], "s@outside.test", [ALICE, user],
                                helpers.make_message(tag, to=ALICE))
    assert code == 250
    uids, _ = helpers.imap_wait(dropped.ports["imap"], ALICE, dropped.passwords[ALICE], tag)
    m = helpers.imap_login(dropped.ports["imap"], ALICE, dropped.passwords[ALICE])
    try:
        m.select("INBOX")
        typ, data = m.uid("STORE", str(uids[0]), "+FLAGS", "(\\Flagged)")
        assert typ == "OK", data
    finally:
        m.logout()
    helpers.imap_wait(dropped.ports["imap"], user, dropped.passwords[user], tag)
    p = helpers.pop3_login(dropped.ports["pop3"], user, dropped.passwords[user])
    count, _ = p.stat()
    assert count == 1
    assert tag.encode() in helpers.pop3_retr(p, 1)
    p.dele(1)
    p.quit()
    p = helpers.pop3_login(dropped.ports["pop3"], user, dropped.passwords[user])
    assert p.stat()[0] == 0, "the deletion was not written"
    p.quit()
    assert "store: ok" in dropped.mailctl("store", "check").stdout


def presented_cert(port):
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with helpers.unverified_context().wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.getpeercert(binary_form=True)


def test_sighup_reload_after_dropping(dropped, tmp_path):
    key = dropped.cert_dir / "key.pem"
    st = key.stat()
    assert st.st_uid == 0, "the key's owner was changed"
    assert st.st_gid == pwd.getpwnam(USER).pw_gid and st.st_mode & 0o040, \
        f"key not readable by the group of {USER}: mode {oct(st.st_mode)} gid {st.st_gid}"
    assert not st.st_mode & 0o004, "the key became world-readable"

    fresh = tmp_path / "new"
    subprocess.run(["bash", str(REPO / "scripts" / "gen-cert.sh"), str(fresh)], check=True,
                   stdout=subprocess.DEVNULL, timeout=60)
    # As certbot renews: new content, same file permissions.
    key.write_bytes((fresh / "key.pem").read_bytes())
    (dropped.cert_dir / "cert.pem").write_bytes((fresh / "cert.pem").read_bytes())
    new = ssl.PEM_cert_to_DER_cert((fresh / "cert.pem").read_text())
    for name in ("smtpd", "imapd", "pop3d"):
        dropped.procs[name].send_signal(signal.SIGHUP)
    time.sleep(0.5)
    for port in ("submissions", "imaps", "pop3s"):
        assert presented_cert(dropped.ports[port]) == new, f"{port}: certificate not reloaded"
    for name in ("smtpd", "imapd", "pop3d"):
        log = dropped.logs[name].read_text()
        assert "tls_reload_failed" not in log and "tls_reload_unavailable" not in log, name


def run_once(reachable_root, name, server_lines):
    root = Path(tempfile.mkdtemp(dir=reachable_root))
    s = Suite(root, sections={"server": server_lines})
    s.write_config()
    try:
        return subprocess.run([str(BINARIES[name]), "--config", str(s.config)], capture_output=True,
                              text=True, timeout=10, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{name} started although it should have refused")


@pytest.mark.parametrize("name", DAEMONS)
def test_refuses_to_serve_as_root(reachable_root, name):
    require_built(name)
    r = run_once(reachable_root, name, 'user = ""\nallow_root = false')
    assert r.returncode != 0
    assert "refusing to serve as root" in r.stderr and "server.allow_root" in r.stderr, r.stderr


def test_unknown_user_stops_startup(reachable_root):
    require_built("smtpd")
    r = run_once(reachable_root, "smtpd", 'user = "no-such-user-here"\nallow_root = false')
    assert r.returncode != 0
    assert 'server.user: no such user "no-such-user-here"' in r.stderr, r.stderr
