"""Shared parts of the relay tests (test_relay.py, test_relay_faults.py): the module
fixture `relay` and its far ends, and the helpers that submit into the sender's queue and
read the results.

Two suites of our daemons run side by side: the "sender" suite (alice submits there) and a
"remote" suite that owns the domain remote.test. A zone-file DNS server
(tests/dns/dns_server.py) answers the sender's queued: remote.test has an MX record
pointing at 127.0.0.1, where relay.smtp_port is the remote smtpd's port; nullmx.test has
a null MX (RFC 7505). sink.test goes through the transport table to Postfix's smtp-sink,
a far end whose replies the tests choose (-r: 4xx, -f: 5xx) and which dumps every message
it takes, so "delivered once" is counted at the far end. The FAR_DOMAINS go through the
transport table to relay_far_end.py (FarEnd), a far end that stalls or is killed on
purpose and logs every event with its time; paced.test has a destination rate limit.

The relay timeouts are shortened (RELAY_TIMEOUTS) so that a stalled far end costs seconds.
"""

import email
import json
import os
import shutil
import signal
import smtplib
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import ALICE, REPO, require_built, separate_suite, skip_unless_strict
from helpers import imap_login, make_message, smtp_send, token, unverified_context, wait_until

SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
DNS_SERVER = REPO / "tests" / "dns" / "dns_server.py"
CAROL = "carol@remote.test"
CAROL_PW = "carol-remote-pw"
DEAD_TIME = 3  # relay.dead_destination_time: short, so a far end back up is soon retried
FAR_END = Path(__file__).parent / "relay_far_end.py"
# Every domain a test routes to the FarEnd, each test its own (the dead-destination memory
# is per domain and next hop).
FAR_DOMAINS = ["stall.test", "dot.test", "midsend.test", "kill.test", "paced.test",
               "unpaced.test"]
PACED_RATE = 60  # messages per minute to paced.test: one a second
# Short enough for a stalled far end to cost seconds; data_done_timeout stays above the 3 s
# that test_sigkill_mid_relay_loses_nothing makes smtp-sink wait before its final reply.
RELAY_TIMEOUTS = {"greeting_timeout": 3, "data_block_timeout": 2, "data_done_timeout": 5}
BIG_MESSAGE_SIZE = 16 * 1024 * 1024  # smtpd.max_message_size of the sender suite


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """Postfix's smtp-sink on a fixed port; restartable with other options."""

    def __init__(self, port, host="127.0.0.1"):
        # smtp-sink drops to nobody when started as root: its dump folder must be reachable
        # by nobody (pytest's tmp folders are not).
        self.dir = Path(tempfile.mkdtemp(prefix="relay-sink-"))
        os.chmod(self.dir, 0o777)
        self.port = port
        self.host = host
        self.proc = None

    def start(self, *options):
        args = [SMTP_SINK, "-d", str(self.dir) + "/%H%M%S.", *options]
        if os.geteuid() == 0:
            args[1:1] = ["-u", "nobody"]
        args += [f"{self.host}:{self.port}", "64"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import socket
        for _ in range(200):
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("smtp-sink did not listen")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def dumps(self):
        return [p.read_bytes() for p in self.dir.iterdir() if p.is_file()]

    def count(self, tag):
        return sum(1 for d in self.dumps() if tag.encode() in d)


class FarEnd:
    """relay_far_end.py on a fixed port, restartable with other options (see its docstring),
    and SIGKILLable; every run appends to one JSON-lines log that events() reads."""

    def __init__(self, port, log):
        self.port = port
        self.log = Path(log)
        self.proc = None

    def start(self, *options):
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", str(FAR_END), "--port", str(self.port), "--log", str(self.log),
             *options], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ok, _ = wait_until(lambda: self.events("listening") or self.proc.poll() is not None,
                           deadline=10)
        assert ok and self.proc.poll() is None, "relay_far_end.py did not listen"

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=10)

    def events(self, *kinds, all_runs=False):
        """The logged events of the running (or last) process; of every run with all_runs."""
        if not self.log.exists():
            return []
        out = [json.loads(ln) for ln in self.log.read_text().splitlines() if ln.strip()]
        return [e for e in out if (not kinds or e["event"] in kinds) and
                (all_runs or e["pid"] == self.proc.pid)]

    def messages(self, tag, kind="accepted"):
        """The far end's "accepted" (or "unanswered") events of messages tagged `tag`, in
        every run (a message may arrive at a far end started again)."""
        return [e for e in self.events(kind, all_runs=True) if tag in e.get("subject", "")]

    def per_recipient(self, tag):
        """How many times each recipient got the message tagged `tag` (with a 250)."""
        counts = {}
        for e in self.messages(tag):
            for r in e["rcpts"]:
                counts[r] = counts.get(r, 0) + 1
        return counts


@pytest.fixture(scope="module")
def relay(tmp_path_factory):
    for name in ("mailctl", "smtpd", "queued", "imapd"):
        require_built(name)
    if not Path(SMTP_SINK).exists():
        skip_unless_strict("smtp-sink (postfix) is not installed")
    root = tmp_path_factory.mktemp("relay")
    zone = root / "relay.zone"
    zone.write_text(
        "$ORIGIN test.\n$TTL 60\n"
        "@ IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60\n"
        "ns IN A 127.0.0.1\n"
        "remote IN MX 10 mx.remote\n"
        "mx.remote IN A 127.0.0.1\n"
        "nullmx IN MX 0 .\n"
        "dead IN MX 10 mx.dead\n"
        "mx.dead IN A 127.0.0.2\n")
    dns = subprocess.Popen(["/usr/bin/python3", str(DNS_SERVER), str(zone), "--port", "0"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        ready = dns.stdout.readline().split()
        assert ready and ready[0] == "ready", f"dns_server.py did not start: {ready}"
        dns_port = int(ready[1])
        sink = Sink(free_port())
        sink.start()
        far = FarEnd(free_port(), root / "far_end.log")
        far.start()
        with separate_suite(root / "remote") as remote:
            remote.mailctl("domain", "add", "remote.test")
            remote.add_user(CAROL, CAROL_PW)
            timeouts = "".join(f"{k} = {v}\n" for k, v in RELAY_TIMEOUTS.items())
            transport = "".join(f'"{d}" = "127.0.0.1:{far.port}"\n' for d in FAR_DOMAINS)
            sections = {
                "dns": f'resolvers = ["127.0.0.1@{dns_port}"]\ntimeout = 5',
                "smtpd": f"max_message_size = {BIG_MESSAGE_SIZE}",
                "relay": (f"smtp_port = {remote.ports['smtp']}\n"
                          "delay_notice_after = 1\nconnect_timeout = 5\n"
                          f"{timeouts}connection_cache_time = 1\n"
                          f"dead_destination_time = {DEAD_TIME}"),
                "queued": "retry_delay = 1\nmax_retry_delay = 2\nscan_interval = 1",
                "relay.transport": f'"sink.test" = "127.0.0.1:{sink.port}"\n{transport}',
                "relay.destination_limits": f'"paced.test" = {{ rate = {PACED_RATE} }}',
            }
            with separate_suite(root / "sender", sections=sections) as sender:
                yield sender, remote, sink, far
    finally:
        if "far" in locals():
            far.stop()
        if "sink" in locals():
            sink.stop()
            shutil.rmtree(sink.dir, ignore_errors=True)
        dns.send_signal(signal.SIGTERM)
        dns.wait(timeout=5)


def submit_many(s, messages, sender=ALICE, message_lines=3):
    """Puts messages [(recipients, tag)] for foreign recipients into the sender suite's
    queue. smtpd takes foreign recipients only from authenticated submitters (AUTH comes
    with the submission issue), so the recipients' domains are made local for the moment
    of acceptance, with queued stopped, and removed before queued starts again: then they
    are foreign and queued relays them (as test_queue_admin.py does)."""
    rcpts = sorted({r for rs, _ in messages for r in rs})
    domains = sorted({r.split("@", 1)[1] for r in rcpts})
    proc = s.procs["queued"]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    try:
        for d in domains:
            s.mailctl("domain", "add", d)
        for r in rcpts:
            s.add_user(r, "pw-" + token())
        for rs, tag in messages:
            msg = make_message(tag, sender=sender or "MAILER-DAEMON@mail.example.test", to=rs[0],
                               body_lines=message_lines)
            smtp_send(s.ports["smtp"], sender, rs, msg)
    finally:
        for r in rcpts:
            s.mailctl("user", "remove", r, check=False)
        for d in domains:
            s.mailctl("domain", "remove", d, check=False)
        s.start("queued")


def send_authenticated(s, messages, message_lines=3):
    """Submits messages [(recipients, tag)] as alice on the submission port (smtplib:
    STARTTLS, AUTH), where smtpd takes foreign recipients; queued keeps running. Returns
    smtplib's refused-recipients dict of each message."""
    refused = []
    with smtplib.SMTP("127.0.0.1", s.ports["submission"], local_hostname="client.example.test",
                      timeout=60) as c:
        c.starttls(context=unverified_context())
        c.login(ALICE, s.passwords[ALICE])
        for rcpts, tag in messages:
            msg = make_message(tag, sender=ALICE, to=rcpts[0], body_lines=message_lines)
            refused.append(c.sendmail(ALICE, rcpts, msg))
    return refused


def submit(s, rcpts, tag, sender=ALICE):
    submit_many(s, [(rcpts, tag)], sender=sender)


def find_in_bodies(m, tag):
    """The raw messages of INBOX that contain `tag` anywhere (a DSN carries the original's
    tag in its returned part, not in its own header)."""
    typ, data = m.select("INBOX")
    assert typ == "OK", data
    if int(data[0]) == 0:
        return []
    typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
    assert typ == "OK", data
    return [part[1] for part in data if isinstance(part, tuple) and tag.encode() in part[1]]


def mailbox_message(port, user, password, tag, deadline=20.0):
    """The last raw message containing `tag` in the user's INBOX (None if none arrives)."""
    m = imap_login(port, user, password)
    try:
        found, _ = wait_until(lambda: find_in_bodies(m, tag), deadline=deadline, interval=0.2)
        return found[-1] if found else None
    finally:
        m.logout()


def queue_entries(s, *filters):
    return json.loads(s.mailctl("queue", "list", "--json", *filters).stdout)


def dsn_parts(raw):
    """(human text, per-recipient status fields) of an RFC 3464 report."""
    msg = email.message_from_bytes(raw)
    assert msg.get_content_type() == "multipart/report", msg.get_content_type()
    assert msg.get_param("report-type") == "delivery-status"
    parts = msg.get_payload()
    status = next(p for p in parts if p.get_content_type() == "message/delivery-status")
    groups = status.get_payload()  # per-message fields, then one block per recipient
    return parts[0].get_payload(decode=True).decode(), [dict(g.items()) for g in groups[1:]]


