"""Tools for the hostile-client tests (test_hostile_*.py): attackers on raw sockets from
chosen loopback addresses, a sampler of the daemon's resident memory, a well-behaved
client timed in parallel, and the check that an attacker was cut off in bounded time.

Each attack runs as: start the good client's loop and the RSS sampler, open the hostile
connections, do the attack, wait for the daemon to deal with them, then assert
  - every attacker got the protocol's error or was disconnected within its bound,
  - the daemon's VmRSS grew by less than the stated bound over its baseline,
  - every round of the well-behaved client (log in, do something real) took < 1 s.

Trusts the daemons for nothing: every wait has a deadline.
"""

import select
import socket
import threading
import time

import pytest

from conftest import SANITIZED

GOOD_CLIENT_SECONDS = 1.0  # each whole round of the well-behaved client
RSS_GROWTH_MIB = 64  # for 100 hostile connections


def attacker_address(i, group=10):
    """Loopback source addresses for attackers: 127.0.<group>.<n>, 25 connections per
    address, so the per-address limit (50) does not simply refuse the flood."""
    return f"127.0.{group}.{1 + i // 25}"


def connect(port, source, timeout=10.0, rcvbuf=None):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        # A small window, so the server's writes block soon when we do not read.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(timeout)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def send_until_blocked(sock, chunk, limit, seconds=3.0):
    """Sends `chunk` repeatedly without reading, until `limit` octets went out, the
    server stopped taking them (the socket blocks for `seconds`), or the connection was
    closed. Returns octets sent."""
    sent = 0
    sock.settimeout(seconds)
    try:
        while sent < limit:
            sock.sendall(chunk)
            sent += len(chunk)
    except (socket.timeout, OSError):
        pass
    return sent


def wait_disconnected(socks, deadline):
    """Seconds until each socket was closed by the server (RST or FIN), without reading
    what it sent (so a client that does not read stays one). None for a socket still
    open at `deadline` seconds."""
    start = time.monotonic()
    poller = select.poll()
    by_fd = {}
    for s in socks:
        poller.register(s.fileno(), select.POLLRDHUP)
        by_fd[s.fileno()] = s
    closed = {}
    while len(closed) < len(socks):
        left = deadline - (time.monotonic() - start)
        if left <= 0:
            break
        for fd, events in poller.poll(max(1, int(left * 1000))):
            if events & (select.POLLRDHUP | select.POLLHUP | select.POLLERR) and fd not in closed:
                closed[fd] = time.monotonic() - start
                poller.unregister(fd)
    return [closed.get(s.fileno()) for s in socks]


def read_reply_then_close(sock, deadline):
    """Everything the server sends until it closes (or `deadline` seconds)."""
    sock.settimeout(0.2)
    data = b""
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def available(sock):
    """What the server has sent so far (without waiting), and whether it has closed."""
    sock.setblocking(False)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data, True
            data += chunk
    except BlockingIOError:
        return data, False
    except OSError:
        return data, True
    finally:
        sock.setblocking(True)


def close_all(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


class RssSampler:
    """Samples a process's VmRSS (KiB) every 50 ms in a thread; the peak, and its growth
    over the baseline (taken at start, or by rebase())."""

    def __init__(self, pid, field="VmRSS"):
        self.pid = pid
        self.field = field + ":"  # VmRSS, or RssAnon to leave out mapped files (LMDB)
        self.baseline = self._rss()
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(self.field):
                    return int(line.split()[1])
        raise AssertionError(f"no {self.field} in /proc/{self.pid}/status")

    def _run(self):
        while not self._stop.wait(0.05):
            try:
                self.peak = max(self.peak, self._rss())
            except OSError:
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def rebase(self):
        """The peak so far becomes the baseline (e.g. after the good client's warm-up
        rounds: its own transient memory, such as argon2id's 19 MiB, is not the attack's)."""
        self.baseline = self.peak

    def growth_mib(self):
        return (self.peak - self.baseline) / 1024


class GoodClient:
    """Runs `round_fn` (one whole well-behaved exchange) in a loop in a thread while an
    attack goes on; records each round's duration and any failure."""

    def __init__(self, round_fn):
        self.round_fn = round_fn
        self.durations = []
        self.failures = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            start = time.monotonic()
            try:
                self.round_fn()
            except Exception as e:  # noqa: BLE001 - any failure of the good client counts
                self.failures.append(repr(e))
            self.durations.append(time.monotonic() - start)
            self._stop.wait(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=30)

    def wait_rounds(self, n, deadline=15.0):
        """Returns once `n` more rounds have completed (or after `deadline` seconds)."""
        target = len(self.durations) + n
        start = time.monotonic()
        while len(self.durations) < target and time.monotonic() - start < deadline:
            time.sleep(0.05)

    def check(self, what):
        assert not self.failures, f"{what}: the well-behaved client failed: {self.failures[:3]}"
        assert len(self.durations) >= 2, f"{what}: the well-behaved client ran only {len(self.durations)} rounds"
        worst = max(self.durations)
        if SANITIZED:
            return worst  # ASan's instrumentation makes the daemon several times slower
        assert worst < GOOD_CLIENT_SECONDS, \
            f"{what}: a well-behaved round took {worst:.2f}s (limit {GOOD_CLIENT_SECONDS}s)"
        return worst


def run_attack(pid, good_round, name, fn):
    """Runs the well-behaved client's loop, takes the RSS baseline over its first rounds,
    runs fn() (the attack), waits for a few more good rounds, then checks the good
    client's rounds and the RSS growth. Returns (sampler, good client, fn's result)."""
    with GoodClient(good_round) as good, RssSampler(pid) as sampler:
        good.wait_rounds(2)
        sampler.rebase()
        result = fn()
        good.wait_rounds(3)  # during and after the attack's end
    good.check(name)
    check_rss(sampler, name)
    return sampler, good, result


def check_rss(sampler, what):
    """The RSS bound (not under ASan, whose shadow memory and quarantine are RSS too)."""
    if SANITIZED:
        return
    assert sampler.growth_mib() < RSS_GROWTH_MIB, \
        f"{what}: RSS grew {sampler.growth_mib():.1f} MiB (bound {RSS_GROWTH_MIB} MiB)"


def report(report_figure, daemon, attack, sampler, good, extra=""):
    report_figure(f"hostile {daemon} {attack}: rss_growth={sampler.growth_mib():.1f}MiB "
                  f"(baseline {sampler.baseline / 1024:.1f}MiB) good_client_worst="
                  f"{max(good.durations):.3f}s rounds={len(good.durations)} {extra}".rstrip())


def require_all_closed(times, bound, what):
    still_open = sum(1 for t in times if t is None)
    assert not still_open, f"{what}: {still_open} of {len(times)} connections still open after {bound}s"
    return max(times)


def skip_without_addresses():
    """The attackers bind 127.0.x.y; Linux routes all of 127/8 to lo."""
    try:
        s = socket.socket()
        s.bind(("127.0.10.1", 0))
        s.close()
    except OSError as e:
        pytest.skip(f"cannot bind 127.0.10.1: {e}")
