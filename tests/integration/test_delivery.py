"""End-to-end delivery: messages sent with smtplib and swaks (plain and STARTTLS) to the
MX port are read back with imaplib, poplib and curl, byte for byte, once our trace
headers (Return-Path, Received) are checked and removed. Also delivery latency, several
recipients and aliases."""

import re
import subprocess

import pytest

import helpers
from conftest import ALICE, BOB
from helpers import imap_login, imap_wait, literal, make_message, smtp_send, split_trace, token

SENDER = "sender@outside.test"


@pytest.fixture
def running(suite):
    suite.require("mailctl", "smtpd", "queued", "imapd", "pop3d")
    return suite


def swaks(suite, to, message, tmp_path, tls=False):
    # swaks sends the file, then CRLF.CRLF: without our final CRLF the bytes on the wire
    # are exactly `message`.
    assert message.endswith(b"\r\n")
    path = tmp_path / "message.eml"
    path.write_bytes(message[:-2])
    args = ["swaks", "--server", "127.0.0.1", "--port", str(suite.ports["smtp"]), "--from", SENDER,
            "--to", to, "--helo", "client.outside.test", "--data", str(path), "--timeout", "10"]
    if tls:
        args.append("--tls")
    r = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, f"swaks failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    assert re.search(r"<[-~] +250 2\.0\.0 Ok: queued as", r.stdout), r.stdout
    return r.stdout


def read_back_imap(suite, user, tag, sent, tls=False):
    """Checks every FETCH form against the sent bytes; returns the message's UID."""
    uids, _ = imap_wait(suite.ports["imap"], user, suite.passwords[user], tag)
    assert len(uids) == 1, uids
    uid = uids[0]
    m = imap_login(suite.ports["imap"], user, suite.passwords[user])
    try:
        typ, data = m.select("INBOX")
        assert typ == "OK", data
        # Sequence number of our UID.
        typ, data = m.uid("FETCH", str(uid), "(UID)")
        assert typ == "OK" and data and data[0], data
        seq = int(data[0].split()[0])

        typ, data = m.fetch(str(seq), "(BODY.PEEK[])")
        assert typ == "OK", data
        full = literal(data)
        assert split_trace(full, SENDER, tls=tls, rcpt=user) == sent

        typ, data = m.fetch(str(seq), "(FLAGS)")
        assert typ == "OK", data
        assert b"\\Seen" not in data[0], f"BODY.PEEK[] set \\Seen: {data}"

        typ, data = m.fetch(str(seq), "(RFC822.SIZE INTERNALDATE UID)")
        assert typ == "OK", data
        meta = data[0]
        assert re.search(rb"RFC822\.SIZE %d\b" % len(full), meta), (meta, len(full))
        assert re.search(rb'INTERNALDATE "\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}"', meta), meta
        assert re.search(rb"UID %d\b" % uid, meta), meta

        typ, data = m.fetch(str(seq), "(BODY[])")
        assert typ == "OK", data
        assert literal(data) == full
        typ, data = m.fetch(str(seq), "(FLAGS)")
        assert b"\\Seen" in b" ".join(d if isinstance(d, bytes) else d[0] for d in data), \
            f"BODY[] did not set \\Seen: {data}"

        typ, data = m.fetch(str(seq), "(BODY[HEADER])")
        assert typ == "OK", data
        header = literal(data)
        assert full.startswith(header) and header.endswith(b"\r\n\r\n"), header
        assert header == full[: full.index(b"\r\n\r\n") + 4]

        typ, data = m.uid("FETCH", str(uid), "(BODY.PEEK[])")
        assert typ == "OK", data
        assert literal(data) == full
    finally:
        m.logout()
    return uid


def read_back_pop3(suite, user, tag, sent, tls=False):
    p = helpers.pop3_login(suite.ports["pop3"], user, suite.passwords[user])
    try:
        count, size = p.stat()
        resp, listing, _ = p.list()
        assert resp.startswith(b"+OK") and len(listing) == count, (resp, listing)
        sizes = {int(n): int(s) for n, s in (line.split() for line in listing)}
        assert sum(sizes.values()) == size
        resp, uidl, _ = p.uidl()
        uids = dict(line.split() for line in uidl)
        assert len(uids) == count and len(set(uids.values())) == count, uidl
        matches = []
        for n in sizes:
            data = helpers.pop3_retr(p, n)
            if tag.encode() in data:
                matches.append((n, data))
        assert len(matches) == 1, f"{len(matches)} POP3 messages tagged {tag}"
        n, data = matches[0]
        assert sizes[n] == len(data), f"LIST size {sizes[n]} != RETR octets {len(data)}"
        assert split_trace(data, SENDER, tls=tls, rcpt=user) == sent
        single = p._shortcmd(f"UIDL {n}")
        assert single.split()[-1] == uids[str(n).encode()], single
    finally:
        p.quit()


def curl(*args):
    r = subprocess.run(["curl", "-sS", "--max-time", "15", *args], capture_output=True, timeout=30)
    assert r.returncode == 0, f"curl {args} failed ({r.returncode}): {r.stderr.decode()}"
    return r.stdout


def read_back_curl(suite, user, uid, tag, sent):
    creds = f"{user}:{suite.passwords[user]}"
    imap = f"imap://127.0.0.1:{suite.ports['imap']}"
    listing = curl("-u", creds, imap + "/")
    assert re.search(rb"\* LIST \(.*\) .* \"?INBOX\"?\r?\n", listing, re.I), listing
    body = curl("-u", creds, f"{imap}/INBOX;UID={uid}")
    assert split_trace(body, SENDER, rcpt=user) == sent

    pop3 = f"pop3://127.0.0.1:{suite.ports['pop3']}"
    listing = curl("-u", creds, pop3 + "/")
    lines = [line.split() for line in listing.decode().splitlines() if line.strip()]
    assert lines and all(len(f) == 2 and f[0].isdigit() and f[1].isdigit() for f in lines), listing
    found = 0
    for n, size in lines:
        data = curl("-u", creds, f"{pop3}/{n}")
        if tag.encode() in data:
            found += 1
            assert len(data) == int(size), (len(data), size)
            assert split_trace(data, SENDER, rcpt=user) == sent
    assert found == 1, f"curl pop3 found {found} messages tagged {tag}"


def test_smtplib_to_imap_pop3_curl(running):
    user = running.new_user("smtplib")
    tag = token()
    sent = make_message(tag, to=user)
    code, _ = smtp_send(running.ports["smtp"], SENDER, [user], sent)
    assert code == 250
    uid = read_back_imap(running, user, tag, sent)
    read_back_pop3(running, user, tag, sent)
    read_back_curl(running, user, uid, tag, sent)


def test_smtplib_to_alice(running):
    tag = token()
    sent = make_message(tag)
    smtp_send(running.ports["smtp"], SENDER, [ALICE], sent)
    read_back_imap(running, ALICE, tag, sent)


def test_swaks_plain(running, tmp_path):
    user = running.new_user("swaks")
    tag = token()
    sent = make_message(tag, to=user)
    out = swaks(running, user, sent, tmp_path)
    assert "TLS started" not in out, out
    read_back_imap(running, user, tag, sent)
    read_back_pop3(running, user, tag, sent)


def test_swaks_starttls(running, tmp_path):
    user = running.new_user("swakstls")
    tag = token()
    sent = make_message(tag, to=user)
    out = swaks(running, user, sent, tmp_path, tls=True)
    assert "TLS started" in out, out
    read_back_imap(running, user, tag, sent, tls=True)
    read_back_pop3(running, user, tag, sent, tls=True)


def test_smtplib_starttls_received_says_esmtps(running):
    tag = token()
    sent = make_message(tag)
    smtp_send(running.ports["smtp"], SENDER, [ALICE], sent, starttls=True)
    read_back_imap(running, ALICE, tag, sent, tls=True)


def test_delivery_latency(running):
    """Delivery is meant to take milliseconds: queued is nudged by smtpd, no polling."""
    tag = token()
    smtp_send(running.ports["smtp"], SENDER, [BOB], make_message(tag, to=BOB))
    uids, seconds = imap_wait(running.ports["imap"], BOB, running.passwords[BOB], tag, deadline=3.0)
    assert uids and seconds < 3.0, f"delivery took {seconds:.2f}s"


def test_two_recipients_both_get_it(running):
    tag = token()
    sent = make_message(tag, to=ALICE)
    smtp_send(running.ports["smtp"], SENDER, [ALICE, BOB], sent)
    for user in (ALICE, BOB):
        uids, _ = imap_wait(running.ports["imap"], user, running.passwords[user], tag)
        assert len(uids) == 1, f"{user} got {len(uids)} copies"
        m = imap_login(running.ports["imap"], user, running.passwords[user])
        try:
            m.select("INBOX")
            typ, data = m.uid("FETCH", str(uids[0]), "(BODY.PEEK[])")
            # Two recipients: Received has no "for <...>" clause.
            assert split_trace(literal(data), SENDER) == sent
        finally:
            m.logout()


def test_alias_delivers_to_target(running):
    target = running.new_user("aliastarget")
    alias = f"alias-{token()[:8]}@{helpers.DOMAIN}"
    running.mailctl("alias", "add", alias, target)
    tag = token()
    sent = make_message(tag, to=alias)
    smtp_send(running.ports["smtp"], SENDER, [alias], sent)
    uids, _ = imap_wait(running.ports["imap"], target, running.passwords[target], tag)
    assert len(uids) == 1
    m = imap_login(running.ports["imap"], target, running.passwords[target])
    try:
        m.select("INBOX")
        typ, data = m.uid("FETCH", str(uids[0]), "(BODY.PEEK[])")
        assert split_trace(literal(data), SENDER, rcpt=alias) == sent
    finally:
        m.logout()
