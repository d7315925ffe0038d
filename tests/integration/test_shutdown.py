"""Graceful shutdown: each daemon, started alone on its own data directory and ports,
exits 0 soon after SIGTERM, also while a client session is open, and that session gets
its protocol's shutdown reply first (SMTP 421 4.3.2, IMAP * BYE, POP3 -ERR [SYS/TEMP]).
The shared daemons of the session fixture are checked the same way when the run ends."""

import signal
import subprocess
import time

import pytest

import helpers
from conftest import Suite, require_built


@pytest.mark.parametrize("name", ["smtpd", "queued", "imapd", "pop3d"])
def test_sigterm_exits_zero(tmp_path, name):
    require_built(name)
    s = Suite(tmp_path)
    s.write_config()
    s.start(name)
    client = None
    port = {"smtpd": "smtp", "imapd": "imap", "pop3d": "pop3"}.get(name)
    if port:
        client = helpers.LineSocket("127.0.0.1", s.ports[port])
        greeting = client.readline()
        assert greeting[:1] in (b"2", b"*", b"+"), greeting
    proc = s.procs[name]
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    goodbye = {"smtpd": b"421 4.3.2 ", "imapd": b"* BYE ", "pop3d": b"-ERR [SYS/TEMP] "}.get(name)
    try:
        if client:
            line = client.readline()
            assert line.startswith(goodbye), f"{name} said {line!r} on shutdown, not {goodbye!r}"
        code = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"{name} still running 10s after SIGTERM with a session open")
    finally:
        if client:
            client.close()
    assert code == 0, f"{name} exited {code} after SIGTERM"
    assert time.monotonic() - started < 10
