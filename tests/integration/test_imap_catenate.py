"""APPEND CATENATE (RFC 4469) against the real imapd: imaplib for URL-only CATENATE (its
_command sends arguments as given) and for reading back what was stored, a raw socket for
TEXT parts (imaplib puts its one literal at the end of a command, before the closing
parenthesis CATENATE needs) with synchronizing and non-synchronizing literals."""

import re

import pytest

from helpers import Imap, imap_login, literal

SOURCE = (
    b"From: a@example.test\r\nSubject: catenate source\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
    b"--b\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n"
    b"--b\r\nContent-Type: text/x-second\r\n\r\nsecond part\r\n--b--\r\n"
)
SOURCE_HEADER = SOURCE[: SOURCE.index(b"\r\n\r\n") + 4]


@pytest.fixture
def account(suite):
    suite.require("mailctl", "imapd")
    user = suite.new_user("cat")
    return user, suite.passwords[user]


def catenate(m, mailbox, parts):
    """APPEND mailbox CATENATE (parts) through imaplib; returns (status, data)."""
    tag = m._command("APPEND", mailbox, "CATENATE", "(" + parts + ")")
    return m._command_complete("APPEND", tag)


def body(m, mailbox, uid):
    typ, data = m.select(mailbox, readonly=True)
    assert typ == "OK", data
    typ, data = m.uid("FETCH", str(uid), "(BODY.PEEK[])")
    assert typ == "OK", data
    return literal(data)


def appenduid(data):
    found = re.search(rb"\[APPENDUID (\d+) ([0-9:,]+)\]", data[0])
    assert found, data
    return found.group(2).decode()


def test_url_parts_with_imaplib(suite, account):
    user, pw = account
    m = imap_login(suite.ports["imap"], user, pw)
    try:
        typ, data = m.capability()
        assert "CATENATE" in data[0].decode().upper().split(), data
        typ, data = m.append("INBOX", None, None, SOURCE)
        assert typ == "OK", data
        src = appenduid(data)
        typ, data = catenate(m, "Drafts", f'URL "/INBOX/;UID={src}/;SECTION=HEADER" '
                                          f'URL "/INBOX/;UID={src}/;SECTION=2"')
        assert typ == "OK", data
        assert body(m, "Drafts", appenduid(data)) == SOURCE_HEADER + b"second part"
        # UIDVALIDITY checked; a partial of the whole message.
        typ, data = m.status("INBOX", "(UIDVALIDITY)")
        validity = re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1).decode()
        typ, data = catenate(m, "Drafts", f'URL "/INBOX;UIDVALIDITY={validity}/;UID={src}" '
                                          f'URL "/INBOX/;UID={src}/;PARTIAL=0.4"')
        assert typ == "OK", data
        assert body(m, "Drafts", appenduid(data)) == SOURCE + b"From"
        # RFC 4469 section 4.1: the failing URL comes back bare in BADURL; nothing stored.
        typ, data = m.status("Drafts", "(MESSAGES)")
        before = data[0]
        bad = f"/INBOX;UIDVALIDITY={int(validity) + 1}/;UID={src}"
        typ, data = catenate(m, "Drafts", f'URL "/INBOX/;UID={src}" URL "{bad}"')
        assert typ == "NO" and data[0].startswith(f"[BADURL {bad}]".encode()), data
        typ, data = catenate(m, "Drafts", 'URL "/Nowhere/;UID=1"')
        assert typ == "NO" and b"[BADURL /Nowhere/;UID=1]" in data[0], data
        typ, data = catenate(m, "NoSuchBox", f'URL "{bad}"')
        assert typ == "NO" and b"[TRYCREATE]" in data[0], data
        assert m.status("Drafts", "(MESSAGES)")[1][0] == before
    finally:
        m.logout()


def test_text_literals_and_multiappend_over_a_socket(suite, account):
    user, pw = account
    port = suite.ports["imap"]
    m = imap_login(port, user, pw)
    raw = Imap(port)
    try:
        typ, data = m.append("INBOX", None, None, SOURCE)
        src = appenduid(data)
        status, line, _ = raw.command(f'LOGIN "{user}" "{pw}"')
        assert status == "OK", line
        # Synchronizing TEXT literals: a continuation for each, then the rest.
        raw.send("c1 APPEND Drafts (\\Flagged) CATENATE (TEXT {29}\r\n")
        assert raw.readline().startswith(b"+ ")
        raw.send(f'Subject: wrapped\r\nX-Part: 1\r\n URL "/INBOX/;UID={src}/;SECTION=1" TEXT {{2}}\r\n')
        assert raw.readline().startswith(b"+ ")
        raw.send("!!)\r\n")
        status, line, _ = raw.wait("c1")
        assert status == "OK" and b"[APPENDUID " in line, line
        first = re.search(rb"\[APPENDUID \d+ (\d+)\]", line).group(1).decode()
        assert body(m, "Drafts", first) == b"Subject: wrapped\r\nX-Part: 1\r\nfirst part!!"
        typ, data = m.uid("FETCH", first, "(FLAGS)")
        assert b"\\Flagged" in data[0], data

        # MULTIAPPEND: a plain message and CATENATE ones, all or nothing.
        plain = b"Subject: plain\r\n\r\nhello\r\n"
        head = "APPEND Drafts CATENATE (TEXT {4+}\r\nA: 1 URL \"/INBOX/;UID=%s\") {%d+}\r\n" % (
            src, len(plain))
        typ, data = m.status("Drafts", "(MESSAGES)")
        before = data[0]
        raw.send("c2 " + head + plain.decode() + ' CATENATE (URL "/INBOX/;UID=999999")\r\n')
        status, line, _ = raw.wait("c2")
        assert status == "NO" and b"[BADURL /INBOX/;UID=999999]" in line, line
        assert m.status("Drafts", "(MESSAGES)")[1][0] == before
        raw.send("c3 " + head + plain.decode() + " CATENATE (TEXT {3+}\r\nend)\r\n")
        status, line, _ = raw.wait("c3")
        assert status == "OK", line
        uids = re.search(rb"\[APPENDUID \d+ (\d+):(\d+)\]", line)
        assert uids, line
        lo, hi = int(uids.group(1)), int(uids.group(2))
        assert hi - lo == 2
        assert body(m, "Drafts", lo) == b"A: 1" + SOURCE
        assert body(m, "Drafts", lo + 1) == plain
        assert body(m, "Drafts", hi) == b"end"
    finally:
        raw.close()
        m.logout()
