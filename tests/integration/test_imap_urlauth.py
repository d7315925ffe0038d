"""URLAUTH (RFC 4467) and URLAUTH=BINARY (RFC 5524) with Python's imaplib (xatom sends
GENURLAUTH, RESETKEY and URLFETCH): one user authorizes a part of a message, another user
of the same server fetches it (plain, BINARY, BODYPARTSTRUCTURE), RESETKEY revokes it, a
forged token and a user+ URL for someone else get NIL, and one URLFETCH takes many URLs."""

import imaplib

import pytest

from helpers import imap_login

# imaplib's xatom registers an unknown command for the state it is first sent in only.
for _name in ("GENURLAUTH", "RESETKEY", "URLFETCH"):
    imaplib.Commands[_name] = ("AUTH", "SELECTED")

MESSAGE = (b"From: a@example.test\r\nSubject: urlauth\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
           b"Content-Type: text/plain\r\n\r\nfirst part\r\n--b\r\n"
           b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           b"AAEC/w==\r\n--b--\r\n")


def command(m, name, *args):
    """Runs an IMAP command imaplib does not know; returns (tagged status, untagged data)."""
    typ, _ = m.xatom(name, *args)
    _, data = m._untagged_response(typ, [None], name)
    return typ, [d for d in data if d is not None]


def urlfetch(m, *args):
    """URLFETCH's answers as [(url, literal bytes or None)], in order."""
    typ, data = command(m, "URLFETCH", *args)
    assert typ == "OK", data
    out = []
    for d in data:
        if isinstance(d, tuple):  # '"url" {n}' or '"url" (... {n}', the literal
            out.append((d[0].split(b'"')[1].decode(), d[1]))
        elif d and d.startswith(b'"') and d.endswith(b"NIL"):
            out.append((d.split(b'"')[1].decode(), None))
    return out


@pytest.fixture
def two_users(suite):
    alice, bob = suite.new_user("ua"), suite.new_user("ub")
    a = imap_login(suite.ports["imap"], alice, suite.passwords[alice])
    b = imap_login(suite.ports["imap"], bob, suite.passwords[bob])
    typ, _ = a.append("INBOX", None, None, MESSAGE)
    assert typ == "OK"
    a.select("INBOX")
    typ, data = a.uid("SEARCH", "ALL")
    uid = int(data[0].split()[-1])
    yield alice, a, bob, b, uid
    for m in (a, b):
        m.logout()


def genurlauth(m, rump):
    typ, data = command(m, "GENURLAUTH", f'"{rump}"', "INTERNAL")
    assert typ == "OK", data
    url = data[0].decode().strip('"')
    assert url.startswith(rump + ":INTERNAL:"), url
    return url


def test_capabilities_after_login(two_users):
    _, a, _, _, _ = two_users
    typ, data = a.capability()  # imaplib keeps the greeting's list; ask again after login
    assert typ == "OK"
    words = data[0].decode().upper().split()
    assert "URLAUTH" in words and "URLAUTH=BINARY" in words, words


def test_another_user_fetches_then_resetkey_revokes(two_users):
    alice, a, bob, b, uid = two_users
    local, domain = alice.split("@")
    base = f"imap://{local}@{domain}/INBOX/;UID={uid}"
    for_bob = genurlauth(a, f"{base}/;SECTION=1;URLAUTH=user+{bob}")
    anyone = genurlauth(a, f"{base}/;SECTION=2;URLAUTH=authuser")
    assert urlfetch(b, f'"{for_bob}"', f'"{anyone}"') == [(for_bob, b"first part"),
                                                            (anyone, b"AAEC/w==")]
    # user+bob is bob's only: alice herself gets NIL; a forged token too.
    forged = for_bob[:-1] + ("0" if for_bob[-1] != "0" else "1")
    assert urlfetch(a, f'"{for_bob}"', f'"{forged}"') == [(for_bob, None), (forged, None)]
    # URLAUTH=BINARY: the decoded octets and the part's structure.
    typ, data = command(b, "URLFETCH", f'("{anyone}" BINARY BODYPARTSTRUCTURE)')
    assert typ == "OK", data
    head, literal = data[0]
    assert literal == b"\x00\x01\x02\xff"
    assert b'BODYPARTSTRUCTURE ("application" "octet-stream" NIL NIL NIL "base64" 4 ' in head, head
    assert b"BINARY ~{4}" in head, head  # literal8: the data holds NUL
    typ, _ = a.xatom("RESETKEY", "INBOX")
    assert typ == "OK"
    assert urlfetch(b, f'"{for_bob}"', f'"{anyone}"') == [(for_bob, None), (anyone, None)]


def test_urlfetch_many_urls_in_one_command(two_users):
    """60 URLs fit the suite's 8 KiB command line; the cap itself (imapd.max_urlfetch_urls,
    BAD past it) is tested at its edge in imapd_commands_test UrlauthLimits."""
    alice, a, _, _, uid = two_users
    local, domain = alice.split("@")
    url = genurlauth(a, f"imap://{local}@{domain}/INBOX/;UID={uid};URLAUTH=authuser")
    got = urlfetch(a, *([f'"{url}"'] * 60))
    assert got == [(url, MESSAGE)] * 60
