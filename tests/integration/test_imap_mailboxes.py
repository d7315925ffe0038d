"""Mailboxes, session extensions and APPEND through real clients against the real imapd:
imaplib (CREATE/DELETE/RENAME/SUBSCRIBE, LIST, STATUS, ENABLE, ID, QUOTA, APPEND), raw
sockets for what imaplib cannot say (LIST-EXTENDED, MULTIAPPEND, COMPRESS=DEFLATE over
TLS), curl imap:// (LIST, CREATE, APPEND with -T) and mbsync (folders created on the
server from a Maildir, names in modified UTF-7)."""

import re
import shutil
import socket
import ssl
import subprocess
import zlib

import pytest

import helpers
from helpers import Imap, imap_login, make_message, unverified_context


@pytest.fixture
def account(suite):
    suite.require("mailctl", "imapd")
    user = suite.new_user("box")
    return user, suite.passwords[user]


def names(m, pattern="*"):
    typ, data = m.list('""', pattern)
    assert typ == "OK", data
    out = {}
    for line in data:
        if line is None:
            continue
        found = re.match(rb'\(([^)]*)\) "/" (.*)$', line)
        assert found, line
        name = found.group(2)
        if name.startswith(b'"'):
            name = name[1:-1]
        out[name.decode()] = set(found.group(1).decode().split())
    return out


def test_capabilities_after_login(suite, account):
    user, pw = account
    m = imap_login(suite.ports["imap"], user, pw)
    try:
        # imaplib keeps the greeting's list; ask again (the list grows after login).
        typ, data = m.capability()
        assert typ == "OK", data
        caps = set(data[0].decode().upper().split())
        for word in ("IMAP4REV1", "ENABLE", "ID", "NAMESPACE", "LIST-EXTENDED", "LIST-STATUS",
                     "SPECIAL-USE", "CREATE-SPECIAL-USE", "MULTIAPPEND", "STATUS=SIZE", "QUOTA",
                     "QUOTA=RES-STORAGE", "QUOTA=RES-MESSAGE", "UTF8=ACCEPT", "COMPRESS=DEFLATE",
                     "LITERAL+", "CHILDREN"):
            assert word in caps, (word, caps)
        typ, data = m.xatom("ID", '("name" "pytest-imaplib" "version" "1")')
        assert typ == "OK", data
        assert b"mailsuite" in m.untagged_responses["ID"][0]
        typ, data = m.namespace()
        assert typ == "OK" and data[0] == b'(("" "/")) NIL NIL', data
    finally:
        m.logout()


def test_mailbox_lifecycle(suite, account):
    user, pw = account
    m = imap_login(suite.ports["imap"], user, pw)
    try:
        assert m.create("Projects/2024/Q1")[0] == "OK"
        assert m.create("Entw&APw-rfe")[0] == "OK"  # "Entwürfe" in modified UTF-7
        have = names(m)
        assert {"Projects", "Projects/2024", "Projects/2024/Q1", "Entw&APw-rfe"} <= set(have), have
        assert "\\HasChildren" in have["Projects"] and "\\HasNoChildren" in have["Projects/2024/Q1"]
        assert "\\Sent" in have["Sent"] and "\\Trash" in have["Trash"]
        typ, data = m.create("Projects")
        assert typ == "NO" and b"[ALREADYEXISTS]" in data[0], data

        typ, data = m.append("Projects/2024/Q1", "(\\Seen)", None, make_message("kept", to=user))
        assert typ == "OK" and b"[APPENDUID " in data[0], data
        assert m.rename("Projects", "Done")[0] == "OK"
        have = names(m)
        assert "Projects" not in have and "Done/2024/Q1" in have, have
        typ, data = m.status("Done/2024/Q1", "(MESSAGES UNSEEN SIZE UIDVALIDITY UIDNEXT DELETED)")
        assert typ == "OK", data
        assert re.search(rb"MESSAGES 1 UNSEEN 0 SIZE \d+ UIDVALIDITY \d+ UIDNEXT 2 DELETED 0", data[0]), data

        assert m.subscribe("Done/2024/Q1")[0] == "OK"
        typ, data = m.lsub('""', "Done/*")
        assert typ == "OK" and data == [b'() "/" Done/2024/Q1'], data
        assert m.unsubscribe("Done/2024/Q1")[0] == "OK"

        # DELETE of a mailbox with inferiors leaves its name, \Noselect.
        assert m.delete("Done")[0] == "OK"
        have = names(m, "Done*")
        assert "\\Noselect" in have["Done"] and "Done/2024/Q1" in have, have
        typ, data = m.delete("INBOX")
        assert typ == "NO", data
        typ, data = m.select("Entw&APw-rfe")
        assert typ == "OK", data
    finally:
        m.logout()


def test_utf8_accept(suite, account):
    user, pw = account
    m = imap_login(suite.ports["imap"], user, pw)
    try:
        assert m.create("Entw&APw-rfe")[0] == "OK"
        typ, data = m.enable("UTF8=ACCEPT")
        assert typ == "OK" and m.untagged_responses.get("ENABLED") == [b"UTF8=ACCEPT"], (typ, data)
        have = names(m, "Entw*")
        assert "Entwürfe" in have, have  # now in UTF-8
        assert m.create('"Brief\u00e4nderungen"')[0] == "OK"
        typ, data = m.status('"Brief\u00e4nderungen"', "(MESSAGES)")
        assert typ == "OK", data
    finally:
        m.logout()
    # A rev1 client sees the same names in modified UTF-7.
    m = imap_login(suite.ports["imap"], user, pw)
    try:
        assert "Brief&AOQ-nderungen" in names(m, "Brief*")
    finally:
        m.logout()


def test_list_extended_and_status(suite, account):
    user, pw = account
    raw = Imap(suite.ports["imap"])
    try:
        assert raw.command(f'LOGIN "{user}" "{pw}"')[0] == "OK"
        for name in ("t/a", "t/b/c", "t/d"):
            assert raw.command(f"CREATE {name}")[0] == "OK"
        assert raw.command("SUBSCRIBE t/b/c")[0] == "OK"
        status, _, untagged = raw.command('LIST (SUBSCRIBED RECURSIVEMATCH) "" t/% RETURN (CHILDREN)')
        assert status == "OK"
        assert untagged == [b'* LIST (\\HasChildren) "/" t/b ("CHILDINFO" ("SUBSCRIBED"))'], untagged
        status, _, untagged = raw.command('LIST "" (t/a t/d) RETURN (STATUS (MESSAGES UIDNEXT))')
        assert status == "OK"
        assert untagged == [b'* LIST () "/" t/a', b"* STATUS t/a (MESSAGES 0 UIDNEXT 1)",
                            b'* LIST () "/" t/d', b"* STATUS t/d (MESSAGES 0 UIDNEXT 1)"], untagged
        status, _, untagged = raw.command('LIST (SPECIAL-USE) "" *')
        assert sorted(untagged) == sorted([b'* LIST (\\Archive) "/" Archive', b'* LIST (\\Drafts) "/" Drafts',
                                           b'* LIST (\\Junk) "/" Junk', b'* LIST (\\Sent) "/" Sent',
                                           b'* LIST (\\Trash) "/" Trash']), untagged
        status, _, _ = raw.command('LIST (FROB) "" *')
        assert status == "BAD"
        status, tagged, _ = raw.command("CREATE Outgoing (USE (\\Sent))")
        assert status == "OK", tagged
        status, _, untagged = raw.command('LIST "" Outgoing')
        assert untagged == [b'* LIST (\\HasNoChildren \\Sent) "/" Outgoing'], untagged
    finally:
        raw.close()


def test_multiappend_all_or_nothing(suite, account):
    user, pw = account
    suite.mailctl("quota", "set", user, "--messages", "3")
    raw = Imap(suite.ports["imap"])
    try:
        assert raw.command(f'LOGIN "{user}" "{pw}"')[0] == "OK"
        msgs = [make_message(f"multi{i}", to=user) for i in range(3)]
        # LITERAL+ literals inline: "APPEND INBOX (\Seen) {n+}\r\n<m1> (\Seen) {n+}\r\n<m2>".
        data = b"APPEND INBOX"
        for x in msgs[:2]:
            data += b" (\\Seen) {%d+}\r\n" % len(x) + x
        raw.n += 1
        raw.sock.sendall(b"t%d " % raw.n + data + b"\r\n")
        status, tagged, _ = raw.wait(f"t{raw.n}")
        assert status == "OK" and re.search(rb"\[APPENDUID \d+ 1:2\]", tagged), tagged
        # Two more would go over the 3-message quota: neither is stored.
        data = b"APPEND INBOX"
        for x in msgs[1:]:
            data += b" {%d+}\r\n" % len(x) + x
        raw.n += 1
        raw.sock.sendall(b"t%d " % raw.n + data + b"\r\n")
        status, tagged, _ = raw.wait(f"t{raw.n}")
        assert status == "NO" and b"[OVERQUOTA]" in tagged, tagged
        status, _, untagged = raw.command("STATUS INBOX (MESSAGES)")
        assert untagged == [b"* STATUS INBOX (MESSAGES 2)"], untagged
        status, _, untagged = raw.command("GETQUOTAROOT INBOX")
        assert untagged == [b'* QUOTAROOT INBOX ""', b'* QUOTA "" (MESSAGE 2 3)'], untagged
    finally:
        raw.close()


def test_quota_with_imaplib(suite, account):
    user, pw = account
    suite.mailctl("quota", "set", user, "--storage", "10K", "--messages", "100")
    m = imap_login(suite.ports["imap"], user, pw)
    try:
        typ, data = m.getquotaroot("INBOX")
        assert typ == "OK", data
        assert data == [[b'INBOX ""'], [b'"" (STORAGE 0 10 MESSAGE 0 100)']], data
        big = make_message("big", to=user, body_lines=200)  # over 10 KiB
        assert len(big) > 10 * 1024
        typ, data = m.append("INBOX", None, None, big)
        assert typ == "NO" and b"[OVERQUOTA]" in data[0], data
        typ, data = m.append("INBOX", None, None, make_message("small", to=user))
        assert typ == "OK", data
        typ, data = m.getquota('""')
        assert typ == "OK" and re.match(rb'"" \(STORAGE 1 10 MESSAGE 1 100\)', data[0]), data
        typ, data = m.setquota('""', "(STORAGE 99999)")
        assert typ == "NO", data
        typ, data = m.append("Nowhere", None, None, make_message("x", to=user))
        assert typ == "NO" and b"[TRYCREATE]" in data[0], data
    finally:
        m.logout()


class CompressedImap:
    """IMAPS with COMPRESS=DEFLATE: zlib raw DEFLATE both ways, as a client does it."""

    def __init__(self, port):
        raw = socket.create_connection(("127.0.0.1", port), timeout=helpers.TIMEOUT)
        self.sock = unverified_context().wrap_socket(raw, server_hostname="localhost")
        self.buf = b""
        self.out = None
        self.inflater = None
        self.readline()  # greeting

    def readline(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            assert chunk, "connection closed"
            self.buf += self.inflater.decompress(chunk) if self.inflater else chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def send(self, text):
        data = f"{text}\r\n".encode()
        if self.out:
            data = self.out.compress(data) + self.out.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

    def command(self, tag, text):
        self.send(f"{tag} {text}")
        lines = []
        while True:
            line = self.readline()
            lines.append(line)
            if line.startswith(tag.encode() + b" "):
                return lines

    def start_compression(self):
        self.out = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.inflater = zlib.decompressobj(-15)
        assert not self.buf, "nothing may follow the OK before compression starts"


def test_compress_over_tls(suite, account):
    user, pw = account
    for i in range(5):
        assert imap_login(suite.ports["imap"], user, pw).append(
            "INBOX", None, None, make_message(f"z{i}", to=user, body_lines=50))[0] == "OK"
    c = CompressedImap(suite.ports["imaps"])
    try:
        assert c.command("a", f'LOGIN "{user}" "{pw}"')[-1].startswith(b"a OK")
        assert c.command("b", "COMPRESS DEFLATE")[-1] == b"b OK DEFLATE active"
        c.start_compression()
        lines = c.command("c", "SELECT INBOX")
        assert b"* 5 EXISTS" in lines and lines[-1].startswith(b"c OK"), lines
        lines = c.command("d", "FETCH 1:5 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert lines[-1].startswith(b"d OK"), lines
        assert sum(1 for line in lines if b"Subject: test z" in line) == 5, lines
        assert c.command("e", "COMPRESS DEFLATE")[-1].startswith(b"e NO [COMPRESSIONACTIVE]")
        # IDLE writes (deflated, above TLS) while its read of DONE waits: a delivery from
        # another session is pushed through the compressed stream.
        c.send("i IDLE")
        assert c.readline().startswith(b"+ "), "no IDLE continuation"
        assert imap_login(suite.ports["imap"], user, pw).append(
            "INBOX", None, None, make_message("z5", to=user))[0] == "OK"
        assert c.readline() == b"* 6 EXISTS"
        assert c.readline() == b"* 6 RECENT"  # this session's (RFC 3501 2.3.2)
        c.send("DONE")
        assert c.readline().startswith(b"i OK"), "IDLE not ended"
        assert c.command("f", "LOGOUT")[-1].startswith(b"f OK")
    finally:
        c.sock.close()


def curl(*args):
    if shutil.which("curl") is None:
        pytest.fail("curl is not installed (scripts/install-deps.sh installs it)")
    r = subprocess.run(["curl", "-sS", "--max-time", "20", *args], capture_output=True, timeout=30)
    assert r.returncode == 0, (args, r.returncode, r.stdout, r.stderr)
    return r.stdout


def test_curl_list_create_append(suite, account, tmp_path):
    user, pw = account
    base = f"imap://127.0.0.1:{suite.ports['imap']}"
    auth = ["-u", f"{user}:{pw}"]
    curl(f"{base}/", *auth, "-X", "CREATE Curl/Box")
    listing = curl(f"{base}/", *auth)
    assert b'* LIST (\\HasChildren) "/" Curl' in listing, listing
    assert b'* LIST (\\HasNoChildren) "/" Curl/Box' in listing, listing
    message = tmp_path / "msg.eml"
    message.write_bytes(make_message("via-curl", to=user))
    curl("-T", str(message), f"{base}/Curl%2FBox", *auth)
    status = curl(f"{base}/", *auth, "-X", "STATUS Curl/Box (MESSAGES SIZE)")
    assert re.search(rb"\* STATUS Curl/Box \(MESSAGES 1 SIZE \d+\)", status), status
    fetched = curl(f"{base}/Curl%2FBox;UID=1", *auth)
    assert b"Subject: test via-curl" in fetched, fetched


def test_mbsync_creates_folders_on_the_server(suite, account, tmp_path):
    if shutil.which("mbsync") is None:
        pytest.fail("mbsync is not installed (scripts/install-deps.sh installs it)")
    user, pw = account
    rc, maildir = helpers.write_mbsyncrc(tmp_path, suite, user, "STARTTLS", "*")
    # mbsync 1.4 sends Maildir folder names as they are (no modified UTF-7), so a name with
    # 8-bit characters gets NO, from Dovecot too; ASCII names only here.
    for folder in ("INBOX", "Projekte/Entwurf", "Reports"):
        for sub in ("cur", "new", "tmp"):
            (maildir / folder / sub).mkdir(parents=True, exist_ok=True)
    (maildir / "Projekte" / "Entwurf" / "new" / "1.local").write_bytes(
        f"From: me@{helpers.DOMAIN}\nSubject: test draft-upload\n\nlocal draft\n".encode())
    r = subprocess.run(["mbsync", "-c", str(rc), "test"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    m = imap_login(suite.ports["imap"], user, pw)
    try:
        have = names(m)
        assert "Projekte/Entwurf" in have and "Reports" in have, have
        typ, data = m.select("Projekte/Entwurf")
        assert typ == "OK" and data == [b"1"], data
    finally:
        m.logout()
    # And the server's own folders came the other way.
    for folder in ("Sent", "Drafts", "Trash"):
        assert (maildir / folder).is_dir(), folder
