"""Helpers shared by the integration tests: raw protocol clients that show the exact
replies (which smtplib/imaplib/poplib hide), message builders, and the check that a
message read back equals what was sent once our trace headers are removed.

Trusts the servers under test for nothing: every read has a timeout and a size bound.
"""

import imaplib
import poplib
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import time
import uuid

import pytest

DOMAIN = "example.test"
HOSTNAME = "mail.example.test"  # server.hostname in the test config
TIMEOUT = 10.0


def unverified_context():
    """A client TLS context that accepts our self-signed test certificate."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def token():
    return uuid.uuid4().hex[:16]


def make_message(tag, sender="sender@outside.test", to="alice@" + DOMAIN, body_lines=3):
    """An RFC 5322 message with CRLF line endings, ending in CRLF, identified by `tag`
    (in Subject and Message-ID). Includes a line starting with '.' to check dot-stuffing
    both ways."""
    lines = [
        f"From: Sender <{sender}>",
        f"To: <{to}>",
        f"Subject: test {tag}",
        f"Message-ID: <{tag}@outside.test>",
        "Date: Mon, 01 Jan 2024 00:00:00 +0000",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        f"Hello, this is message {tag}.",
        ".a line that starts with a dot",
        "..and one with two dots",
    ]
    lines += [f"body line {i} " + "x" * 40 for i in range(body_lines)]
    return ("\r\n".join(lines) + "\r\n").encode()


def split_trace(data, sender, tls=False, rcpt=None):
    """Checks and removes our trace headers at the top of a delivered message:
    `Return-Path: <sender>` then our folded `Received:` header (continuation lines start
    with a tab). Returns the rest, which must equal the bytes sent."""
    first, sep, rest = data.partition(b"\r\n")
    assert sep, f"no CRLF in delivered message: {data[:200]!r}"
    assert first == f"Return-Path: <{sender}>".encode(), f"bad Return-Path line: {first!r}"
    assert rest.startswith(b"Received: "), f"no Received header after Return-Path: {rest[:200]!r}"
    lines = rest.split(b"\r\n")
    received = [lines[0]]
    i = 1
    while i < len(lines) and lines[i].startswith(b"\t"):
        received.append(lines[i])
        i += 1
    assert len(received) > 1, f"Received header not folded over several lines: {received!r}"
    text = b" ".join(r.strip() for r in received).decode()
    assert f"by {HOSTNAME} " in text, f"Received does not name our hostname: {text}"
    proto = "ESMTPS" if tls else "ESMTP"
    assert re.search(rf"\bwith {proto}\b", text), f"Received lacks 'with {proto}': {text}"
    assert "from " in text and "[127.0.0.1]" in text, f"Received lacks the client address: {text}"
    if rcpt:
        assert f"for <{rcpt}>" in text, f"Received lacks 'for <{rcpt}>': {text}"
    assert re.search(r"; \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$", text), \
        f"Received lacks an RFC 5322 date: {text}"
    return b"\r\n".join(lines[i:])


class LineSocket:
    """A socket read line by line, with a timeout on every read."""

    def __init__(self, host, port, tls=False, timeout=TIMEOUT):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        if tls:
            self.sock = unverified_context().wrap_socket(self.sock, server_hostname="localhost")
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def readline(self, limit=1 << 20):
        while b"\r\n" not in self.buf:
            if len(self.buf) > limit:
                raise AssertionError("reply line too long")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"connection closed; unread: {self.buf!r}")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def read_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed in a literal")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def pending(self, wait=0.3):
        """Bytes the server sent that we have not read, after waiting `wait` seconds."""
        self.sock.settimeout(wait)
        try:
            chunk = self.sock.recv(65536)
            self.buf += chunk
        except (socket.timeout, ssl.SSLWantReadError):
            pass
        finally:
            self.sock.settimeout(TIMEOUT)
        return self.buf

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Smtp(LineSocket):
    def __init__(self, port, **kw):
        super().__init__("127.0.0.1", port, **kw)
        self.greeting = self.reply()

    def reply(self):
        """Reads one (possibly multi-line) reply: (code, [texts])."""
        lines = []
        while True:
            line = self.readline().decode("utf-8", "replace")
            assert re.match(r"^\d{3}[ -]", line) or re.match(r"^\d{3}$", line), f"bad reply line {line!r}"
            lines.append(line[4:])
            if len(line) == 3 or line[3] == " ":
                return int(line[:3]), lines

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.reply()

    def ehlo(self, name="client.outside.test"):
        code, lines = self.cmd(f"EHLO {name}")
        assert code == 250, (code, lines)
        return lines

    def starttls(self):
        code, lines = self.cmd("STARTTLS")
        assert code == 220, (code, lines)
        assert not self.buf
        self.sock = unverified_context().wrap_socket(self.sock, server_hostname="localhost")


def expect(reply, code, enhanced=None):
    got_code, lines = reply
    assert got_code == code, f"expected {code} {enhanced or ''}, got {got_code} {lines}"
    if enhanced:
        assert lines[-1].startswith(enhanced + " ") or lines[-1] == enhanced, \
            f"expected enhanced code {enhanced}, got {lines}"


class Imap(LineSocket):
    """Raw IMAP: commands with our own tags, untagged lines collected as they come."""

    def __init__(self, port, **kw):
        super().__init__("127.0.0.1", port, **kw)
        self.greeting = self.readline()
        self.n = 0

    def command(self, text):
        """Sends a tagged command; returns (status, tagged line, untagged lines). Literals
        in responses are read and kept inline as bytes."""
        self.n += 1
        tag = f"t{self.n}"
        self.send(f"{tag} {text}\r\n")
        return self.wait(tag)

    def wait(self, tag):
        untagged = []
        while True:
            line = self.readline()
            while True:
                m = re.search(rb"\{(\d+)\}$", line)
                if not m:
                    break
                line += b"\r\n" + self.read_exact(int(m.group(1))) + self.readline()
            if line.startswith(tag.encode() + b" "):
                status = line.split(b" ")[1].decode()
                return status, line, untagged
            untagged.append(line)


class Pop3(LineSocket):
    def __init__(self, port, **kw):
        super().__init__("127.0.0.1", port, **kw)
        self.greeting = self.readline()

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.readline()

    def multiline(self):
        out = []
        while True:
            line = self.readline()
            if line == b".":
                return out
            out.append(line[1:] if line.startswith(b".") else line)

    def login(self, user, password):
        assert self.cmd(f"USER {user}").startswith(b"+OK")
        r = self.cmd(f"PASS {password}")
        assert r.startswith(b"+OK"), r


def wait_until(predicate, deadline=5.0, interval=0.02):
    """Polls `predicate` until it returns something truthy; returns (value, seconds)."""
    start = time.monotonic()
    while True:
        value = predicate()
        if value:
            return value, time.monotonic() - start
        if time.monotonic() - start > deadline:
            return None, time.monotonic() - start
        time.sleep(interval)


# --- library clients -------------------------------------------------------------------


def smtp_send(port, sender, recipients, message, starttls=False):
    """Sends with smtplib on the MX port; returns the reply to the final dot."""
    with smtplib.SMTP("127.0.0.1", port, local_hostname="client.outside.test", timeout=TIMEOUT) as s:
        s.ehlo()
        if starttls:
            s.starttls(context=unverified_context())
            s.ehlo()
        refused = s.sendmail(sender, recipients, message)
        assert not refused, refused
        return s.noop()


def imap_login(port, user, password, tls=False):
    if tls:
        m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=unverified_context(), timeout=TIMEOUT)
    else:
        m = imaplib.IMAP4("127.0.0.1", port, timeout=TIMEOUT)
    typ, data = m.login(user, password)
    assert typ == "OK", data
    return m


def literal(data):
    """The bytes of the first literal in an imaplib FETCH answer."""
    for part in data:
        if isinstance(part, tuple):
            return part[1]
    raise AssertionError(f"no literal in FETCH answer {data!r}")


def imap_find(m, tag):
    """Re-selects INBOX and returns {uid: header bytes} of messages whose header has `tag`."""
    typ, data = m.select("INBOX")
    assert typ == "OK", data
    if int(data[0]) == 0:
        return {}
    typ, data = m.uid("FETCH", "1:*", "(UID BODY.PEEK[HEADER])")
    assert typ == "OK", data
    found = {}
    for part in data:
        if isinstance(part, tuple):
            uid = re.search(rb"UID (\d+)", part[0])
            assert uid, part[0]
            if tag.encode() in part[1]:
                found[int(uid.group(1))] = part[1]
    return found


def read_until(m, pattern, deadline=5.0):
    """Reads lines from an imaplib connection (an IDLE or NOTIFY session) until one matches
    `pattern` (bytes regex); returns all read, without line ends."""
    m.sock.settimeout(deadline)
    lines = []
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        line = m.readline()
        if not line:
            break
        lines.append(line.rstrip(b"\r\n"))
        if re.search(pattern, line):
            return lines
    raise AssertionError(f"no {pattern!r} within {deadline}s; got {lines}")


def imap_wait(port, user, password, tag, count=1, deadline=5.0):
    """Polls until `count` messages tagged `tag` are in user's INBOX; returns
    (sorted uids, seconds waited)."""
    m = imap_login(port, user, password)
    try:
        found, secs = wait_until(lambda: (lambda f: f if len(f) >= count else None)(imap_find(m, tag)),
                                 deadline=deadline)
    finally:
        m.logout()
    assert found, f"message {tag} not in {user}'s INBOX after {deadline}s"
    return sorted(found), secs


def pop3_login(port, user, password, tls=False):
    if tls:
        p = poplib.POP3_SSL("127.0.0.1", port, context=unverified_context(), timeout=TIMEOUT)
    else:
        p = poplib.POP3("127.0.0.1", port, timeout=TIMEOUT)
    p.user(user)
    p.pass_(password)
    return p


def pop3_retr(p, n):
    resp, lines, octets = p.retr(n)
    assert resp.startswith(b"+OK"), resp
    return b"\r\n".join(lines) + b"\r\n"


# Real clients (mbsync, fetchmail, msmtp, curl, ...), driven as programs.

def need_tool(tool):
    """Fails (not skips) when a client program is missing: scripts/install-deps.sh
    installs every one, so a missing one is a broken setup, not an optional test."""
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed (scripts/install-deps.sh installs it)")


def run_client(args, cwd, timeout=60):
    """Runs a client program; fails when it exits non-zero or reports an error (mbsync
    says "Error" and still exits 0 for some failures)."""
    r = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{args[0]} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    assert "error" not in (r.stdout + r.stderr).lower(), f"{args[0]} reported an error:\n{r.stdout}\n{r.stderr}"
    return r


def write_mbsyncrc(tmp_path, suite, user, ssl_type, patterns):
    """An mbsync channel "test" syncing `user`'s folders `patterns` both ways with the
    Maildir tmp_path/Mail (created), over IMAP with STARTTLS or over IMAPS (`ssl_type`,
    as mbsync spells it), trusting the suite's test certificate only. Returns the config
    file and the Maildir."""
    port = suite.ports["imaps" if ssl_type == "IMAPS" else "imap"]
    maildir = tmp_path / "Mail"
    maildir.mkdir()
    rc = tmp_path / "mbsyncrc"
    rc.write_text(f"""IMAPAccount test
Host localhost
Port {port}
User {user}
Pass {suite.passwords[user]}
SSLType {ssl_type}
CertificateFile {suite.cert_dir}/cert.pem
SystemCertificates no

IMAPStore remote
Account test

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel test
Far :remote:
Near :local:
Patterns {patterns}
Create Both
Expunge Both
SyncState *
""")
    return rc, maildir
