"""The limits every daemon's Server enforces whatever the protocol (common/net): sessions
per client address, the lifetime of a session, the TLS handshake deadline (implicit TLS
and STARTTLS), the open-file limit raised to fit max_connections, and a forced shutdown
that destroys sessions still open (pop3d used to free its session context first).

Runs its own suite with tight limits so that each takes seconds. Trusts the daemons for
nothing: every read has a timeout, and a closed connection is detected by EOF or reset.
"""

import resource
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

import helpers
from conftest import ALICE, Suite, require_built, separate_suite
from helpers import Imap, Pop3, Smtp, expect

PER_IP = 3
SESSION_TIME = 3
TLS_HANDSHAKE = 2

LIMITS = {
    "server": f"tls_handshake_timeout = {TLS_HANDSHAKE}",
    "smtpd": f"max_connections_per_ip = {PER_IP}\nmax_session_time = {SESSION_TIME}",
    "imapd": f"max_connections_per_ip = {PER_IP}\nmax_session_time = {SESSION_TIME}",
    "pop3d": f"max_connections_per_ip = {PER_IP}\nmax_session_time = {SESSION_TIME}",
}

# What each daemon says, in its protocol, when refusing an address over its limit and
# when a session's time is up.
PROTOCOLS = {
    "smtpd": dict(port="smtp", client=Smtp, ready=lambda c: c.greeting[0] == 220,
                  per_ip=b"421 4.7.0 ", expired=b"421 4.4.2 ", noop="NOOP"),
    "imapd": dict(port="imap", client=Imap, ready=lambda c: c.greeting.startswith(b"* OK"),
                  per_ip=b"* BYE ", expired=b"* BYE ", noop="a NOOP"),
    "pop3d": dict(port="pop3", client=Pop3, ready=lambda c: c.greeting.startswith(b"+OK"),
                  per_ip=b"-ERR [SYS/TEMP] ", expired=b"-ERR [SYS/TEMP] ", noop="NOOP"),
}


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    for name in ("mailctl", "smtpd", "queued", "imapd", "pop3d"):
        require_built(name)
    with separate_suite(tmp_path_factory.mktemp("server-limits"), sections=LIMITS) as s:
        yield s


def raw(port, source="127.0.0.1"):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    return sock


def read_until_closed(sock, deadline):
    """Everything the server sends until it closes; fails if it is still open at `deadline`
    seconds."""
    sock.settimeout(0.2)
    data = b""
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except ConnectionError:
            return data, time.monotonic() - start
        if not chunk:
            return data, time.monotonic() - start
        data += chunk
    pytest.fail(f"connection still open after {deadline}s; received {data[:200]!r}")


def served(s, name):
    """A session that got its greeting, retried while slots of closed sessions are freed."""
    p = PROTOCOLS[name]
    for _ in range(30):
        c = p["client"](s.ports[p["port"]])
        if p["ready"](c):
            return c
        c.close()
        time.sleep(0.1)
    pytest.fail(f"{name}: no session served")


@pytest.mark.parametrize("name", ["smtpd", "imapd", "pop3d"])
def test_connections_per_address(limited, name):
    p = PROTOCOLS[name]
    port = limited.ports[p["port"]]
    held = [served(limited, name) for _ in range(PER_IP)]
    try:
        # One more from the same address: the protocol's refusal, then the close.
        extra = raw(port)
        data, _ = read_until_closed(extra, 5)
        extra.close()
        assert data.startswith(p["per_ip"]) and data.endswith(b"\r\n") and data.count(b"\r\n") == 1, data
        # Another address is not affected by this one's count.
        other = raw(port, source="127.0.0.2")
        other.settimeout(5)
        greeting = other.recv(512)
        other.close()
        assert not greeting.startswith(p["per_ip"]), greeting
        assert greeting[:1] in (b"2", b"*", b"+"), greeting
        # A session that ends gives its slot back.
        held.pop().close()
        held.append(served(limited, name))
    finally:
        for c in held:
            c.close()
    assert f"reason=max_connections_per_ip" in limited.logs[name].read_text()


@pytest.mark.parametrize("name", ["smtpd", "imapd", "pop3d"])
def test_session_lifetime(limited, name):
    """A busy session (a command every half second) still ends after max_session_time,
    with the protocol's reply at its next command."""
    p = PROTOCOLS[name]
    c = served(limited, name)
    start = time.monotonic()
    last = b""
    try:
        while time.monotonic() - start < SESSION_TIME + 3:
            c.send(p["noop"] + "\r\n")
            last = c.readline()
            if last.startswith(p["expired"]):
                break
            time.sleep(0.5)
        elapsed = time.monotonic() - start
        assert last.startswith(p["expired"]), f"{name} session still served after {elapsed:.1f}s: {last!r}"
        assert SESSION_TIME - 0.5 <= elapsed <= SESSION_TIME + 2, elapsed
        data, _ = read_until_closed(c.sock, 3)
        assert data == b"" or data.endswith(b"\r\n"), data
    finally:
        c.close()
    assert "event=session_expired" in limited.logs[name].read_text()


@pytest.mark.parametrize("port", ["submissions", "imaps", "pop3s"])
@pytest.mark.parametrize("hello", [b"", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"])
def test_implicit_tls_handshake_deadline(limited, port, hello):
    """Silent, or a ClientHello that never finishes: closed after tls_handshake_timeout."""
    sock = raw(limited.ports[port])
    try:
        sock.sendall(hello)
        data, elapsed = read_until_closed(sock, TLS_HANDSHAKE + 3)
        assert elapsed >= TLS_HANDSHAKE - 0.5, f"closed after {elapsed:.1f}s, before the deadline"
    finally:
        sock.close()


@pytest.mark.parametrize("name", ["smtpd", "imapd", "pop3d"])
def test_starttls_handshake_deadline(limited, name):
    """STARTTLS, then nothing: the handshake deadline applies, not the (long) command or
    idle timeout."""
    p = PROTOCOLS[name]
    c = served(limited, name)
    try:
        if name == "smtpd":
            c.ehlo()
            expect(c.cmd("STARTTLS"), 220, "2.0.0")
        elif name == "imapd":
            c.send("a STARTTLS\r\n")
            assert c.readline().startswith(b"a OK"), "STARTTLS refused"
        else:
            assert c.cmd("STLS").startswith(b"+OK")
        data, elapsed = read_until_closed(c.sock, TLS_HANDSHAKE + 3)
        assert elapsed <= TLS_HANDSHAKE + 1.5
    finally:
        c.close()


def open_files_limit(pid):
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            soft, hard = line.split()[3:5]
            return int(soft), int(hard)
    raise AssertionError("no Max open files line")


def low_soft_limit(soft, hard):
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_open_file_limit_raised_to_fit_max_connections(tmp_path):
    require_built("smtpd")
    s = Suite(tmp_path, sections={"smtpd": "max_connections = 3000"})
    s.write_config()
    s.start("smtpd", preexec_fn=low_soft_limit(256, 4096))
    try:
        soft, hard = open_files_limit(s.pid("smtpd"))
        assert soft >= 3000 + 256, (soft, hard)  # root may raise the hard limit too
    finally:
        assert not s.stop_all()


def test_open_file_limit_below_need_is_logged(tmp_path):
    """Without CAP_SYS_RESOURCE the hard limit cannot move: the soft limit goes up to it,
    and the log says how far short it is."""
    require_built("smtpd")
    s = Suite(tmp_path, sections={"smtpd": "max_connections = 3000"})
    s.write_config()
    s.start("smtpd", prefix=["setpriv", "--bounding-set", "-sys_resource", "--inh-caps", "-sys_resource"],
            preexec_fn=low_soft_limit(256, 1024))
    try:
        soft, hard = open_files_limit(s.pid("smtpd"))
        assert (soft, hard) == (1024, 1024)
        log = s.logs["smtpd"].read_text()
        assert "event=open_file_limit_low" in log and "needed=3256" in log, log[-2000:]
    finally:
        assert not s.stop_all()


def test_pop3d_forced_shutdown_with_a_session_open(tmp_path):
    """shutdown_grace = 0: SIGTERM stops the loops at once and destroys the open (logged
    in) session, whose destructor releases its maildrop lock in the session context. The
    context must outlive the runtime (a use after free before; ASan reports it)."""
    require_built("pop3d")
    require_built("mailctl")
    s = Suite(tmp_path, sections={"server": "shutdown_grace = 0"})
    s.write_config()
    s.provision()
    s.start("pop3d")
    p = Pop3(s.ports["pop3"])
    p.login(ALICE, s.passwords[ALICE])
    assert p.cmd("STAT").startswith(b"+OK")
    s.procs["pop3d"].send_signal(signal.SIGTERM)
    try:
        code = s.procs["pop3d"].wait(timeout=10)
    finally:
        p.close()
    assert code == 0, f"pop3d exited {code}:\n{s.logs['pop3d'].read_text()[-3000:]}"
    log = s.logs["pop3d"].read_text()
    assert "ERROR: AddressSanitizer" not in log


STALE_READER = """
import lmdb, sys, time
env = lmdb.open(sys.argv[1], readonly=True, lock=True, max_dbs=16)
txn = env.begin()  # a reader slot, never released: the process is killed holding it
print("reading", flush=True)
time.sleep(60)
"""


def reader_pids(env_dir):
    out = subprocess.run(["mdb_stat", "-r", str(env_dir)], capture_output=True, text=True, timeout=10).stdout
    pids = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].isdigit():
            pids.add(int(parts[0]))
    return pids


def test_stale_lmdb_readers_are_cleared(tmp_path):
    """A process killed inside a read transaction leaves its reader slot behind (it would
    pin old pages: the file grows forever). The daemons clear it every
    server.reader_check_interval."""
    pytest.importorskip("lmdb", reason="python3-lmdb (scripts/install-deps.sh)")
    require_built("smtpd")
    s = Suite(tmp_path, sections={"server": "reader_check_interval = 1"})
    s.write_config()
    s.start("smtpd")  # creates and holds data/queue
    try:
        reader = subprocess.Popen([sys.executable, "-c", STALE_READER, str(s.data_dir / "queue")],
                                  stdout=subprocess.PIPE, text=True)
        assert reader.stdout.readline().strip() == "reading"
        reader.kill()
        reader.wait()
        assert reader.pid in reader_pids(s.data_dir / "queue"), "the killed reader left no slot"
        cleared, secs = helpers.wait_until(lambda: reader.pid not in reader_pids(s.data_dir / "queue"),
                                           deadline=5)
        assert cleared, "the stale reader slot is still there 5 s later"
        assert "event=stale_readers_cleared count=1" in s.logs["smtpd"].read_text()
    finally:
        assert not s.stop_all()
