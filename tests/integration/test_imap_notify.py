"""NOTIFY (RFC 5465) through imaplib against the real daemons: a session that has set NOTIFY
and then sends nothing at all (no IDLE, no NOOP) receives an unsolicited STATUS when an SMTP
delivery (smtpd -> queued -> store -> change notice) or another session's APPEND reaches a
mailbox it watches; EXISTS and FETCH with the requested attributes for the selected mailbox;
LIST for another session's CREATE and RENAME; NOTIFY SET STATUS's initial STATUS; [BADEVENT]
for events we do not offer. Raw commands go through imaplib's _command/_command_complete;
unsolicited lines are read from its socket."""

import imaplib
import re
import select
import time

import pytest

from helpers import imap_login, imap_wait, make_message, read_until, smtp_send, token


@pytest.fixture
def notify_user(suite):
    """A fresh user with one delivered message: (user, password)."""
    suite.require("mailctl", "imapd", "smtpd", "queued")
    user = suite.new_user("notify")
    tag = token()
    smtp_send(suite.ports["smtp"], "s@outside.test", [user], make_message(tag, to=user))
    imap_wait(suite.ports["imap"], user, suite.passwords[user], tag, count=1)
    return user, suite.passwords[user]


# imaplib sends only the commands it knows; NOTIFY is allowed once logged in.
imaplib.Commands.setdefault("NOTIFY", ("AUTH", "SELECTED"))


def command(m, name, *words):
    """Sends one raw command through imaplib: (status, data of the tagged reply)."""
    tag = m._command(name, *words)
    return m._command_complete(name, tag)


def nothing_within(m, seconds=0.5):
    """True when the server sends nothing for `seconds` (without a timed-out socket)."""
    ready, _, _ = select.select([m.sock], [], [], seconds)
    assert not ready, m.readline()
    return True


def test_notify_advertised_and_initial_status(suite, notify_user):
    user, pw = notify_user
    m = imap_login(suite.ports["imap"], user, pw)
    try:
        typ, data = m.capability()  # after login (imaplib keeps the greeting's list)
        assert typ == "OK" and b"NOTIFY" in data[0].split(), data
        m.select("Sent")
        typ, _ = command(m, "NOTIFY", "SET", "STATUS", "(inboxes", "(MessageNew", "MessageExpunge))")
        assert typ == "OK"
        status = m.untagged_responses.pop("STATUS", [])
        assert any(re.match(rb"INBOX \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 1\)", s) for s in status), status
        # Events we do not offer: NO [BADEVENT (...)] (RFC 5465 section 3.1), not BAD.
        typ, data = command(m, "NOTIFY", "SET", "(personal", "(AnnotationChange))")
        assert typ == "NO" and b"[BADEVENT (" in data[0], data
    finally:
        m.logout()


def test_smtp_delivery_reaches_a_silent_notify_session(suite, notify_user):
    user, pw = notify_user
    m = imap_login(suite.ports["imap"], user, pw)
    try:
        m.select("Sent")
        typ, _ = command(m, "NOTIFY", "SET", "(inboxes", "(MessageNew", "MessageExpunge))")
        assert typ == "OK"
        start = time.monotonic()
        smtp_send(suite.ports["smtp"], "s@outside.test", [user], make_message(token(), to=user))
        # No command sent: the server pushes the STATUS as soon as the message is stored.
        lines = read_until(m, rb"^\* STATUS INBOX \(MESSAGES 2 ")
        elapsed = time.monotonic() - start
        assert elapsed < 3.0, (elapsed, lines)
    finally:
        m.logout()


def test_append_from_another_session(suite, notify_user):
    user, pw = notify_user
    watcher = imap_login(suite.ports["imap"], user, pw)
    writer = imap_login(suite.ports["imap"], user, pw)
    try:
        watcher.select("INBOX")
        typ, _ = command(
            watcher,
            "NOTIFY",
            "SET",
            "(selected",
            "(MessageNew",
            "(UID",
            "BODY.PEEK[HEADER.FIELDS",
            "(Subject)])",
            "MessageExpunge))",
            "(personal",
            "(MessageNew",
            "MessageExpunge",
            "MailboxName))",
        )
        assert typ == "OK"
        # Another session's APPEND to a mailbox that is not selected: STATUS.
        writer.append("Drafts", None, None, make_message("draft-" + token(), to=user))
        read_until(watcher, rb"^\* STATUS Drafts \(MESSAGES 1 UIDNEXT 2 ")
        # To the selected one: EXISTS, then FETCH with what MessageNew asked for (section 5.2).
        subject = "notify-" + token()
        writer.append("INBOX", None, None, make_message(subject, to=user))
        lines = read_until(watcher, rb"^\* 2 EXISTS")
        lines += read_until(watcher, rb"(?i)^\* 2 FETCH \(UID 2 BODY\[HEADER\.FIELDS \(SUBJECT\)\] \{\d+\}")
        body = watcher.readline()
        assert subject.encode() in body, (lines, body)
        # Mailbox names (section 5.4): CREATE and RENAME by the other session.
        writer.create("Projects")
        read_until(watcher, rb'^\* LIST \(\\HasNoChildren\) "/" Projects')
        writer.rename("Projects", "Done")
        read_until(watcher, rb'^\* LIST \(\\HasNoChildren\) "/" Done \("OLDNAME" \(Projects\)\)')
        # The selected mailbox's expunge, between commands (SELECTED, section 5.3).
        writer.select("INBOX")
        writer.store("1", "+FLAGS.SILENT", "(\\Deleted)")
        writer.expunge()
        read_until(watcher, rb"^\* 1 EXPUNGE")
        typ, data = watcher.uid("FETCH", "1:*", "(UID)")
        assert typ == "OK" and data == [b"1 (UID 2)"], data
    finally:
        writer.logout()
        watcher.logout()


def test_notify_none_stops_pushing(suite, notify_user):
    user, pw = notify_user
    m = imap_login(suite.ports["imap"], user, pw)
    try:
        m.select("Sent")
        command(m, "NOTIFY", "SET", "(personal", "(MessageNew", "MessageExpunge))")
        command(m, "NOTIFY", "NONE")
        smtp_send(suite.ports["smtp"], "s@outside.test", [user], make_message(token(), to=user))
        time.sleep(1.0)
        assert nothing_within(m)
    finally:
        m.logout()
