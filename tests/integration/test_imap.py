"""IMAP behaviour through imaplib and raw sockets: flags that persist across sessions,
expunge, implicit TLS and STARTTLS, and bad input (each followed by a check that imapd
still serves)."""

import re
import ssl
from pathlib import Path

import pytest

import helpers
from conftest import ALICE, IMAP_MAX_LINE
from helpers import Imap, imap_login, imap_wait, make_message, smtp_send, token, unverified_context


@pytest.fixture
def imap(suite):
    suite.require("mailctl", "imapd")
    yield suite
    m = imap_login(suite.ports["imap"], ALICE, suite.passwords[ALICE])
    try:
        typ, _ = m.select("INBOX")
        assert typ == "OK"
    finally:
        m.logout()


@pytest.fixture
def mailbox(imap):
    """A fresh user with three delivered messages: (user, password, [uids])."""
    imap.require("smtpd", "queued")
    user = imap.new_user("imap")
    tag = token()
    for i in range(3):
        smtp_send(imap.ports["smtp"], "s@outside.test", [user], make_message(f"{tag}-{i}", to=user))
    uids, _ = imap_wait(imap.ports["imap"], user, imap.passwords[user], tag, count=3)
    return user, imap.passwords[user], uids


def flags_of(m, uid):
    typ, data = m.uid("FETCH", str(uid), "(FLAGS)")
    assert typ == "OK" and data and data[0], data
    found = re.search(rb"FLAGS \(([^)]*)\)", data[0])
    assert found, data
    return set(found.group(1).decode().split())


def test_flags_persist_across_sessions(imap, mailbox):
    user, pw, uids = mailbox
    port = imap.ports["imap"]
    m = imap_login(port, user, pw)
    m.select("INBOX")
    typ, data = m.uid("STORE", str(uids[0]), "+FLAGS", r"(\Flagged $Custom)")
    assert typ == "OK", data
    m.logout()

    m = imap_login(port, user, pw)
    m.select("INBOX")
    assert {r"\Flagged", "$Custom"} <= flags_of(m, uids[0])
    assert r"\Flagged" not in flags_of(m, uids[1]), "flag leaked to another message"
    typ, data = m.uid("STORE", str(uids[0]), "-FLAGS", r"(\Flagged)")
    assert typ == "OK", data
    m.logout()

    m = imap_login(port, user, pw)
    m.select("INBOX")
    flags = flags_of(m, uids[0])
    assert r"\Flagged" not in flags and "$Custom" in flags, flags
    m.logout()


def test_store_by_sequence_number_and_silent(imap, mailbox):
    user, pw, uids = mailbox
    raw = Imap(imap.ports["imap"])
    try:
        assert raw.command(f'LOGIN "{user}" "{pw}"')[0] == "OK"
        assert raw.command("SELECT INBOX")[0] == "OK"
        status, _, untagged = raw.command(r"STORE 2 +FLAGS.SILENT (\Answered)")
        assert status == "OK"
        assert not any(b"FETCH" in u for u in untagged), f".SILENT still sent FETCH: {untagged}"
        status, _, untagged = raw.command("FETCH 2 (UID FLAGS)")
        assert status == "OK"
        assert any(rb"\Answered" in u and b"UID %d" % uids[1] in u for u in untagged), untagged
    finally:
        raw.close()


def test_deleted_and_expunge(imap, mailbox):
    user, pw, uids = mailbox
    port = imap.ports["imap"]
    m = imap_login(port, user, pw)
    typ, data = m.select("INBOX")
    assert int(data[0]) == 3
    typ, data = m.uid("STORE", str(uids[1]), "+FLAGS", r"(\Deleted)")
    assert typ == "OK", data
    typ, data = m.expunge()
    assert typ == "OK"
    assert data == [b"2"], f"EXPUNGE should report sequence number 2: {data}"
    m.logout()

    m = imap_login(port, user, pw)
    typ, data = m.select("INBOX")
    assert int(data[0]) == 2
    typ, data = m.uid("FETCH", "1:*", "(UID)")
    got = sorted(int(re.search(rb"UID (\d+)", d).group(1)) for d in data if d)
    assert got == [uids[0], uids[2]], got
    m.logout()


def test_implicit_tls(imap):
    imap.require("imapd")
    m = imap_login(imap.ports["imaps"], ALICE, imap.passwords[ALICE], tls=True)
    try:
        assert m.sock.version() in ("TLSv1.2", "TLSv1.3"), m.sock.version()
        cert = ssl.PEM_cert_to_DER_cert(Path(imap.cert_dir / "cert.pem").read_text())
        assert m.sock.getpeercert(binary_form=True) == cert, "IMAPS presents another certificate"
        typ, data = m.select("INBOX")
        assert typ == "OK", data
    finally:
        m.logout()


def test_starttls(imap):
    import imaplib

    m = imaplib.IMAP4("127.0.0.1", imap.ports["imap"], timeout=helpers.TIMEOUT)
    try:
        assert "STARTTLS" in m.capabilities, m.capabilities
        typ, data = m.starttls(ssl_context=unverified_context())
        assert typ == "OK", data
        assert "STARTTLS" not in m.capabilities, "STARTTLS still offered inside TLS"
        typ, data = m.login(ALICE, imap.passwords[ALICE])
        assert typ == "OK", data
        typ, data = m.select("INBOX")
        assert typ == "OK", data
    finally:
        m.logout()


def test_bad_login_refused(imap):
    import imaplib

    m = imaplib.IMAP4("127.0.0.1", imap.ports["imap"], timeout=helpers.TIMEOUT)
    try:
        with pytest.raises(imaplib.IMAP4.error):
            m.login(ALICE, "wrong-password")
    finally:
        m.shutdown()


def test_unknown_command_is_bad(imap):
    raw = Imap(imap.ports["imap"])
    try:
        assert raw.greeting.startswith(b"* OK"), raw.greeting
        status, line, _ = raw.command("FROBNICATE now")
        assert status == "BAD", line
        status, line, _ = raw.command("NOOP")
        assert status == "OK", line
    finally:
        raw.close()


def test_overlong_line_is_bad(imap):
    raw = Imap(imap.ports["imap"])
    try:
        raw.send("t1 NOOP " + "x" * (IMAP_MAX_LINE + 100) + "\r\n")
        line = raw.readline()
        assert re.match(rb"^(t1|\*) BAD", line), f"expected BAD for an over-long line, got {line!r}"
    finally:
        raw.close()


def test_select_missing_mailbox_is_no(imap):
    m = imap_login(imap.ports["imap"], ALICE, imap.passwords[ALICE])
    try:
        typ, data = m.select("No-Such-Folder-" + token())
        assert typ == "NO", (typ, data)
    finally:
        m.logout()


def test_recent_belongs_to_the_first_selecting_session(imap):
    """IMAP4rev1 \\Recent (RFC 3501 2.3.2) with Python's imaplib: STATUS and EXAMINE see
    the messages no session has claimed; the first SELECT claims them; later sessions see
    them as old."""
    user = imap.new_user("recent")
    pw, port = imap.passwords[user], imap.ports["imap"]
    a = imap_login(port, user, pw)
    b = imap_login(port, user, pw)
    c = imap_login(port, user, pw)
    try:
        for i in range(2):
            typ, data = a.append("INBOX", None, None, make_message(f"recent-{i}", to=user))
            assert typ == "OK", data
        typ, data = a.status("INBOX", "(MESSAGES RECENT)")
        assert typ == "OK" and b"RECENT 2" in data[0], data
        typ, _ = b.select("INBOX", readonly=True)  # EXAMINE claims nothing
        assert typ == "OK" and b.response("RECENT")[1] == [b"2"]
        assert "\\Recent" in flags_of(b, 1)
        typ, _ = a.select("INBOX")
        assert typ == "OK" and a.response("RECENT")[1] == [b"2"]
        assert "\\Recent" in flags_of(a, 2)
        typ, data = a.search(None, "RECENT")
        assert typ == "OK" and data == [b"1 2"], data
        typ, _ = c.select("INBOX")
        assert typ == "OK" and c.response("RECENT")[1] == [b"0"]
        assert "\\Recent" not in flags_of(c, 1)
        typ, data = c.search(None, "OLD")
        assert typ == "OK" and data == [b"1 2"], data
        # A new message is the read-write session's that learns of it first (b has INBOX
        # open read-only: its APPEND claims nothing).
        typ, data = b.append("INBOX", None, None, make_message("recent-2", to=user))
        assert typ == "OK", data
        typ, _ = c.noop()
        assert c.response("RECENT")[1] == [b"1"]
        assert "\\Recent" in flags_of(c, 3)
        typ, data = a.status("INBOX", "(RECENT)")
        assert b"RECENT 0" in data[0], data
    finally:
        for m in (a, b, c):
            m.logout()
