"""Login throttling (auth/login_throttle.h) through the real pop3d, with client addresses
from 127.0.0.0/8 (every one of them reaches loopback on Linux): repeated failures from one
address get growing delays, then a refusal with -ERR [SYS/TEMP]; a correct login from
another address still works meanwhile; failures against one account from many
addresses end in -ERR [LOGIN-DELAY]; once the lockout has passed, a correct login works.
The suite runs with short penalties (hundreds of milliseconds, a 3 s lockout) so the
shape is measured in seconds."""

import base64
import socket
import time

import pytest

from conftest import ALICE, BOB, require_built, separate_suite

DELAY_MS = 300
MAX_DELAY_MS = 1200
IP_LIMIT = 6
ACCOUNT_LIMIT = 4
LOCKOUT = 3

SECTIONS = {
    "auth": f"""failure_delay_ms = {DELAY_MS}
max_failure_delay_ms = {MAX_DELAY_MS}
ip_failure_limit = {IP_LIMIT}
account_failure_limit = {ACCOUNT_LIMIT}
lockout = {LOCKOUT}
failure_memory = 60
cache_ttl = 0""",
    "pop3d": "max_login_failures = 100",
}


@pytest.fixture(scope="module")
def throttled(tmp_path_factory):
    for name in ("mailctl", "pop3d"):
        require_built(name)
    with separate_suite(tmp_path_factory.mktemp("throttle"), sections=SECTIONS) as s:
        yield s


class Client:
    """A raw POP3 client bound to a chosen loopback source address."""

    def __init__(self, port, source):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30,
                                             source_address=(source, 0))
        self.file = self.sock.makefile("rb")
        assert self.readline().startswith(b"+OK")

    def readline(self):
        return self.file.readline().rstrip(b"\r\n")

    def login(self, user, password):
        """(reply to AUTH PLAIN, seconds it took)."""
        msg = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        start = time.monotonic()
        self.sock.sendall(f"AUTH PLAIN {msg}\r\n".encode())
        reply = self.readline()
        return reply, time.monotonic() - start

    def close(self):
        try:
            self.sock.sendall(b"QUIT\r\n")
        except OSError:
            pass
        self.sock.close()


def attempt(suite, source, user, password):
    c = Client(suite.ports["pop3"], source)
    try:
        return c.login(user, password)
    finally:
        c.close()


def test_address_failures_grow_then_refuse_while_others_log_in(throttled):
    s = throttled
    attacker, other = "127.0.0.10", "127.0.0.20"
    timings = []
    for i in range(IP_LIMIT):
        reply, secs = attempt(s, attacker, f"guess{i}@example.test", "wrong")
        assert reply == b"-ERR [AUTH] Authentication failed", reply
        timings.append(secs)
    # The n-th attempt waits DELAY * 2^(n-2) (capped) for the n-1 failures before it.
    expected = [0] + [min(DELAY_MS * 2 ** (n - 1), MAX_DELAY_MS) / 1000 for n in range(1, IP_LIMIT)]
    for got, want in zip(timings, expected):
        assert want <= got < want + 1.0, (timings, expected)
    assert timings[2] > timings[1] > timings[0], timings

    reply, secs = attempt(s, attacker, ALICE, s.passwords[ALICE])
    assert reply.startswith(b"-ERR [SYS/TEMP] Too many failed logins from your address"), reply
    assert secs < 0.5, "a refused attempt must be answered at once, without hashing"

    reply, secs = attempt(s, other, ALICE, s.passwords[ALICE])
    assert reply.startswith(b"+OK"), reply
    assert secs < 1.0, f"a login from another address took {secs:.2f}s"

    time.sleep(LOCKOUT + 0.2)
    reply, secs = attempt(s, attacker, ALICE, s.passwords[ALICE])
    assert reply.startswith(b"+OK"), f"a correct login after the lockout failed: {reply}"
    assert secs <= MAX_DELAY_MS / 1000 + 1.0


def test_account_failures_from_many_addresses_get_login_delay(throttled):
    s = throttled
    for i in range(ACCOUNT_LIMIT):
        reply, _ = attempt(s, f"127.0.1.{i + 1}", BOB, f"wrong{i}")
        assert reply == b"-ERR [AUTH] Authentication failed", reply
    reply, secs = attempt(s, "127.0.1.100", BOB, s.passwords[BOB])
    assert reply.startswith(b"-ERR [LOGIN-DELAY] Too many failed logins"), reply
    assert secs < 0.5
    # Another account from the same fresh address is not affected.
    reply, _ = attempt(s, "127.0.1.101", ALICE, s.passwords[ALICE])
    assert reply.startswith(b"+OK"), reply
    time.sleep(LOCKOUT + 0.2)
    reply, _ = attempt(s, "127.0.1.102", BOB, s.passwords[BOB])
    assert reply.startswith(b"+OK"), f"a correct login after the lockout failed: {reply}"
    # The success cleared the account: the next wrong password is not refused.
    reply, _ = attempt(s, "127.0.1.103", BOB, "wrong again")
    assert reply == b"-ERR [AUTH] Authentication failed", reply
