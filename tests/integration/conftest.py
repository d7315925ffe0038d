"""Session fixture for the integration tests: a temporary data directory and config with
fresh loopback ports (never the demo's), a self-signed certificate, the domain
example.test with alice and bob made by mailctl, and the four daemons started from
$MAIL_BUILD_DIR (default ./build). At the end each daemon gets SIGTERM and must exit 0.

A daemon whose binary is not built yet makes its tests skip with a message saying so.
Trusts the daemons for nothing: every wait has a deadline, and a daemon that dies during
a test fails that test with the tail of its log.
"""

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import helpers  # noqa: E402
import imap_corpus  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("MAIL_BUILD_DIR", REPO / "build")).resolve()
BINARIES = {
    "smtpd": BUILD / "smtpd" / "smtpd",
    "queued": BUILD / "queued" / "queued",
    "imapd": BUILD / "imapd" / "imapd",
    "pop3d": BUILD / "pop3d" / "pop3d",
    "mailctl": BUILD / "ctl" / "mailctl",
}
DAEMONS = ["queued", "smtpd", "imapd", "pop3d"]
PORT_NAMES = ["smtp", "submission", "submissions", "imap", "imaps", "pop3", "pop3s"]

ALICE = "alice@" + helpers.DOMAIN
BOB = "bob@" + helpers.DOMAIN
PASSWORDS = {ALICE: "alice-test-pw", BOB: "bob-test-pw"}

MAX_MESSAGE_SIZE = 65536
MAX_RECIPIENTS = 4
IMAP_MAX_LINE = 8192

_suite = None  # for the failure report hook


STRICT = os.environ.get("MAIL_TESTS_STRICT", "0") == "1"  # scripts/test.sh sets it


def _sanitized():
    """True when $MAIL_BUILD_DIR was configured with -DMAIL_SANITIZE=ON (ASan + UBSan):
    memory and timing figures of such a build say nothing about a release build."""
    try:
        return "MAIL_SANITIZE:BOOL=ON" in (BUILD / "CMakeCache.txt").read_text()
    except OSError:
        return False


SANITIZED = _sanitized()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "release_only: checks that only mean something on the release build (TLS "
                   "configuration scans); scripts/test.sh deselects them in the sanitizer stage")
    config.addinivalue_line(
        "markers", "docker: builds the image and runs the compose stack (minutes on a cold "
                   "machine); scripts/test.sh runs it in a stage of its own (MAIL_TEST_DOCKER=0 leaves it out)")


def built(name):
    return BINARIES[name].is_file() and os.access(BINARIES[name], os.X_OK)


def skip_unless_strict(message):
    """Skips the test, or fails it under MAIL_TESTS_STRICT=1 (scripts/test.sh)."""
    if STRICT:
        pytest.fail(message + "; MAIL_TESTS_STRICT=1 forbids skipping")
    pytest.skip(message)


def require_built(name):
    """Skips the test (fails it under MAIL_TESTS_STRICT=1) when `name` is not built."""
    if not built(name):
        skip_unless_strict(f"{BINARIES[name]} is not built yet ({name} is being written)")


def _port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _port_range():
    """26000-32759: below Linux's ephemeral ports (32768 and up), which the tests' own client
    connections take and a daemon then could not listen on; above the peers' 12xxx and the
    docker stack test's 25xxx. Cut in four when pytest-xdist runs the tests in parallel:
    each worker (gw0, gw1, ...) picks from its own part, so two workers never race for one
    block."""
    low, high = 26000, 32760
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return low, high - 10
    part = (high - low) // 4
    start = low + (int(worker[2:]) % 4) * part
    return start, start + part - 10


def pick_ports(names=PORT_NAMES):
    """A block of free ports (see _port_range), chosen per run (the demo uses 2xxx)."""
    low, high = _port_range()
    for _ in range(200):
        base = random.randrange(low, high, 10)
        ports = {n: base + i for i, n in enumerate(names)}
        if all(_port_free(p) for p in ports.values()):
            return ports
    raise RuntimeError("no free port block found")


def config_text(data_dir, cert_dir, ports, extra="", sections=None):
    """The test config. `extra` is appended at the end; `sections` maps a section name
    ("smtpd", "imapd", ...) to key lines added to that section (a key given there replaces
    the same key of the base text, since TOML forbids a key twice)."""
    text = _base_config_text(data_dir, cert_dir, ports, extra)
    for section, lines in (sections or {}).items():
        keys = {ln.split("=", 1)[0].strip() for ln in lines.strip().splitlines() if "=" in ln}
        head = f"[{section}]\n"
        if head not in text:
            text += f"\n{head}"
        start = text.index(head) + len(head)
        end = text.find("\n[", start)
        end = len(text) if end < 0 else end + 1
        body = "".join(ln + "\n" for ln in text[start:end].splitlines()
                       if ln.split("=", 1)[0].strip() not in keys)
        text = text[:start] + lines.strip() + "\n" + body + text[end:]
    return text


def _base_config_text(data_dir, cert_dir, ports, extra=""):
    return f"""# integration test config (generated)
[server]
hostname = "{helpers.HOSTNAME}"
data_dir = "{data_dir}"
# The tests run as root with their data under pytest's private /tmp/pytest-of-root (0700),
# which no other user can reach: the daemons keep the starting user. test_privileges.py
# tests the switch to an unprivileged user.
user = ""
allow_root = true

[tls]
cert_file = "{cert_dir}/cert.pem"
key_file = "{cert_dir}/key.pem"

[log]
level = "debug"

[smtpd]
listen = "127.0.0.1:{ports['smtp']}"
submission_listen = "127.0.0.1:{ports['submission']}"
submissions_listen = "127.0.0.1:{ports['submissions']}"
max_message_size = {MAX_MESSAGE_SIZE}
max_recipients = {MAX_RECIPIENTS}

[imapd]
listen = "127.0.0.1:{ports['imap']}"
tls_listen = "127.0.0.1:{ports['imaps']}"
max_line_length = {IMAP_MAX_LINE}
allow_plaintext_auth_on_loopback = true

[pop3d]
listen = "127.0.0.1:{ports['pop3']}"
tls_listen = "127.0.0.1:{ports['pop3s']}"
allow_plaintext_auth_on_loopback = true

[queued]
scan_interval = 30

[auth]
# Short login penalties: tests that fail logins on purpose must not slow the rest of the
# suite (test_throttle.py runs its own suite with longer ones). Fewer SCRAM iterations
# keep the test clients quick (4096 is RFC 7677's minimum).
failure_delay_ms = 20
max_failure_delay_ms = 100
scram_iterations = 4096
# Every test connects from 127.0.0.1: the per-address limit would add up the failures
# that separate tests make on purpose (test_throttle.py checks the limit on its own suite).
ip_failure_limit = 100000

[mailauth]
# No test DNS server here: SPF, DKIM and DMARC run in test_mailauth.py's own suite.
spf = false
dkim_verify = false
dmarc = false
{extra}"""


def gen_cert(cert_dir):
    subprocess.run(["bash", str(REPO / "scripts" / "gen-cert.sh"), str(cert_dir)], check=True,
                   stdout=subprocess.DEVNULL, timeout=60)


def wait_port(port, proc, name, deadline=15.0):
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode} during start-up")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not listen on port {port} within {deadline}s")


def wait_path(path, proc, name, deadline=15.0):
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode} during start-up")
        if Path(path).exists():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not create {path} within {deadline}s")


def tail(path, n=40):
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-n:])


class Suite:
    """One running set of daemons over one data directory."""

    def __init__(self, root, sections=None):
        self.root = Path(root)
        self.sections = sections  # per-section config overrides, see config_text()
        self.data_dir = self.root / "data"
        self.cert_dir = self.root / "tls"
        self.config = self.root / "config.toml"
        self.ports = pick_ports()
        self.procs = {}
        self.logs = {}
        self.passwords = dict(PASSWORDS)
        self.reported_dead = set()

    # --- set-up ------------------------------------------------------------------------
    def write_config(self):
        gen_cert(self.cert_dir)
        self.config.write_text(config_text(self.data_dir, self.cert_dir, self.ports, sections=self.sections))

    def provision(self):
        """The domain and the two standard accounts (alice, bob)."""
        if built("mailctl"):
            self.mailctl("domain", "add", helpers.DOMAIN)
            for user, pw in PASSWORDS.items():
                self.add_user(user, pw)

    def start_all(self):
        for name in DAEMONS:
            if built(name):
                self.start(name)

    def start(self, name, prefix=(), preexec_fn=None):
        """Starts `name` and waits until it serves. `prefix` runs it under a wrapper
        (e.g. setpriv); `preexec_fn` runs in the child before exec (e.g. setrlimit)."""
        log = self.root / f"{name}.log"
        self.logs[name] = log
        if name == "queued":
            # A queued killed with SIGKILL leaves its socket behind; it must not count as
            # "started" (queued removes and re-binds it itself).
            (self.data_dir / "queued.sock").unlink(missing_ok=True)
        with open(log, "ab") as out:
            proc = subprocess.Popen([*prefix, str(BINARIES[name]), "--config", str(self.config)],
                                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    cwd=self.root, preexec_fn=preexec_fn)
        self.procs[name] = proc
        self.reported_dead.discard(name)  # a restarted daemon is watched again
        try:
            if name == "queued":
                wait_path(self.data_dir / "queued.sock", proc, name)
            elif name == "smtpd":
                wait_port(self.ports["smtp"], proc, name)
                wait_port(self.ports["submissions"], proc, name)
            elif name == "imapd":
                wait_port(self.ports["imap"], proc, name)
                wait_port(self.ports["imaps"], proc, name)
            elif name == "pop3d":
                wait_port(self.ports["pop3"], proc, name)
                wait_port(self.ports["pop3s"], proc, name)
        except RuntimeError as e:
            raise RuntimeError(f"{e}\n--- {name} log ---\n{tail(log)}") from None

    def stop_all(self):
        """SIGTERM each daemon by PID, wait, and return the problems found."""
        problems = []
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            if proc.poll() is not None:
                problems.append(f"{name} had already exited with {proc.returncode}")
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                problems.append(f"{name} did not exit within 15s of SIGTERM")
                continue
            if code != 0:
                problems.append(f"{name} exited with {code} after SIGTERM\n{tail(self.logs[name])}")
        return problems

    # --- what tests use ----------------------------------------------------------------
    def require(self, *names):
        for name in names:
            require_built(name)
            if name != "mailctl":
                proc = self.procs.get(name)
                if proc is None:
                    pytest.fail(f"{name} was not started")
                if proc.poll() is not None:
                    pytest.fail(f"{name} is not running (exited with {proc.returncode})")

    def mailctl(self, *args, input=None, check=True):
        self.require("mailctl")
        r = subprocess.run([str(BINARIES["mailctl"]), "--config", str(self.config), *args], input=input,
                           capture_output=True, text=True, timeout=60)
        if check:
            assert r.returncode == 0, f"mailctl {' '.join(args)} failed ({r.returncode}): {r.stdout}{r.stderr}"
        return r

    def add_user(self, address, password):
        self.mailctl("user", "add", address, input=password + "\n")
        self.passwords[address] = password

    def new_user(self, prefix):
        """A fresh account with an empty mailbox, for tests that count messages."""
        address = f"{prefix}-{helpers.token()[:8]}@{helpers.DOMAIN}"
        self.add_user(address, "pw-" + helpers.token())
        return address

    def pid(self, name):
        return self.procs[name].pid

    def status(self, name):
        """/proc/PID/status of a running daemon as {field: value}."""
        fields = {}
        for line in Path(f"/proc/{self.pid(name)}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        return fields

    def rss_kib(self, name):
        """Resident set size (VmRSS) of a running daemon in KiB."""
        return int(self.status(name)["VmRSS"].split()[0])

    def dead(self):
        return {n: p.returncode for n, p in self.procs.items()
                if p.poll() is not None and n not in self.reported_dead}


@pytest.fixture(scope="session")
def suite(tmp_path_factory):
    global _suite
    s = Suite(tmp_path_factory.mktemp("mailsuite"))
    s.write_config()
    _suite = s
    s.provision()
    try:
        s.start_all()
        yield s
    finally:
        problems = s.stop_all()
        _suite = None
    assert not problems, "graceful shutdown failed:\n" + "\n".join(problems)


_extra_suites = []  # suites from separate_suite(), watched like the session one


@contextlib.contextmanager
def separate_suite(root, sections=None, watch=True):
    """A second, independent set of daemons on its own data directory, ports and config
    (`sections` as in config_text), provisioned like the session suite and started; on
    exit every daemon gets SIGTERM and must exit 0. For module-scoped fixtures of tests
    that need other limits or kill daemons. With `watch`, a daemon of this suite dying
    fails the running test like one of the session suite."""
    s = Suite(root, sections=sections)
    s.write_config()
    s.provision()
    if watch:
        _extra_suites.append(s)
    try:
        s.start_all()
        yield s
    finally:
        problems = s.stop_all()
        if s in _extra_suites:
            _extra_suites.remove(s)
    assert not problems, "graceful shutdown failed:\n" + "\n".join(problems)


@pytest.fixture(autouse=True)
def _daemons_stay_up(request):
    """Fails the test during which a daemon died (a crash is always a bug)."""
    yield
    for s in [_suite, *_extra_suites]:
        if s is None:
            continue
        dead = s.dead()
        if dead:
            logs = "\n".join(f"--- {n} ---\n{tail(s.logs[n])}" for n in dead)
            # Only report each death once.
            s.reported_dead.update(dead)
            pytest.fail(f"daemon(s) died: {dead}\n{logs}")


_figures = []  # one-line results (e.g. durability counts) for the end of the run


def report_figure(line):
    """Prints `line` to stderr now (seen with -s) and again in the terminal summary at the
    end of the run, so that CI logs show it without -s."""
    print(line, file=sys.stderr, flush=True)
    _figures.append(line)


def pytest_terminal_summary(terminalreporter):
    if _figures:
        terminalreporter.section("mail suite figures")
        for line in _figures:
            terminalreporter.write_line(line)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for s in [_suite, *_extra_suites]:
            if s is None:
                continue
            for name, log in s.logs.items():
                rep.sections.append((f"{name} log {s.root.name} (tail)", tail(log, 25)))


# The FETCH and SEARCH tests' mailbox of known messages (imap_corpus.py).

@pytest.fixture
def corpus(suite):
    """A fresh account holding imap_corpus's messages: (IMAP port, user, password, UIDs)."""
    suite.require("mailctl", "imapd")
    user = suite.new_user("corpus")
    uids = imap_corpus.load(suite.ports["imap"], user, suite.passwords[user])
    return suite.ports["imap"], user, suite.passwords[user], uids


@pytest.fixture
def inbox(corpus):
    """An imaplib client logged in to the corpus account, its INBOX selected."""
    port, user, pw, _ = corpus
    client = helpers.imap_login(port, user, pw)
    typ, data = client.select("INBOX")
    assert typ == "OK", data
    yield client
    client.logout()
