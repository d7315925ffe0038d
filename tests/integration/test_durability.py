"""Nothing acknowledged is ever lost. Eight SMTP clients send a few hundred small
messages to one local account while a killer thread SIGKILLs smtpd and queued at random
moments and restarts them. A message counts as acknowledged only when its client saw
"250" after DATA; after the load the queue must drain, and the mailbox must hold every
acknowledged message. Runs on its own suite (fresh data directory and ports).

Every DATA attempt carries its own X-Seq ("<run>-<seq>-<attempt>"): a client that loses
its connection retries the same message as a new attempt, so an attempt delivered twice
can only come from queued redelivering after a crash between the store commit and the
queue update (allowed, at most once per queued kill), while an attempt delivered without
its 250 is smtpd dying between the queue commit and the reply (allowed, counted).

Trusts the daemons for nothing: every socket read has a timeout and the whole test a
deadline.
"""

import random
import re
import signal
import threading
import time
from collections import Counter

import pytest

from conftest import ALICE, report_figure, require_built, separate_suite
from helpers import Imap, LineSocket, token

MESSAGES = 300
CLIENTS = 8
PACE = (0.05, 0.2)     # seconds a client waits between messages: spreads the load over ~5s
MIN_KILLS = 6          # during the load
LOAD_DEADLINE = 30.0   # seconds for all messages to be acknowledged
DRAIN_DEADLINE = 15.0  # seconds for the queue to empty afterwards
SOCKET_TIMEOUT = 5.0


@pytest.fixture(scope="module")
def durable(tmp_path_factory):
    for name in ("mailctl", "smtpd", "queued", "imapd"):
        require_built(name)
    with separate_suite(tmp_path_factory.mktemp("durability")) as s:
        yield s


class Client:
    """One raw SMTP session, reconnected after any failure."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def reply(self):
        code = None
        while True:
            line = self.conn.readline().decode("utf-8", "replace")
            if not re.match(r"^\d{3}([ -]|$)", line):
                raise ConnectionError(f"bad reply line {line!r}")
            code = int(line[:3])
            if len(line) == 3 or line[3] == " ":
                return code

    def cmd(self, text, want):
        self.conn.send(text + "\r\n")
        code = self.reply()
        if code != want:
            raise ConnectionError(f"{text.split(':')[0]} got {code}")

    def connect(self):
        self.conn = LineSocket("127.0.0.1", self.port, timeout=SOCKET_TIMEOUT)
        if self.reply() != 220:
            raise ConnectionError("no 220 greeting")
        self.cmd("EHLO load.outside.test", 250)

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn = None

    def send(self, xseq):
        """Sends one message; returns (dot_sent, acked)."""
        if self.conn is None:
            self.connect()
        self.cmd("MAIL FROM:<load@outside.test>", 250)
        self.cmd(f"RCPT TO:<{ALICE}>", 250)
        self.cmd("DATA", 354)
        self.conn.send(f"From: <load@outside.test>\r\nTo: <{ALICE}>\r\nSubject: load {xseq}\r\n"
                       f"Message-ID: <{xseq}@outside.test>\r\nX-Seq: {xseq}\r\n\r\n"
                       f"message {xseq}\r\n.\r\n")
        try:
            code = self.reply()
        except (OSError, ConnectionError):
            return True, False
        return True, code == 250


class Load:
    """The shared state of the client threads."""

    def __init__(self, port, run):
        self.port = port
        self.run = run
        self.lock = threading.Lock()
        self.next_seq = 0
        self.sent = set()   # attempts whose final dot went out
        self.acked = set()  # attempts answered 250 after DATA
        self.failures = 0   # connection failures and refusals seen by clients
        self.deadline = time.monotonic() + LOAD_DEADLINE
        self.errors = []

    def take(self):
        with self.lock:
            if self.next_seq >= MESSAGES:
                return None
            self.next_seq += 1
            return self.next_seq

    def client(self):
        c = Client(self.port)
        try:
            while (seq := self.take()) is not None:
                attempt = 0
                while True:
                    if time.monotonic() > self.deadline:
                        self.errors.append(f"message {seq} not acknowledged within {LOAD_DEADLINE}s")
                        return
                    attempt += 1
                    xseq = f"{self.run}-{seq}-{attempt}"
                    dot_sent = acked = False
                    try:
                        dot_sent, acked = c.send(xseq)
                    except (OSError, ConnectionError):
                        pass
                    with self.lock:
                        if dot_sent:
                            self.sent.add(xseq)
                        if acked:
                            self.acked.add(xseq)
                        else:
                            self.failures += 1
                    if acked:
                        break
                    c.close()
                    time.sleep(0.05)
                time.sleep(random.uniform(*PACE))
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.errors.append(f"client crashed: {e!r}")
        finally:
            c.close()


class Killer:
    """SIGKILLs smtpd and queued in turn at random moments and restarts them at once."""

    def __init__(self, suite, load_done):
        self.suite = suite
        self.load_done = load_done
        self.kills = Counter()
        self.mid_load = 0
        self.errors = []

    def run(self):
        order = ["smtpd", "queued"]
        random.shuffle(order)
        i = 0
        hard_stop = time.monotonic() + LOAD_DEADLINE + 5
        while not self.load_done.is_set() and time.monotonic() < hard_stop:
            time.sleep(random.uniform(0.15, 0.5))
            name = order[i % 2]
            i += 1
            proc = self.suite.procs[name]
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            self.kills[name] += 1
            if not self.load_done.is_set():
                self.mid_load += 1
            try:
                self.suite.start(name)
            except RuntimeError as e:
                self.errors.append(f"restart of {name} after SIGKILL failed: {e}")
                return


def queue_entries(s):
    r = s.mailctl("queue", "list")
    return [ln for ln in r.stdout.splitlines() if ln.strip()]


def mailbox_xseqs(s, run):
    """The X-Seq value of every message in alice's INBOX (one entry per copy)."""
    c = Imap(s.ports["imap"])
    try:
        status, line, _ = c.command(f'LOGIN "{ALICE}" "{s.passwords[ALICE]}"')
        assert status == "OK", line
        status, line, _ = c.command("SELECT INBOX")
        assert status == "OK", line
        status, line, untagged = c.command("UID FETCH 1:* BODY.PEEK[HEADER.FIELDS (X-Seq)]")
        assert status == "OK", line
        c.command("LOGOUT")
    finally:
        c.close()
    found = []
    for u in untagged:
        if b" FETCH " in u:
            m = re.search(rb"X-Seq: *(\S+)", u, re.IGNORECASE)
            assert m, f"a message without X-Seq in the mailbox: {u[:200]!r}"
            found.append(m.group(1).decode())
    assert all(x.startswith(run + "-") for x in found), "foreign messages in the mailbox"
    return found


def test_sigkill_under_load_loses_nothing_acknowledged(durable, record_property):
    s = durable
    started = time.monotonic()
    load = Load(s.ports["smtp"], "r" + token()[:8])
    load_done = threading.Event()
    killer = Killer(s, load_done)
    killer_thread = threading.Thread(target=killer.run, name="killer", daemon=True)
    clients = [threading.Thread(target=load.client, name=f"client{i}", daemon=True) for i in range(CLIENTS)]
    killer_thread.start()
    for t in clients:
        t.start()
    for t in clients:
        t.join(LOAD_DEADLINE + 15)
    load_seconds = time.monotonic() - started
    load_done.set()
    killer_thread.join(LOAD_DEADLINE + 30)
    assert not killer_thread.is_alive(), "killer thread hung"
    assert not killer.errors, killer.errors
    assert not any(t.is_alive() for t in clients), "a client thread hung"

    # Anything dead (there should be nothing: the killer restarts at once) comes back.
    for name, proc in list(s.procs.items()):
        if proc.poll() is not None:
            s.start(name)

    entries, drain_seconds = None, 0.0
    drain_start = time.monotonic()
    while True:
        entries = queue_entries(s)
        drain_seconds = time.monotonic() - drain_start
        if not entries or drain_seconds > DRAIN_DEADLINE:
            break
        time.sleep(0.2)

    delivered = mailbox_xseqs(s, load.run)
    copies = Counter(delivered)
    lost = sorted(load.acked - set(copies))
    duplicates = sum(n - 1 for n in copies.values() if n > 1)
    unacked_delivered = sorted(set(copies) - load.acked)
    never_sent = sorted(set(copies) - load.sent)
    kills = sum(killer.kills.values())
    summary = (f"durability: sent={len(load.sent)} acked={len(load.acked)} delivered={len(delivered)} "
               f"lost={len(lost)} duplicates={duplicates} unacked_delivered={len(unacked_delivered)} "
               f"kills={kills} (smtpd={killer.kills['smtpd']} queued={killer.kills['queued']} "
               f"mid_load={killer.mid_load}) client_failures={load.failures} "
               f"load={load_seconds:.1f}s drain={drain_seconds:.1f}s")
    report_figure(summary)
    for key, value in [("sent", len(load.sent)), ("acked", len(load.acked)), ("delivered", len(delivered)),
                       ("lost", len(lost)), ("duplicates", duplicates), ("kills", kills)]:
        record_property(key, value)

    assert not load.errors, f"{summary}\n" + "\n".join(load.errors[:10])
    assert killer.mid_load >= MIN_KILLS, f"too few kills during the load\n{summary}"
    assert not entries, f"queue not empty {DRAIN_DEADLINE}s after the load: {entries[:10]}\n{summary}"
    assert not lost, f"acknowledged messages lost: {lost[:20]}\n{summary}"
    assert not never_sent, f"delivered attempts that never completed DATA: {never_sent[:20]}\n{summary}"
    # Local delivery is idempotent per queue id and account (store::Delivery::key): a SIGKILL
    # between the store commit and the queue update must not deliver twice.
    assert duplicates == 0, f"delivered twice: {copies.most_common(5)}\n{summary}"
    assert len({x.rsplit("-", 1)[0] for x in load.acked}) == MESSAGES, summary

    check = s.mailctl("store", "check")
    assert re.search(r"\bok\b", check.stdout), f"store check: {check.stdout}{check.stderr}"
    assert time.monotonic() - started < 60, summary
