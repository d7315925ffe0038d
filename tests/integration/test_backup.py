"""mailctl backup and restore: a hot copy taken while the daemons run and keep accepting
mail, restored into a fresh data directory, serves the same mail over IMAP once daemons
start on it (what was only queued at backup time is delivered after the restore, and
nothing doubles). Restoring into a running deployment is refused. Clients: smtplib
(sending), imaplib (reading), mailctl."""

import re
import subprocess
import threading

import pytest

import helpers
from conftest import ALICE, BINARIES, Suite, require_built, separate_suite


def subjects(port, user, password):
    """Tags of every message in user's INBOX (one entry per message)."""
    m = helpers.imap_login(port, user, password)
    try:
        typ, data = m.select("INBOX")
        assert typ == "OK"
        if int(data[0]) == 0:
            return []
        typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert typ == "OK"
        return [re.search(rb"Subject: test (\w+)", part[1]).group(1).decode()
                for part in data if isinstance(part, tuple)]
    finally:
        m.logout()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    for name in ("mailctl", "smtpd", "queued", "imapd", "pop3d"):
        require_built(name)
    with separate_suite(tmp_path_factory.mktemp("backup-live")) as s:
        yield s


def test_hot_backup_restores_the_same_mail(live, tmp_path_factory):
    s = live
    port = s.ports["smtp"]
    before = [f"before{i}x{helpers.token()[:6]}" for i in range(20)]
    for tag in before:
        helpers.smtp_send(port, "sender@outside.test", [ALICE], helpers.make_message(tag))
    helpers.wait_until(lambda: len(subjects(s.ports["imap"], ALICE, s.passwords[ALICE])) >= 20,
                       deadline=15)

    # More mail keeps arriving while the backup runs.
    acknowledged = []
    stop = threading.Event()

    def keep_sending():
        n = 0
        while not stop.is_set():
            tag = f"during{n}x{helpers.token()[:6]}"
            helpers.smtp_send(port, "sender@outside.test", [ALICE], helpers.make_message(tag))
            acknowledged.append(tag)
            n += 1

    sender = threading.Thread(target=keep_sending)
    sender.start()
    helpers.wait_until(lambda: len(acknowledged) >= 3, deadline=15)
    acknowledged_at_start = list(acknowledged)
    target = tmp_path_factory.mktemp("backups") / "b1"
    r = s.mailctl("backup", str(target))
    stop.set()
    sender.join(timeout=30)
    assert "environments" in r.stdout
    for env in ("store", "queue", "directory"):
        assert (target / env / "data.mdb").is_file(), env
    assert (target / "MANIFEST").read_text().startswith("mailsuite-backup 1\n")
    assert len(acknowledged) > len(acknowledged_at_start), "no mail was accepted during the backup"

    # A running deployment is not restored over.
    r = s.mailctl("restore", "--replace", str(target), check=False)
    assert r.returncode == 1
    assert "stop the daemons first" in r.stderr

    # Restore into a fresh data directory, start daemons on it.
    restored = Suite(tmp_path_factory.mktemp("backup-restored"))
    restored.write_config()
    restored.mailctl("restore", str(target))
    try:
        restored.start_all()
        # The directory came back: alice logs in with her password.
        want = set(before) | set(acknowledged_at_start)

        def served():
            got = subjects(restored.ports["imap"], ALICE, restored.passwords[ALICE])
            return got if want <= set(got) else None
        got, _ = helpers.wait_until(served, deadline=20)
        got = got or subjects(restored.ports["imap"], ALICE, restored.passwords[ALICE])
        missing = want - set(got)
        assert not missing, f"acknowledged before the backup but not served after restore: {missing}"
        assert len(got) == len(set(got)), "a message was delivered twice after the restore"
        extra = set(got) - set(before) - set(acknowledged)
        assert not extra, f"served messages that were never sent: {extra}"
        # What arrived during the backup is there or not, but whole: each tag once.
        original = subjects(s.ports["imap"], ALICE, s.passwords[ALICE])
        assert set(got) <= set(original)
    finally:
        problems = restored.stop_all()
    assert not problems, problems
