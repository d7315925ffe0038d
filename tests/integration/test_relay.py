"""The SMTP relay end to end: queued sends foreign recipients out by SMTP. The suites, the
DNS server and the far ends are the fixture `relay` of relay_env.py (read its docstring);
test_relay_faults.py has the far ends that stall or die.

Real clients: smtplib (into the sender's queue: submit_many, send_authenticated), imaplib
(mailboxes on both sides), Postfix smtp-sink as far end; the DSNs are parsed with Python's
email package.
The far ends' replies seen: remote smtpd "550 5.1.1 Recipient address rejected: User
unknown", null MX "556 5.1.10", smtp-sink -r "450 4.3.0 Error: command failed"; a
suppressed recipient gets our smtpd's "550 5.1.1 <...>: recipient suppressed after a hard
bounce on <date>".
"""

import email
import json
import shutil
import signal
import smtplib
import time
from pathlib import Path

import pytest

from conftest import ALICE, report_figure
from helpers import token, wait_until
from relay_env import (CAROL, CAROL_PW, DEAD_TIME, Sink, dsn_parts, mailbox_message,  # noqa: F401
                       queue_entries, relay, send_authenticated, submit, submit_many)


def test_mx_delivery_over_starttls(relay):
    sender, remote, _, _ = relay
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
    sender, remote, _, _ = relay
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
    # The hard bounce is on the suppression list, and smtpd refuses it at RCPT now, with
    # the bounce's status: the far end (the remote smtpd) never sees a second attempt.
    listed = sender.mailctl("suppression", "list").stdout
    assert nobody in listed, listed

    def far_end_attempts():
        log = Path(remote.logs["smtpd"]).read_text(errors="replace")
        return sum(1 for ln in log.splitlines() if "event=rcpt_rejected" in ln and nobody in ln)

    assert far_end_attempts() == 1
    again = "relay-suppressed-" + token()
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send_authenticated(sender, [([nobody], again)])
    code, text = refused.value.recipients[nobody]
    assert code == 550 and text.decode().startswith("5.1.1"), (code, text)
    # Another recipient of the same message still goes (only the suppressed one is refused).
    assert send_authenticated(sender, [([nobody, CAROL], again)]) == [{nobody: (code, text)}]
    assert mailbox_message(remote.ports["imap"], CAROL, CAROL_PW, again) is not None
    gone, _ = wait_until(lambda: queue_entries(sender) == [], deadline=10)
    assert gone, queue_entries(sender)
    assert far_end_attempts() == 1
    # Removed from the list, it is taken again (and bounces again at the far end).
    sender.mailctl("suppression", "remove", nobody)
    assert send_authenticated(sender, [([nobody], again)]) == [{}]
    ok, _ = wait_until(lambda: far_end_attempts() == 2, deadline=20, interval=0.2)
    assert ok, queue_entries(sender)
    sender.mailctl("suppression", "remove", nobody)


def test_null_mx_bounces_at_once(relay):
    sender, _, _, _ = relay
    tag = "relay-nullmx-" + token()
    submit(sender, ["someone@nullmx.test"], tag)
    raw = mailbox_message(sender.ports["imap"], ALICE, sender.passwords[ALICE], tag)
    assert raw is not None, queue_entries(sender)
    _, (r,) = dsn_parts(raw)
    assert r["Action"] == "failed" and r["Status"] == "5.1.10", r  # RFC 7505 section 4.2


def test_4xx_is_retried_with_a_delay_notice_then_delivered_once(relay):
    sender, _, sink, _ = relay
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
    sender, _, sink, _ = relay
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
    sender, _, sink, _ = relay
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
    sender, remote, _, _ = relay
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
