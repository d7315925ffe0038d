"""The SMTP relay end to end: queued sends foreign recipients out by SMTP.

Two suites of our daemons run side by side: the "sender" suite (alice submits there) and a
"remote" suite that owns the domain remote.test. A zone-file DNS server
(tests/dns/dns_server.py) answers the sender's queued: remote.test has an MX record
pointing at 127.0.0.1, where relay.smtp_port is the remote smtpd's port; nullmx.test has
a null MX (RFC 7505). sink.test goes through the transport table to Postfix's smtp-sink,
a far end whose replies the tests choose (-r: 4xx, -f: 5xx) and which dumps every message
it takes, so "delivered once" is counted at the far end.

Real clients: smtplib (into the sender's queue, see submit_many), imaplib (mailboxes on
both sides), Postfix smtp-sink as far end; the DSNs are parsed with Python's email package.
The far ends' replies seen: remote smtpd "550 5.1.1 Recipient address rejected: User
unknown", null MX "556 5.1.10", smtp-sink -r "450 4.3.0 Error: command failed".
"""

import email
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest

from conftest import ALICE, REPO, report_figure, require_built, separate_suite
from helpers import imap_login, make_message, smtp_send, token, wait_until

SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
DNS_SERVER = REPO / "tests" / "dns" / "dns_server.py"
CAROL = "carol@remote.test"
CAROL_PW = "carol-remote-pw"
DEAD_TIME = 3  # relay.dead_destination_time: short, so a far end back up is soon retried


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


@pytest.fixture(scope="module")
def relay(tmp_path_factory):
    for name in ("mailctl", "smtpd", "queued", "imapd"):
        require_built(name)
    if not Path(SMTP_SINK).exists():
        pytest.skip("smtp-sink (postfix) is not installed")
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
        with separate_suite(root / "remote") as remote:
            remote.mailctl("domain", "add", "remote.test")
            remote.add_user(CAROL, CAROL_PW)
            sections = {
                "dns": f'resolvers = ["127.0.0.1@{dns_port}"]\ntimeout = 5',
                "relay": (f"smtp_port = {remote.ports['smtp']}\n"
                          "delay_notice_after = 1\nconnect_timeout = 5\n"
                          "data_done_timeout = 20\nconnection_cache_time = 1\n"
                          f"dead_destination_time = {DEAD_TIME}"),
                "queued": "retry_delay = 1\nmax_retry_delay = 2\nscan_interval = 1",
                "relay.transport": f'"sink.test" = "127.0.0.1:{sink.port}"',
            }
            with separate_suite(root / "sender", sections=sections) as sender:
                yield sender, remote, sink
    finally:
        if "sink" in locals():
            sink.stop()
            shutil.rmtree(sink.dir, ignore_errors=True)
        dns.send_signal(signal.SIGTERM)
        dns.wait(timeout=5)


def submit_many(s, messages, sender=ALICE):
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
            msg = make_message(tag, sender=sender or "MAILER-DAEMON@mail.example.test", to=rs[0])
            smtp_send(s.ports["smtp"], sender, rs, msg)
    finally:
        for r in rcpts:
            s.mailctl("user", "remove", r, check=False)
        for d in domains:
            s.mailctl("domain", "remove", d, check=False)
        s.start("queued")


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


def test_mx_delivery_over_starttls(relay):
    sender, remote, _ = relay
    tag = "relay-mx-" + token()
    submit(sender, [CAROL], tag)
    raw = mailbox_message(remote.ports["imap"], CAROL, CAROL_PW, tag)
    assert raw is not None, queue_entries(sender)
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    # The remote smtpd's Received line: the relay used STARTTLS (RFC 3848 "ESMTPS"),
    # and the sender's own submission line is below it.
    received = [ln for ln in email.message_from_string(head).get_all("Received")]
    assert "with ESMTPS" in received[0], received[0]
    assert len(received) >= 2
    gone, _ = wait_until(lambda: queue_entries(sender) == [], deadline=10)
    assert gone, queue_entries(sender)


def test_unknown_user_bounces_with_a_dsn_and_is_suppressed(relay):
    sender, remote, _ = relay
    tag = "relay-5xx-" + token()
    nobody = f"nobody-{token()[:8]}@remote.test"
    submit(sender, [nobody], tag)
    raw = mailbox_message(sender.ports["imap"], ALICE, sender.passwords[ALICE], tag)
    assert raw is not None, queue_entries(sender)
    msg = email.message_from_bytes(raw)
    assert msg["From"].lower().startswith("mailer-daemon@") or "MAILER-DAEMON" in msg["From"]
    text, recipients = dsn_parts(raw)
    assert nobody in text
    (r,) = recipients
    assert r["Action"] == "failed", r
    assert r["Status"].startswith("5."), r
    assert r["Final-Recipient"].replace(" ", "").lower() == f"rfc822;{nobody}".lower(), r
    assert "550" in r["Diagnostic-Code"], r
    # The hard bounce is on the suppression list, and smtpd refuses it at RCPT now.
    listed = sender.mailctl("suppression", "list").stdout
    assert nobody in listed, listed
    sender.mailctl("suppression", "remove", nobody)


def test_null_mx_bounces_at_once(relay):
    sender, _, _ = relay
    tag = "relay-nullmx-" + token()
    submit(sender, ["someone@nullmx.test"], tag)
    raw = mailbox_message(sender.ports["imap"], ALICE, sender.passwords[ALICE], tag)
    assert raw is not None, queue_entries(sender)
    _, (r,) = dsn_parts(raw)
    assert r["Action"] == "failed" and r["Status"] == "5.1.10", r  # RFC 7505 section 4.2


def test_4xx_is_retried_with_a_delay_notice_then_delivered_once(relay):
    sender, _, sink = relay
    sink.stop()
    sink.start("-r", "RCPT")  # every RCPT: 450
    tag = "relay-4xx-" + token()
    rcpt = f"retry-{token()[:6]}@sink.test"
    try:
        submit(sender, [rcpt], tag)

        def deferred():
            entries = queue_entries(sender, "--recipient", rcpt)
            if not entries:
                return None
            r = entries[0]["recipients"][0]
            return r if r["attempts"] >= 2 else None

        r, _ = wait_until(deferred, deadline=20, interval=0.2)
        assert r, queue_entries(sender)
        assert r["state"] == "pending" and "450" in r["last_reply"], r
        assert r["bounce_class"] == "soft", r
        # relay.delay_notice_after = 1: the sender hears that it is delayed (once).
        raw = mailbox_message(sender.ports["imap"], ALICE, sender.passwords[ALICE], tag)
        assert raw is not None
        _, (d,) = dsn_parts(raw)
        assert d["Action"] == "delayed" and d["Status"].startswith("4."), d
        assert sink.count(tag) == 0
    finally:
        sink.stop()
    sink.start()
    got, _ = wait_until(lambda: sink.count(tag) >= 1, deadline=20, interval=0.2)
    assert got, queue_entries(sender)
    gone, _ = wait_until(lambda: queue_entries(sender, "--recipient", rcpt) == [], deadline=10)
    assert gone
    time.sleep(1)
    assert sink.count(tag) == 1


def test_null_sender_never_gets_a_bounce(relay):
    """A message from <> that fails at the far end ends with a log line, not a DSN
    (RFC 5321 6.1, RFC 3461 6.2): no bounce loops."""
    sender, _, sink = relay
    sink.stop()
    sink.start("-f", "RCPT")  # every RCPT: 550
    try:
        tag = "relay-null-" + token()
        rcpt = f"gone-{token()[:6]}@sink.test"
        submit(sender, [rcpt], tag, sender="")
        gone, _ = wait_until(lambda: queue_entries(sender, "--recipient", rcpt) == [],
                             deadline=20, interval=0.2)
        assert gone, queue_entries(sender)
        log = Path(sender.logs["queued"]).read_text(errors="replace")
        dropped = [ln for ln in log.splitlines() if "dsn_dropped" in ln and "null sender" in ln]
        assert dropped, log[-3000:]
        # Nothing new is queued for anyone because of it.
        assert not any(tag in json.dumps(e) for e in queue_entries(sender))
    finally:
        sink.stop()
        sink.start()


def test_sigkill_mid_relay_loses_nothing(relay, record_property):
    """queued is SIGKILLed while it relays: after the restart every message reaches the
    far end; duplicates only within the at-least-once window (a message the far end took
    whose completion queued had not recorded yet)."""
    sender, _, sink = relay
    sink.stop()
    sink.start("-W", ".:3")  # 3 s before the reply to the final dot: the kill lands there
    run = "relay-kill-" + token()[:8]
    tags = [f"{run}-{i:02d}-end" for i in range(12)]  # no tag is a prefix of another
    submit_many(sender, [([f"crash{i % 3}@sink.test"], t) for i, t in enumerate(tags)])
    time.sleep(1.5)
    proc = sender.procs["queued"]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    sender.reported_dead.add("queued")
    before = {t: sink.count(t) for t in tags}
    sender.start("queued")
    done, _ = wait_until(lambda: all(sink.count(t) >= 1 for t in tags), deadline=60, interval=0.5)
    counts = {t: sink.count(t) for t in tags}
    assert done, {"counts": counts, "queue": queue_entries(sender)}
    # Counted once the queue has recorded every completion (after the far end's 250).
    gone, _ = wait_until(lambda: not any("crash" in json.dumps(e) for e in queue_entries(sender)),
                         deadline=60, interval=0.3)
    assert gone, queue_entries(sender)
    counts = {t: sink.count(t) for t in tags}
    duplicates = sum(c - 1 for c in counts.values())
    in_flight_at_kill = sum(1 for t in tags if before[t] >= 1)
    report_figure(f"relay SIGKILL: {len(tags)} messages, {in_flight_at_kill} at the far end "
                  f"before the kill, {duplicates} sent twice after the restart")
    record_property("relay_duplicates", duplicates)
    # Sent twice only if the far end had it at the kill and queued had not recorded it.
    assert all(c <= 2 for c in counts.values()), counts
    twice = [t for t, c in counts.items() if c == 2]
    assert all(before[t] >= 1 for t in twice), (counts, before)
    sink.stop()
    sink.start()


def test_dead_destination_gets_a_handful_of_connection_attempts_then_its_mail(relay):
    """dead.test's MX is 127.0.0.2 at relay.smtp_port, where nothing listens: 50 queued
    messages cost one connection attempt per relay.dead_destination_time (slow start and
    the dead-destination memory), not one each; the others are deferred at once with
    "4.4.1 delivery temporarily suspended". When the far end comes up, the next attempt
    after the expiry delivers all of them, once each."""
    sender, remote, _ = relay
    log = Path(sender.logs["queued"])

    def attempts():
        lines = log.read_text(errors="replace").splitlines()
        return sum(1 for ln in lines if "event=relay_connect_failed" in ln and "dead.test" in ln)

    before = attempts()
    run = "relay-dead-" + token()[:8]
    tags = [f"{run}-{i:02d}-end" for i in range(50)]
    submit_many(sender, [([f"down{i % 5}@dead.test"], t) for i, t in enumerate(tags)])

    def all_tried():
        entries = queue_entries(sender, "--domain", "dead.test")
        tried = [r for e in entries for r in e["recipients"] if r["attempts"] >= 1]
        return tried if len(tried) >= len(tags) else None

    tried, _ = wait_until(all_tried, deadline=30, interval=0.2)
    assert tried, queue_entries(sender, "--domain", "dead.test")
    first_scan = attempts() - before
    suspended = [r for r in tried if "4.4.1 delivery temporarily suspended" in r["last_reply"]]
    report_figure(f"relay dead destination: 50 messages, {first_scan} connection attempts "
                  f"until each was tried once, {len(suspended)} deferred as suspended")
    # One per MX address and expiry; a scan that straddles an expiry may add one more.
    assert 1 <= first_scan <= 3, first_scan
    assert len(suspended) >= len(tags) - 3, [r["last_reply"] for r in tried][:5]
    assert all(r["state"] == "pending" for r in tried)

    far_end = Sink(remote.ports["smtp"], host="127.0.0.2")
    far_end.start()
    try:
        done, _ = wait_until(lambda: all(far_end.count(t) >= 1 for t in tags),
                             deadline=DEAD_TIME + 30, interval=0.5)
        assert done, queue_entries(sender, "--domain", "dead.test")
        gone, _ = wait_until(lambda: queue_entries(sender, "--domain", "dead.test") == [],
                             deadline=20, interval=0.3)
        assert gone, queue_entries(sender, "--domain", "dead.test")
        assert all(far_end.count(t) == 1 for t in tags)
    finally:
        far_end.stop()
        shutil.rmtree(far_end.dir, ignore_errors=True)
