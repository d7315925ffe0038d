"""mailctl queue against a real queue with queued running: list (filters, --json), show,
hold and release, delete, retry and flush of a deferred message. Messages are made to
wait in the queue by stopping queued while smtpd accepts them, or by a recipient whose
domain disappears after acceptance (then queued relays it, to a smarthost on a closed
port: it is deferred).
Runs on its own suite; real clients: smtplib to send, imaplib to look in the mailbox.
"""

import json
import signal
import time

import pytest

from conftest import ALICE, BOB, require_built, separate_suite
from helpers import imap_find, imap_login, make_message, smtp_send, token, wait_until

SENDER = "admin-test@outside.test"


@pytest.fixture(scope="module")
def qs(tmp_path_factory):
    for name in ("mailctl", "smtpd", "queued", "imapd"):
        require_built(name)
    # Foreign mail goes to a smarthost nobody listens on: deferred, never bounced.
    sections = {"relay": 'smarthost = "127.0.0.1:1"\nconnect_timeout = 2'}
    with separate_suite(tmp_path_factory.mktemp("queue-admin"), sections=sections) as s:
        yield s


def stop_queued(s):
    proc = s.procs["queued"]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0


def listing(s, *filters):
    r = s.mailctl("queue", "list", "--json", *filters)
    return json.loads(r.stdout)


def queued_ids(s, *filters):
    return [e["id"] for e in listing(s, *filters)]


def send(s, rcpt, tag, sender=SENDER):
    smtp_send(s.ports["smtp"], sender, [rcpt], make_message(tag, sender=sender, to=rcpt))


def in_inbox(s, user, tag, deadline=5.0):
    m = imap_login(s.ports["imap"], user, s.passwords[user])
    try:
        found, _ = wait_until(lambda: imap_find(m, tag), deadline=deadline)
    finally:
        m.logout()
    return bool(found)


def test_list_filters_show_hold_release_delete(qs):
    s = qs
    stop_queued(s)
    try:
        t_alice, t_bob, t_gone = "qa-" + token(), "qb-" + token(), "qc-" + token()
        send(s, ALICE, t_alice)
        send(s, BOB, t_bob, sender="other@outside.test")
        send(s, ALICE, t_gone)
        everything = listing(s)
        assert len(everything) == 3, everything
        ids = [e["id"] for e in everything]
        a_id, b_id, gone_id = ids
        for e in everything:
            assert e["held"] is False
            assert e["recipients"][0]["state"] == "pending"
            assert e["recipients"][0]["attempts"] == 0
            assert e["size"] > 100

        # Filters.
        assert queued_ids(s, "--sender", "other@outside.test") == [b_id]
        assert queued_ids(s, "--sender", "OTHER@outside.TEST") == [b_id]
        assert queued_ids(s, "--recipient", ALICE) == [a_id, gone_id]
        assert queued_ids(s, "--domain", "example.test") == ids
        assert queued_ids(s, "--domain", "elsewhere.test") == []
        assert queued_ids(s, "--state", "pending") == ids
        assert queued_ids(s, "--state", "delivered") == []
        bad = s.mailctl("queue", "list", "--state", "sleeping", check=False)
        assert bad.returncode == 1 and "--state must be" in bad.stderr, bad
        unknown = s.mailctl("queue", "list", "--colour", check=False)
        assert unknown.returncode == 2 and "unknown option --colour" in unknown.stderr, unknown

        # Text forms.
        text = s.mailctl("queue", "list").stdout.splitlines()
        assert len(text) == 3 and text[0].startswith(a_id) and f"<{SENDER}>" in text[0], text
        shown = s.mailctl("queue", "show", a_id).stdout
        assert f"id: {a_id}" in shown and f"recipient: {ALICE}" in shown, shown
        assert f"Subject: test {t_alice}" in shown, shown  # the header section
        j = json.loads(s.mailctl("queue", "show", "--json", a_id).stdout)
        assert j["id"] == a_id and j["sender"] == SENDER and f"test {t_alice}" in j["headers"]
        missing = s.mailctl("queue", "show", "NOSUCHID", check=False)
        assert missing.returncode == 1 and "not found" in missing.stderr, missing

        # Hold one, delete one, then let queued run.
        assert "held" in s.mailctl("queue", "hold", a_id).stdout
        assert queued_ids(s, "--held") == [a_id]
        s.mailctl("queue", "delete", gone_id)
        assert queued_ids(s) == [a_id, b_id]
        assert s.mailctl("queue", "delete", gone_id, check=False).returncode == 1
    finally:
        s.start("queued")

    assert in_inbox(s, BOB, t_bob)
    # The held message stays, however long queued looks.
    time.sleep(1.0)
    assert queued_ids(s) == [a_id]
    assert listing(s)[0]["held"] is True
    assert not in_inbox(s, ALICE, t_alice, deadline=0.5)
    assert not in_inbox(s, ALICE, t_gone, deadline=0.1)

    s.mailctl("queue", "release", a_id)
    assert in_inbox(s, ALICE, t_alice)
    gone, _ = wait_until(lambda: queued_ids(s) == [], deadline=5)
    assert gone, listing(s)


def test_deferred_message_retry_and_flush(qs):
    s = qs
    domain = f"vanishing-{token()[:6]}.test"
    user = f"u@{domain}"
    s.mailctl("domain", "add", domain)
    s.add_user(user, "pw-" + token())
    stop_queued(s)
    tag = "qd-" + token()
    try:
        send(s, user, tag)
        # The domain goes away after acceptance: the recipient is foreign now, and the
        # relay's smarthost refuses connections, so queued defers it.
        s.mailctl("user", "remove", user)
        s.mailctl("domain", "remove", domain)
    finally:
        s.start("queued")

    def attempts():
        entries = listing(s, "--recipient", user)
        return entries[0]["recipients"][0]["attempts"] if entries else None

    got, _ = wait_until(lambda: attempts() == 1, deadline=5)
    assert got, listing(s)
    (entry,) = listing(s, "--recipient", user)
    r = entry["recipients"][0]
    assert r["state"] == "pending" and r["bounce_class"] == "soft", r
    assert r["last_reply"].startswith("451 4.4.1"), r  # connection refused
    assert r["next_attempt"] >= entry["arrival"] + 299, r  # queued.retry_delay = 300
    assert r["first_failure"] > 0
    shown = s.mailctl("queue", "show", entry["id"]).stdout
    assert "class: soft" in shown and "next attempt:" in shown, shown

    # retry: due now, queued woken, a second attempt at once (backoff doubles).
    assert "due now" in s.mailctl("queue", "retry", entry["id"]).stdout
    got, _ = wait_until(lambda: attempts() == 2, deadline=5)
    assert got, listing(s)
    (entry,) = listing(s, "--recipient", user)
    assert entry["recipients"][0]["next_attempt"] >= int(time.time()) + 590

    # The domain comes back; flush delivers now instead of in ten minutes.
    s.mailctl("domain", "add", domain)
    s.add_user(user, "pw-" + token())
    out = s.mailctl("queue", "flush").stdout
    assert "1 message made due now" in out, out
    assert in_inbox(s, user, tag)
    gone, _ = wait_until(lambda: queued_ids(s) == [], deadline=5)
    assert gone, listing(s)
