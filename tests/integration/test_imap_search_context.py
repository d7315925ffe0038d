"""RFC 5267 CONTEXT=SEARCH and CONTEXT=SORT through Python's imaplib: RETURN (PARTIAL) paging
and RETURN (UPDATE) contexts that follow another session's flag changes, APPENDs and
expunges (ESEARCH ADDTO / REMOVEFROM), ended by CANCELUPDATE. The corpus mailbox holds
imap_corpus.py's 3 messages."""

import imaplib
import re

import helpers
import imap_corpus  # noqa: F401  (the corpus fixture loads it)

# imaplib knows no CANCELUPDATE; it sends any command it has a state entry for.
imaplib.Commands.setdefault("CANCELUPDATE", ("SELECTED",))


def esearch(client):
    """The ESEARCH responses imaplib collected since the last call, as strings."""
    typ, data = client.response("ESEARCH")
    return [d.decode() for d in (data or []) if d is not None]


def command(client, name, *args):
    typ, data = client._simple_command(name, *args)
    return typ, data


def tag_of(line):
    return re.match(r'\(TAG "([^"]+)"\)', line).group(1)


def test_capabilities(inbox):
    caps = set(inbox.capability()[1][0].decode().upper().split())
    assert {"CONTEXT=SEARCH", "CONTEXT=SORT", "ESORT", "ESEARCH"} <= caps, caps


def test_partial_pages(inbox):
    typ, _ = command(inbox, "SEARCH", "RETURN", "(PARTIAL 3:2 COUNT)", "ALL")
    assert typ == "OK"
    [line] = esearch(inbox)
    assert line.endswith(" PARTIAL (2:3 2:3) COUNT 3"), line
    command(inbox, "SEARCH", "RETURN", "(PARTIAL 4:9)", "ALL")
    assert esearch(inbox)[0].endswith(" PARTIAL (4:9 NIL)")
    command(inbox, "SORT", "RETURN", "(PARTIAL 1:2)", "(ARRIVAL)", "UTF-8", "ALL")
    assert esearch(inbox)[0].endswith(" PARTIAL (1:2 3,1)")  # arrival order is 3 1 2
    for bad in ("(PARTIAL 1)", "(PARTIAL 1:*)", "(PARTIAL *:1)"):
        try:
            typ, _ = command(inbox, "SEARCH", "RETURN", bad, "ALL")
        except inbox.error:
            typ = "BAD"
        assert typ == "BAD", bad


def test_update_follows_another_session(corpus, inbox):
    port, user, pw, uids = corpus
    other = helpers.imap_login(port, user, pw)
    try:
        assert other.select("INBOX")[0] == "OK"
        assert command(inbox, "UID", "SEARCH", "RETURN", "(UPDATE ALL)", "SEEN")[0] == "OK"
        [first] = esearch(inbox)
        tag = tag_of(first)
        assert first == f'(TAG "{tag}") UID', first  # nothing seen yet

        assert other.store("1,3", "+FLAGS", r"(\Seen)")[0] == "OK"
        assert inbox.noop()[0] == "OK"
        assert esearch(inbox) == [f'(TAG "{tag}") UID ADDTO (0 {uids[0]},{uids[2]})']

        assert other.store("1", "-FLAGS", r"(\Seen)")[0] == "OK"
        assert inbox.noop()[0] == "OK"
        assert esearch(inbox) == [f'(TAG "{tag}") UID REMOVEFROM (0 {uids[0]})']

        # A new seen message joins; an expunged one leaves.
        msg = b"From: a@example.test\r\nSubject: new\r\n\r\nhi\r\n"
        assert other.append("INBOX", r"(\Seen)", None, msg)[0] == "OK"
        assert inbox.noop()[0] == "OK"
        [added] = esearch(inbox)
        assert added.startswith(f'(TAG "{tag}") UID ADDTO (0 '), added
        assert other.store("3", "+FLAGS", r"(\Deleted)")[0] == "OK"
        assert other.expunge()[0] == "OK"
        assert inbox.noop()[0] == "OK"
        assert esearch(inbox) == [f'(TAG "{tag}") UID REMOVEFROM (0 {uids[2]})']

        assert command(inbox, "CANCELUPDATE", f'"{tag}"')[0] == "OK"
        assert other.store("1", "+FLAGS", r"(\Seen)")[0] == "OK"
        assert inbox.noop()[0] == "OK"
        assert esearch(inbox) == []
    finally:
        other.logout()
