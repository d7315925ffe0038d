"""IDLE (RFC 2177) and mailbox views kept in sync across sessions, through imaplib against the
real daemons: an idling session is woken by an SMTP delivery (smtpd -> queued -> store ->
change notice) and by another session's STORE and EXPUNGE; NOOP reports the same changes;
CONDSTORE/QRESYNC (RFC 7162), MOVE (RFC 6851) and UID EXPUNGE (RFC 4315) as a client sees
them."""

import re
import socket
import time

import pytest

from conftest import report_figure
from helpers import imap_login, imap_wait, make_message, read_until, smtp_send, token


@pytest.fixture
def idle_user(suite):
    """A fresh user with two delivered messages: (user, password, uids)."""
    suite.require("mailctl", "imapd", "smtpd", "queued")
    user = suite.new_user("idle")
    tag = token()
    for i in range(2):
        smtp_send(suite.ports["smtp"], "s@outside.test", [user], make_message(f"{tag}-{i}", to=user))
    uids, _ = imap_wait(suite.ports["imap"], user, suite.passwords[user], tag, count=2)
    return user, suite.passwords[user], uids


def start_idle(m):
    """Sends IDLE on an imaplib connection; returns the tag once the continuation came."""
    tag = m._new_tag().decode()
    m.send(f"{tag} IDLE\r\n".encode())
    line = m.readline()
    assert line.startswith(b"+"), line
    return tag


def stop_idle(m, tag):
    m.send(b"DONE\r\n")
    lines = read_until(m, rb"^" + tag.encode() + rb" ")
    assert lines[-1].startswith(f"{tag} OK".encode()), lines
    return lines[:-1]


def test_idle_woken_by_smtp_delivery(suite, idle_user):
    user, pw, uids = idle_user
    m = imap_login(suite.ports["imap"], user, pw)
    try:
        typ, data = m.select("INBOX")
        assert data == [b"2"], data
        tag = start_idle(m)
        latencies = []
        for i in range(3):
            start = time.monotonic()
            smtp_send(suite.ports["smtp"], "s@outside.test", [user], make_message(token(), to=user))
            read_until(m, rf"^\* {3 + i} EXISTS".encode())
            latencies.append(time.monotonic() - start)
        stop_idle(m, tag)
        # Far below the 60 s safety refresh: the change notice woke the session.
        assert max(latencies) < 2.0, latencies
        report_figure(f"IDLE: SMTP 250 -> EXISTS at the idling client: max {max(latencies)*1000:.1f} ms of 3")
        typ, data = m.uid("FETCH", "1:*", "(UID)")
        assert typ == "OK" and len(data) == 5, data
    finally:
        m.logout()


def test_idle_sees_other_sessions_flags_and_expunge(suite, idle_user):
    user, pw, uids = idle_user
    a = imap_login(suite.ports["imap"], user, pw)
    b = imap_login(suite.ports["imap"], user, pw)
    try:
        a.select("INBOX")
        b.select("INBOX")
        tag = start_idle(a)
        typ, _ = b.uid("STORE", str(uids[0]), "+FLAGS.SILENT", r"(\Flagged $Work)")
        assert typ == "OK"
        # A new keyword is announced in FLAGS before a FETCH names it (RFC 9051 7.5.1).
        lines = read_until(a, rb"^\* 1 FETCH")
        assert any(l.startswith(b"* FLAGS (") and b"$Work" in l for l in lines), lines
        assert b"\\Flagged" in lines[-1] and b"$Work" in lines[-1], lines
        b.uid("STORE", str(uids[0]), "+FLAGS.SILENT", r"(\Deleted)")
        b.expunge()
        read_until(a, rb"^\* 1 EXPUNGE")
        stop_idle(a, tag)
        typ, data = a.fetch("1:*", "(UID)")
        assert typ == "OK" and len(data) == 1 and f"UID {uids[1]}".encode() in data[0], data
    finally:
        a.logout()
        b.logout()


def test_noop_reports_changes_and_sequence_numbers_hold(suite, idle_user):
    user, pw, uids = idle_user
    a = imap_login(suite.ports["imap"], user, pw)
    b = imap_login(suite.ports["imap"], user, pw)
    try:
        a.select("INBOX")
        b.select("INBOX")
        b.uid("STORE", str(uids[0]), "+FLAGS.SILENT", r"(\Deleted)")
        b.expunge()
        # FETCH may not announce the expunge (RFC 9051 7.5.1): message 2 keeps its number.
        typ, data = a.fetch("2", "(UID)")
        assert typ == "OK" and f"UID {uids[1]}".encode() in data[0], data
        typ, data = a.noop()
        assert typ == "OK"
        assert a.untagged_responses.get("EXPUNGE") == [b"1"], a.untagged_responses
        typ, data = a.fetch("1", "(UID)")
        assert typ == "OK" and f"UID {uids[1]}".encode() in data[0], data
    finally:
        a.logout()
        b.logout()


def test_idle_done_and_bad_line(suite, idle_user):
    user, pw, _ = idle_user
    m = imap_login(suite.ports["imap"], user, pw)
    try:
        m.select("INBOX")
        tag = m._new_tag().decode()
        m.send(f"{tag} IDLE\r\n".encode())
        assert m.readline().startswith(b"+")
        m.send(b"NOT DONE\r\n")
        lines = read_until(m, rb"^" + tag.encode() + rb" ")
        assert lines[-1].startswith(f"{tag} BAD".encode()), lines
        typ, _ = m.noop()  # the session goes on
        assert typ == "OK"
    finally:
        m.logout()


def test_condstore_qresync(suite, idle_user):
    user, pw, uids = idle_user
    port = suite.ports["imap"]
    m = imap_login(port, user, pw)
    try:
        typ, data = m._simple_command("ENABLE", "QRESYNC")
        assert typ == "OK"
        assert m.untagged_responses.get("ENABLED") == [b"QRESYNC"], m.untagged_responses
        typ, _ = m.select("INBOX")
        assert typ == "OK"
        okays = b" ".join(m.untagged_responses.get("OK", []))
        uidvalidity = int(m.untagged_responses["UIDVALIDITY"][0])
        modseq0 = int(re.search(rb"HIGHESTMODSEQ (\d+)", okays).group(1))
        # STORE UNCHANGEDSINCE: the first wins, the second (stale) is refused by MODIFIED.
        typ, data = m.uid("STORE", str(uids[0]), f"(UNCHANGEDSINCE {modseq0})", "+FLAGS", r"(\Seen)")
        assert typ == "OK" and b"MODSEQ" in data[0], data
        # (Refused with [MODIFIED]: imaplib hides tagged codes; test_unchangedsince_refused_raw.)
        typ, data = m.uid("STORE", str(uids[0]), f"(UNCHANGEDSINCE {modseq0})", "+FLAGS", r"(\Answered)")
        assert typ == "OK", data
        typ, data = m.uid("FETCH", "1:*", "(FLAGS)", f"(CHANGEDSINCE {modseq0})")
        assert typ == "OK" and len(data) == 1 and f"UID {uids[0]}".encode() in data[0], data
        assert b"MODSEQ" in data[0] and b"\\Answered" not in data[0], data
        typ, data = m.uid("STORE", str(uids[1]), "+FLAGS.SILENT", r"(\Deleted)")
        m.uid("EXPUNGE", str(uids[1]))  # UIDPLUS: only this UID
        m.logout()

        # A reconnecting client resynchronises in one SELECT (RFC 7162 3.2.5).
        m = imap_login(port, user, pw)
        m._simple_command("ENABLE", "QRESYNC")
        tag = m._new_tag().decode()
        m.send(f"{tag} SELECT INBOX (QRESYNC ({uidvalidity} {modseq0} 1:{uids[-1]}))\r\n".encode())
        lines = read_until(m, rb"^" + tag.encode() + rb" ")
        assert lines[-1].startswith(f"{tag} OK [READ-WRITE]".encode()), lines
        assert f"* VANISHED (EARLIER) {uids[1]}".encode() in lines, lines
        changed = [l for l in lines if re.match(rb"^\* \d+ FETCH", l)]
        assert len(changed) == 1 and f"UID {uids[0]}".encode() in changed[0], lines
        assert b"MODSEQ" in changed[0] and b"\\Seen" in changed[0], changed
    finally:
        try:
            m.logout()
        except Exception:
            pass


class RawImap:
    """Commands over a raw socket: tagged response codes that imaplib hides (MODIFIED,
    COPYUID)."""

    def __init__(self, port, user, password):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.f = self.sock.makefile("rwb")
        self.f.readline()
        self.n = 0
        assert self.cmd(f"LOGIN {user} {password}")[-1].startswith(b"OK")

    def cmd(self, text):
        self.n += 1
        tag = f"r{self.n}"
        self.f.write(f"{tag} {text}\r\n".encode())
        self.f.flush()
        lines = []
        while True:
            line = self.f.readline().rstrip(b"\r\n")
            assert line, lines
            lines.append(line)
            if line.startswith(tag.encode() + b" "):
                return [l for l in lines[:-1]] + [line[len(tag) + 1:]]

    def close(self):
        self.cmd("LOGOUT")
        self.sock.close()


def test_unchangedsince_refused_raw(suite, idle_user):
    user, pw, uids = idle_user
    r = RawImap(suite.ports["imap"], user, pw)
    lines = r.cmd("SELECT INBOX (CONDSTORE)")
    modseq = int(re.search(rb"HIGHESTMODSEQ (\d+)", b" ".join(lines)).group(1))
    lines = r.cmd(f"UID STORE {uids[0]} (UNCHANGEDSINCE {modseq}) +FLAGS (\\Flagged)")
    assert lines[-1].startswith(b"OK"), lines
    lines = r.cmd(f"UID STORE {uids[0]} (UNCHANGEDSINCE {modseq}) +FLAGS (\\Seen)")
    assert lines[-1].startswith(f"OK [MODIFIED {uids[0]}]".encode()), lines
    lines = r.cmd(f"UID FETCH {uids[0]} (FLAGS)")
    assert b"\\Seen" not in lines[0] and b"\\Flagged" in lines[0], lines
    r.close()


def test_move_and_copy_with_copyuid(suite, idle_user):
    user, pw, uids = idle_user
    r = RawImap(suite.ports["imap"], user, pw)
    assert r.cmd("CREATE Filed")[-1].startswith(b"OK")
    r.cmd("SELECT INBOX")
    lines = r.cmd(f"UID COPY {uids[0]} Filed")
    assert re.match(rb"OK \[COPYUID \d+ " + str(uids[0]).encode() + rb" 1\]", lines[-1]), lines
    # RFC 6851 section 4.3: COPYUID untagged, then the expunge, then OK.
    lines = r.cmd(f"UID MOVE {uids[1]} Filed")
    assert re.match(rb"\* OK \[COPYUID \d+ " + str(uids[1]).encode() + rb" 2\]", lines[0]), lines
    assert lines[1:] == [b"* 2 EXPUNGE", b"OK UID MOVE completed"] or \
        (lines[1] == b"* 2 EXPUNGE" and lines[-1].startswith(b"OK")), lines
    lines = r.cmd("SELECT Filed")
    assert b"* 2 EXISTS" in lines, lines
    assert r.cmd("UID MOVE 99 Filed")[-1].startswith(b"OK")  # no message named (9051 6.4.9)
    assert r.cmd("UID MOVE 1 Nowhere")[-1].startswith(b"NO [TRYCREATE]")
    r.close()
