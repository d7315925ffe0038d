"""A full LMDB map (common/lmdb): with server.queue_max_size tiny and queued stopped, the
queue fills; smtpd answers 452 4.3.1 at the end of DATA (the client keeps the message and
retries), never 250 for a message it did not store. After the maximum is raised and smtpd
restarted, it accepts again, and queued delivers every message that got a 250: none lost,
none duplicated, the store intact."""

import re
import signal
import smtplib

import pytest

import helpers
from conftest import ALICE, MAX_MESSAGE_SIZE, require_built, separate_suite

TINY = 1 << 20  # 1 MiB, the smallest maximum the config accepts
ROOMY = 64 << 20


def message(tag):
    head = helpers.make_message(tag)
    filler = b"".join(b"filler line %05d " % i + b"z" * 60 + b"\r\n" for i in range(600))
    msg = head + filler
    assert len(msg) < MAX_MESSAGE_SIZE
    return msg


def send(port, tag):
    """Returns (code, text) of the reply to the end of DATA."""
    with smtplib.SMTP("127.0.0.1", port, local_hostname="client.outside.test", timeout=10) as s:
        try:
            s.sendmail("sender@outside.test", [ALICE], message(tag))
        except smtplib.SMTPDataError as e:
            return e.smtp_code, e.smtp_error.decode()
        return 250, ""


@pytest.fixture(scope="module")
def tiny_queue(tmp_path_factory):
    for name in ("mailctl", "smtpd", "queued", "imapd"):
        require_built(name)
    sections = {"server": f"queue_max_size = {TINY}"}
    with separate_suite(tmp_path_factory.mktemp("storage-full"), sections=sections) as s:
        yield s


def stop(s, name):
    s.procs[name].send_signal(signal.SIGTERM)
    assert s.procs[name].wait(timeout=15) == 0


def test_full_queue_is_452_and_loses_nothing(tiny_queue):
    s = tiny_queue
    stop(s, "queued")  # nothing drains the queue now
    run = helpers.token()[:8]
    accepted, refused = [], []
    for i in range(80):
        tag = f"full-{run}-{i:03d}"
        code, text = send(s.ports["smtp"], tag)
        if code == 250:
            assert not refused, f"{tag} accepted after a refusal while still full"
            accepted.append(tag)
        else:
            assert (code, text[:5]) == (452, "4.3.1"), (code, text)
            refused.append(tag)
            if len(refused) == 3:  # full stays full
                break
    assert accepted, "the queue took nothing"
    assert len(refused) == 3, f"a {TINY}-octet queue took {len(accepted)} messages of 45 KB"
    assert "MDB_MAP_FULL" in s.logs["smtpd"].read_text()

    # The operator raises the maximum and restarts smtpd; queued comes back.
    stop(s, "smtpd")
    s.sections = {"server": f"queue_max_size = {ROOMY}"}
    s.write_config()
    s.start("smtpd")
    s.start("queued")
    tag = f"full-{run}-after"
    assert send(s.ports["smtp"], tag) == (250, "")
    accepted.append(tag)

    m = helpers.imap_login(s.ports["imap"], ALICE, s.passwords[ALICE])
    try:
        def delivered():
            found = helpers.imap_find(m, f"full-{run}-")
            tags = [re.search(rb"Subject: test (\S+)", h).group(1).decode() for h in found.values()]
            return tags if len(tags) >= len(accepted) else None
        tags, secs = helpers.wait_until(delivered, deadline=20)
    finally:
        m.logout()
    assert tags, "not everything accepted was delivered"
    assert sorted(tags) == sorted(accepted), "lost or duplicated messages"
    assert not set(tags) & set(refused), "a refused message was delivered"
    assert "store: ok" in s.mailctl("store", "check").stdout
