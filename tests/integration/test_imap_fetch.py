"""FETCH through real clients (imaplib, curl) over messages of known bytes
(imap_corpus.py): ENVELOPE, BODYSTRUCTURE, BODY[section]<partial>, BINARY and
BINARY.SIZE (RFC 3516), RFC822.*, \\Seen set by BODY[] but not BODY.PEEK[], items
asked twice answered once, and a large message streamed whole."""

import re
import subprocess

import pytest

import imap_corpus
from conftest import ALICE
from helpers import Imap, imap_login


@pytest.fixture
def corpus(suite):
    suite.require("mailctl", "imapd")
    user = suite.new_user("fetch")
    uids = imap_corpus.load(suite.ports["imap"], user, suite.passwords[user])
    return suite.ports["imap"], user, suite.passwords[user], uids


@pytest.fixture
def m(corpus):
    port, user, pw, _ = corpus
    client = imap_login(port, user, pw)
    typ, data = client.select("INBOX")
    assert typ == "OK", data
    yield client
    client.logout()


def fetch(m, seq, items):
    """One message's FETCH answer as (response text without literals, [literal bytes])."""
    typ, data = m.fetch(str(seq), items)
    assert typ == "OK", data
    text, literals = b"", []
    for part in data:
        if isinstance(part, tuple):
            text += part[0]
            literals.append(part[1])
        else:
            text += part
    return text.decode(), literals


def test_envelope_is_rfc9051_shape(m):
    text, _ = fetch(m, 1, "(ENVELOPE)")
    assert ('ENVELOPE ("Mon, 1 Jan 2024 10:00:00 +0000" "Hello world" '
            '(("Alice Example" NIL "alice" "example.test")) '
            '(("Alice Example" NIL "alice" "example.test")) '
            '(("Alice Example" NIL "alice" "example.test")) '
            '((NIL NIL "bob" "example.test")) NIL NIL NIL "<m1@corpus.test>")') in text, text
    text, _ = fetch(m, 2, "(ENVELOPE)")
    assert '((NIL NIL "carol" "example.test"))' in text and '"<m1@corpus.test>" "<m2@corpus.test>")' in text, text


def test_bodystructure_of_plain_and_multipart(m):
    text, _ = fetch(m, 1, "(BODYSTRUCTURE)")
    body_len = len(imap_corpus.PLAIN.split(b"\r\n\r\n", 1)[1])
    assert re.search(r'BODYSTRUCTURE \("text" "plain" \("charset" "us-ascii"\) NIL NIL "7bit" '
                     rf'{body_len} 2 ', text, re.I), text
    text, _ = fetch(m, 2, "(BODYSTRUCTURE BODY)")
    bs = re.search(r"BODYSTRUCTURE (\(.*\)) BODY ", text)
    assert bs, text
    assert re.search(r'"application" "octet-stream" \("name" "data.bin"\) NIL NIL "base64"', bs.group(1), re.I)
    assert re.search(r'"mixed" \("boundary" "XYZ"\)', bs.group(1), re.I), bs.group(1)
    assert re.search(r'\("attachment" \("filename" "data.bin"\)\)', bs.group(1), re.I), bs.group(1)
    # BODY is BODYSTRUCTURE without extension data.
    body = text[bs.end() - 1 + len(" BODY "):]
    assert "boundary" not in body.lower() and "attachment" not in body.lower(), body


def test_body_sections_and_partial(m):
    _, lits = fetch(m, 2, "(BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[HEADER.FIELDS (Subject)] BODY.PEEK[]<0.10>)")
    assert lits[0] == b"see the attachment"  # the CRLF before a boundary is the boundary's
    assert lits[1].startswith(b"Content-Type: application/octet-stream") and lits[1].endswith(b"\r\n\r\n"), lits[1]
    assert lits[2] == b"Subject: Re: Hello world\r\n\r\n"
    assert lits[3] == imap_corpus.MULTIPART[:10]
    text, lits = fetch(m, 1, "(BODY.PEEK[TEXT]<6.4> BODY.PEEK[1] BODY.PEEK[HEADER.FIELDS.NOT (From To Date Message-ID)])")
    assert "BODY[TEXT]<6>" in text, text
    assert lits[0] == b"body"
    assert lits[1] == imap_corpus.PLAIN.split(b"\r\n\r\n", 1)[1]  # part 1 of a non-multipart
    assert lits[2] == b"Subject: Hello world\r\n\r\n"
    # A part that does not exist is empty, not an error (RFC 9051 section 6.4.5).
    text, lits = fetch(m, 1, "(BODY.PEEK[5])")
    assert lits == [b""] or 'BODY[5] ""' in text or "BODY[5] NIL" in text, (text, lits)


def test_binary_decodes_transfer_encoding(m):
    text, lits = fetch(m, 2, "(BINARY.PEEK[2] BINARY.SIZE[2])")
    assert lits[0] == imap_corpus.ATTACHMENT
    assert f"BINARY.SIZE[2] {len(imap_corpus.ATTACHMENT)}" in text, text
    _, lits = fetch(m, 3, "(BINARY.PEEK[1])")
    assert lits[0] == "Wir wohnen in der Hauptstraße 5.\r\nEnde\r\n".encode()


def test_rfc822_items(m):
    text, lits = fetch(m, 3, "(RFC822.SIZE RFC822.HEADER)")
    assert f"RFC822.SIZE {len(imap_corpus.ENCODED)}" in text, text
    assert lits[0] == imap_corpus.ENCODED.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
    _, lits = fetch(m, 3, "(RFC822)")
    assert lits[0] == imap_corpus.ENCODED


def test_seen_set_by_body_not_by_peek(m):
    text, _ = fetch(m, 1, "(BODY.PEEK[] FLAGS)")
    assert "\\Seen" not in text, text
    text, _ = fetch(m, 1, "(BODY[TEXT])")
    assert "FLAGS (\\Seen)" in text, "a \\Seen set by FETCH must be reported: " + text
    text, _ = fetch(m, 1, "(FLAGS)")
    assert "\\Seen" in text, text
    text, _ = fetch(m, 2, "(FLAGS)")
    assert "\\Seen" not in text, text


def test_items_asked_twice_answered_once(corpus):
    port, user, pw, uids = corpus
    raw = Imap(port)
    try:
        assert raw.command(f'LOGIN "{user}" "{pw}"')[0] == "OK"
        assert raw.command("SELECT INBOX")[0] == "OK"
        status, _, untagged = raw.command("UID FETCH 1:* (UID FLAGS UID RFC822.SIZE RFC822.SIZE FLAGS)")
        assert status == "OK"
        fetches = [u for u in untagged if b" FETCH " in u]
        assert len(fetches) == 3, untagged
        for line in fetches:
            for item in (b"UID ", b"FLAGS ", b"RFC822.SIZE "):
                assert line.count(item) == 1, line
    finally:
        raw.close()


def test_large_message_streamed_whole(suite):
    suite.require("mailctl", "imapd")
    user = suite.new_user("bigfetch")
    port, pw = suite.ports["imap"], suite.passwords[user]
    line = b"0123456789" * 7 + b"\r\n"
    body = b"Subject: big\r\n\r\n" + line * (3 * 1024 * 1024 // len(line))
    m = imap_login(port, user, pw)
    try:
        assert m.append("INBOX", None, None, body)[0] == "OK"
        m.select("INBOX")
        _, lits = fetch(m, 1, "(BODY.PEEK[] BODY.PEEK[TEXT]<1000000.5000>)")
        assert lits[0] == body
        text_start = body.index(b"\r\n\r\n") + 4
        assert lits[1] == body[text_start + 1000000:text_start + 1005000]
    finally:
        m.logout()


def test_curl_fetches_message_and_section(corpus):
    """curl's IMAP client: a URL with UID fetches BODY[] (and ;SECTION= a part)."""
    port, user, pw, uids = corpus
    url = f"imap://127.0.0.1:{port}/INBOX;UID={uids[1]}"
    r = subprocess.run(["curl", "-sS", "--max-time", "20", "-u", f"{user}:{pw}", url],
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout == imap_corpus.MULTIPART
    r = subprocess.run(["curl", "-sS", "--max-time", "20", "-u", f"{user}:{pw}", url + ";SECTION=1"],
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"see the attachment"


def test_fetch_before_select_is_refused(suite):
    suite.require("mailctl", "imapd")
    raw = Imap(suite.ports["imap"])
    try:
        assert raw.command(f'LOGIN "{ALICE}" "{suite.passwords[ALICE]}"')[0] == "OK"
        status, line, _ = raw.command("FETCH 1 (ENVELOPE)")
        assert status == "BAD", line
    finally:
        raw.close()
