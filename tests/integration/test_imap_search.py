"""SEARCH, ESEARCH (RFC 4731), SORT and THREAD (RFC 5256) through real clients (imaplib,
curl) over the known messages of imap_corpus.py: 1 plain "Hello world" (sent 1 Jan 2024,
arrived 5 Jan), 2 multipart "Re: Hello world" (2 Jan 2024, arrived 6 Jan, a reply to 1),
3 quoted-printable with an encoded subject "Grüße aus Berlin" (3 Dec 2023, arrived 4 Dec)."""

import subprocess

import pytest

import imap_corpus
from helpers import Imap, imap_login


@pytest.fixture
def corpus(suite):
    suite.require("mailctl", "imapd")
    user = suite.new_user("search")
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


def search(m, *keys, charset=None):
    typ, data = m.search(charset, *keys)
    assert typ == "OK", (keys, data)
    return [int(n) for n in data[0].split()]


@pytest.mark.parametrize("keys,expected", [
    (("ALL",), [1, 2, 3]),
    (("SUBJECT", '"hello"'), [1, 2]),
    (("SUBJECT", "berlin"), [3]),  # matched on the decoded RFC 2047 subject
    (("FROM", "alice"), [1]),
    (("TO", "alice"), [2, 3]),
    (("CC", "carol"), [2]),
    (("HEADER", "In-Reply-To", "m1@corpus"), [2]),
    (("HEADER", "Content-Transfer-Encoding", '""'), [3]),  # the field exists
    (("BODY", "lazy"), [1]),
    (("BODY", "attachment"), [2]),
    (("TEXT", "m1@corpus.test"), [1, 2]),  # header or body
    (("BODY", "m1@corpus.test"), []),
    (("SENTBEFORE", "1-Jan-2024"), [3]),
    (("SENTON", "2-Jan-2024"), [2]),
    (("SENTSINCE", "1-Jan-2024"), [1, 2]),
    (("BEFORE", "5-Jan-2024"), [3]),
    (("ON", "5-Jan-2024"), [1]),
    (("SINCE", "6-Jan-2024"), [2]),
    (("LARGER", str(len(imap_corpus.PLAIN))), [2, 3]),
    (("SMALLER", str(len(imap_corpus.PLAIN) + 1)), [1]),
    (("OR", "SUBJECT", "berlin", "FROM", "bob"), [2, 3]),
    (("NOT", "SUBJECT", "hello"), [3]),
    (("2:3", "NOT", "BODY", "lazy"), [2, 3]),
    (("(OR 1 3)", "UNSEEN"), [1, 3]),
    (("UID", "2:*"), [2, 3]),
    (("UNSEEN", "UNFLAGGED", "UNDELETED", "UNANSWERED", "UNDRAFT"), [1, 2, 3]),
    (("SEEN",), []),
])
def test_search_keys(m, keys, expected):
    assert search(m, *keys) == expected


def test_search_flags_and_keywords(m):
    assert m.store("2", "+FLAGS", r"(\Flagged $Important)")[0] == "OK"
    assert m.store("3", "+FLAGS", r"(\Seen)")[0] == "OK"
    assert search(m, "FLAGGED") == [2]
    assert search(m, "KEYWORD", "$important") == [2]  # keywords compare case-insensitively
    assert search(m, "UNKEYWORD", "$Important") == [1, 3]
    assert search(m, "SEEN") == [3]
    assert search(m, "OR", "FLAGGED", "SEEN") == [2, 3]
    typ, data = m.uid("SEARCH", None, "FLAGGED")
    assert typ == "OK" and data[0].split() == [b"2"], data


def test_search_utf8_charset_literal(m):
    """Non-ASCII search strings go as a literal with CHARSET UTF-8 (imaplib's m.literal)."""
    m.literal = "grüße".encode()
    assert search(m, "SUBJECT", charset="UTF-8") == [3]
    m.literal = "hauptstraße".encode()  # in a quoted-printable body
    assert search(m, "BODY", charset="UTF-8") == [3]
    m.literal = "JÜRGEN".encode()
    assert search(m, "FROM", charset="UTF-8") == [3]


def test_unknown_charset_is_badcharset(m):
    typ, data = m._simple_command("SEARCH", "CHARSET", "X-NOSUCH", "ALL")
    assert typ == "NO" and data[0].startswith(b"[BADCHARSET (US-ASCII UTF-8)]"), (typ, data)
    with pytest.raises(m.error):
        m.search(None, "NOSUCHKEY")


def test_esearch_return_options(corpus):
    port, user, pw, uids = corpus
    raw = Imap(port)
    try:
        assert raw.command(f'LOGIN "{user}" "{pw}"')[0] == "OK"
        assert raw.command("SELECT INBOX")[0] == "OK"
        status, _, untagged = raw.command("SEARCH RETURN (MIN MAX COUNT ALL) SUBJECT hello")
        assert status == "OK"
        assert len(untagged) == 1 and untagged[0].startswith(b'* ESEARCH (TAG "t3") '), untagged
        # RFC 4731 section 3.1: the data items come in any order.
        items = untagged[0][len(b'* ESEARCH (TAG "t3") '):].split()
        assert dict(zip(items[::2], items[1::2])) == {b"MIN": b"1", b"MAX": b"2", b"COUNT": b"2",
                                                      b"ALL": b"1:2"}, untagged
        status, _, untagged = raw.command("UID SEARCH RETURN () 1:*")
        assert untagged == [f'* ESEARCH (TAG "t4") UID ALL {uids[0]}:{uids[2]}'.encode()], untagged
        status, _, untagged = raw.command("SEARCH RETURN (COUNT) SUBJECT nothing-like-this")
        assert untagged == [b'* ESEARCH (TAG "t5") COUNT 0'], untagged
        # RFC 5182: SAVE, then "$" in a later command.
        status, _, untagged = raw.command("SEARCH RETURN (SAVE) OR 1 3")
        assert status == "OK" and untagged == [], untagged
        status, _, untagged = raw.command("FETCH $ (UID)")
        assert status == "OK" and len([u for u in untagged if b"FETCH" in u]) == 2, untagged
    finally:
        raw.close()


def test_sort(m):
    def sort(criteria, *keys):
        typ, data = m.sort(criteria, "UTF-8", *keys)
        assert typ == "OK", data
        return [int(n) for n in data[0].split()]

    assert sort("(DATE)", "ALL") == [3, 1, 2]
    assert sort("(REVERSE DATE)", "ALL") == [2, 1, 3]
    assert sort("(ARRIVAL)", "ALL") == [3, 1, 2]
    assert sort("(SUBJECT)", "ALL") == [3, 1, 2]  # "grüße..." < "hello world" = "hello world"
    assert sort("(FROM)", "ALL") == [1, 2, 3]  # alice < bob < juergen
    assert sort("(REVERSE SIZE)", "ALL")[0] == 2
    assert sort("(SUBJECT)", "SUBJECT", "hello") == [1, 2]
    typ, data = m.uid("SORT", "(REVERSE ARRIVAL)", "UTF-8", "ALL")
    assert typ == "OK" and len(data[0].split()) == 3, data


def test_thread(m):
    typ, data = m.thread("REFERENCES", "UTF-8", "ALL")
    assert typ == "OK", data
    assert data[0] == b"(3)(1 2)", data
    typ, data = m.thread("ORDEREDSUBJECT", "UTF-8", "ALL")
    assert typ == "OK", data
    assert data[0] == b"(3)(1 2)", data
    typ, data = m.thread("REFERENCES", "UTF-8", "SUBJECT", "hello")
    assert data[0] == b"(1 2)", data


def test_capabilities_after_login(m):
    typ, data = m.capability()
    caps = set(data[0].decode().upper().split())
    for cap in ("ESEARCH", "SEARCHRES", "BINARY", "SORT", "THREAD=REFERENCES", "THREAD=ORDEREDSUBJECT"):
        assert cap in caps, caps


def test_curl_search_and_custom_sort(corpus):
    """curl's IMAP client: a URL query is a SEARCH; -X sends any command (here SORT)."""
    port, user, pw, uids = corpus
    base = ["curl", "-sS", "--max-time", "20", "-u", f"{user}:{pw}"]
    r = subprocess.run(base + [f"imap://127.0.0.1:{port}/INBOX?SUBJECT%20hello"],
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == b"* SEARCH 1 2", r.stdout
    r = subprocess.run(base + ["-X", "UID SORT (REVERSE DATE) UTF-8 ALL", f"imap://127.0.0.1:{port}/INBOX"],
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"* SORT {uids[1]} {uids[0]} {uids[2]}".encode(), r.stdout
