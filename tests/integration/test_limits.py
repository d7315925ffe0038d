"""Every line, literal, message, error count, connection count and silence has a limit,
tested exactly at the limit and one past it, with the exact reply. Runs its own suite
(separate data directory, ports and config) with tight limits so that the timeouts take
seconds and the connection limits a handful of sockets. After each test a fresh
connection must still be served all the way to a command answered normally.

Trusts the daemons for nothing: every read has a timeout, and a closed connection is
detected by EOF or reset, never by waiting forever.
"""

import re
import socket
import time

import pytest

import helpers
from conftest import ALICE, MAX_MESSAGE_SIZE, require_built, separate_suite
from helpers import Imap, LineSocket, Pop3, Smtp, expect, token

SMTP_MAX_CONNECTIONS = 3
SMTP_COMMAND_TIMEOUT = 2
SMTP_DATA_TIMEOUT = 2
SMTP_MAX_ERRORS = 3
SMTP_MAX_LINE = 512
IMAP_MAX_CONNECTIONS = 3
IMAP_IDLE_TIMEOUT = 2
IMAP_MAX_BAD = 3
IMAP_MAX_LITERAL = 4096
IMAP_MAX_LINE = 1024
POP3_MAX_CONNECTIONS = 3
POP3_IDLE_TIMEOUT = 2
POP3_MAX_BAD = 3
POP3_MAX_LINE = 256

LIMITS = {
    "smtpd": f"""max_connections = {SMTP_MAX_CONNECTIONS}
command_timeout = {SMTP_COMMAND_TIMEOUT}
data_timeout = {SMTP_DATA_TIMEOUT}
max_errors = {SMTP_MAX_ERRORS}
max_line_length = {SMTP_MAX_LINE}""",
    "imapd": f"""max_connections = {IMAP_MAX_CONNECTIONS}
idle_timeout = {IMAP_IDLE_TIMEOUT}
max_bad_commands = {IMAP_MAX_BAD}
max_literal_size = {IMAP_MAX_LITERAL}
max_line_length = {IMAP_MAX_LINE}""",
    "pop3d": f"""max_connections = {POP3_MAX_CONNECTIONS}
idle_timeout = {POP3_IDLE_TIMEOUT}
max_bad_commands = {POP3_MAX_BAD}
max_line_length = {POP3_MAX_LINE}""",
}

FRESH_DEADLINE = 3.0  # a closed session frees its connection slot asynchronously


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    for name in ("mailctl", "smtpd", "queued", "imapd", "pop3d"):
        require_built(name)
    with separate_suite(tmp_path_factory.mktemp("limits"), sections=LIMITS) as s:
        yield s


def assert_closed(conn, what):
    """The server closed `conn` (EOF or reset) with nothing more to say."""
    conn.sock.settimeout(5)
    try:
        rest = conn.sock.recv(65536)
    except ConnectionError:
        rest = b""
    except socket.timeout:
        pytest.fail(f"{what}: connection still open 5s later")
    assert conn.buf + rest == b"", f"{what}: unexpected bytes before close: {conn.buf + rest!r}"


def fresh(make, ok):
    """Connects with `make` until the greeting satisfies `ok` (slots of sessions closed
    a moment ago are freed asynchronously); returns the connection."""
    start = time.monotonic()
    while True:
        conn = make()
        if ok(conn.greeting):
            return conn
        conn.close()
        assert time.monotonic() - start < FRESH_DEADLINE, f"no fresh session served: {conn.greeting!r}"
        time.sleep(0.1)


# --- SMTP ------------------------------------------------------------------------------


def smtp_session(s, port="smtp"):
    return fresh(lambda: Smtp(s.ports[port]), lambda g: g[0] == 220)


@pytest.fixture
def smtp(limited):
    yield limited
    c = smtp_session(limited)
    try:
        c.ehlo()
        expect(c.cmd("NOOP"), 250, "2.0.0")
        expect(c.cmd("QUIT"), 221, "2.0.0")
    finally:
        c.close()


def test_smtp_line_at_limit_and_one_over(smtp):
    c = smtp_session(smtp)
    try:
        c.ehlo()
        at_limit = "NOOP " + "x" * (SMTP_MAX_LINE - len("NOOP ") - 2)  # + CRLF = limit
        assert len(at_limit) + 2 == SMTP_MAX_LINE
        expect(c.cmd(at_limit), 250, "2.0.0")
        expect(c.cmd(at_limit + "x"), 500, "5.5.2")
        expect(c.cmd("NOOP"), 250, "2.0.0")  # still in step
    finally:
        c.close()


def test_smtp_max_errors_then_421(smtp):
    c = smtp_session(smtp)
    try:
        c.ehlo()
        for _ in range(SMTP_MAX_ERRORS - 1):
            expect(c.cmd("FROBNICATE"), 500, "5.5.2")
        expect(c.cmd("FROBNICATE"), 500, "5.5.2")  # the last error still gets its reply
        expect(c.reply(), 421, "4.7.0")
        assert_closed(c, "after 421 4.7.0 (too many errors)")
    finally:
        c.close()


def test_smtp_command_timeout(smtp):
    c = smtp_session(smtp)
    try:
        c.ehlo()
        # Each command restarts the wait: commands spaced below the timeout keep the
        # session alive past it.
        for _ in range(2):
            time.sleep(SMTP_COMMAND_TIMEOUT * 0.6)
            expect(c.cmd("NOOP"), 250, "2.0.0")
        started = time.monotonic()
        c.sock.settimeout(SMTP_COMMAND_TIMEOUT + 5)
        reply = c.reply()
        waited = time.monotonic() - started
        expect(reply, 421, "4.4.2")
        assert waited >= SMTP_COMMAND_TIMEOUT - 0.1, f"421 4.4.2 came after {waited:.2f}s, before the timeout"
        assert waited < SMTP_COMMAND_TIMEOUT + 3, f"421 4.4.2 came only after {waited:.2f}s"
        assert_closed(c, "after 421 4.4.2 (timeout)")
    finally:
        c.close()


def test_smtp_command_timeout_covers_a_trickled_line(smtp):
    """A client that sends one byte at a time (slowloris) gets no longer than the timeout
    for the whole command line."""
    c = smtp_session(smtp)
    try:
        c.ehlo()
        started = time.monotonic()
        c.sock.settimeout(0.2)
        reply = None
        for ch in b"NOOP " + b"x" * 40:
            try:
                c.sock.sendall(bytes([ch]))
            except OSError:
                break
            try:
                reply = c.reply()
                break
            except socket.timeout:
                continue
            if time.monotonic() - started > SMTP_COMMAND_TIMEOUT + 5:
                break
        waited = time.monotonic() - started
        assert reply is not None, f"no reply after trickling for {waited:.2f}s"
        expect(reply, 421, "4.4.2")
        assert waited < SMTP_COMMAND_TIMEOUT + 2, f"421 4.4.2 came only after {waited:.2f}s"
    finally:
        c.close()


def test_smtp_data_timeout(smtp):
    tag = "stalled-" + token()
    c = smtp_session(smtp)
    try:
        c.ehlo()
        expect(c.cmd("MAIL FROM:<limits@outside.test>"), 250, "2.1.0")
        expect(c.cmd(f"RCPT TO:<{ALICE}>"), 250, "2.1.5")
        expect(c.cmd("DATA"), 354)
        c.send(f"Subject: {tag}\r\nMessage-ID: <{tag}@outside.test>\r\n\r\nhalf a mess")
        started = time.monotonic()
        c.sock.settimeout(SMTP_DATA_TIMEOUT + 5)
        reply = c.reply()
        waited = time.monotonic() - started
        expect(reply, 421, "4.4.2")
        assert waited >= SMTP_DATA_TIMEOUT - 0.1, f"421 4.4.2 in DATA after {waited:.2f}s, before the timeout"
        assert waited < SMTP_DATA_TIMEOUT + 3, f"421 4.4.2 in DATA only after {waited:.2f}s"
        assert_closed(c, "after 421 4.4.2 in DATA")
    finally:
        c.close()
    m = helpers.imap_login(smtp.ports["imap"], ALICE, smtp.passwords[ALICE])
    try:
        assert not helpers.imap_find(m, tag), "a message cut off by the DATA timeout was delivered"
    finally:
        m.logout()


def test_smtp_max_connections(smtp):
    held = []
    try:
        for _ in range(SMTP_MAX_CONNECTIONS):
            held.append(smtp_session(smtp))
        # The limit covers all listeners: a 4th session is refused on MX and submission.
        for port in ("smtp", "submission"):
            extra = Smtp(smtp.ports[port])
            try:
                expect(extra.greeting, 421, "4.7.0")
                assert_closed(extra, f"4th connection on {port}")
            finally:
                extra.close()
        for c in held:
            c.ehlo()
            expect(c.cmd("NOOP"), 250, "2.0.0")
    finally:
        for c in held:
            c.close()


def message_of_size(tag, size):
    """An RFC 5322 message of exactly `size` octets (CRLF line endings, ending in CRLF),
    with lines that start with a dot so that the count is checked after unstuffing."""
    head = (f"From: <limits@outside.test>\r\nTo: <{ALICE}>\r\nSubject: size {tag}\r\n"
            f"Message-ID: <{tag}@outside.test>\r\n\r\n").encode()
    lines = []
    remaining = size - len(head)
    while remaining > 0:
        n = min(remaining, 800)
        if remaining - n in (1, 2):  # the last line needs room for at least one octet + CRLF
            n -= 3
        body = b"." + b"d" * (n - 3) if n >= 3 else b""
        lines.append(body + b"\r\n")
        remaining -= len(body) + 2
    msg = head + b"".join(lines)
    assert len(msg) == size, (len(msg), size)
    return msg


def send_data(c, msg):
    stuffed = re.sub(rb"(?m)^\.", b"..", msg)
    c.send(stuffed + b".\r\n")
    return c.reply()


def test_smtp_message_at_size_limit_and_one_over(smtp):
    tag = "size-" + token()
    exact = message_of_size(tag, MAX_MESSAGE_SIZE)
    over = message_of_size("over-" + tag, MAX_MESSAGE_SIZE + 1)
    c = smtp_session(smtp)
    try:
        c.ehlo()
        expect(c.cmd(f"MAIL FROM:<limits@outside.test> SIZE={MAX_MESSAGE_SIZE}"), 250, "2.1.0")
        expect(c.cmd(f"RCPT TO:<{ALICE}>"), 250, "2.1.5")
        expect(c.cmd("DATA"), 354)
        expect(send_data(c, exact), 250, "2.0.0")
        expect(c.cmd("MAIL FROM:<limits@outside.test>"), 250, "2.1.0")
        expect(c.cmd(f"RCPT TO:<{ALICE}>"), 250, "2.1.5")
        expect(c.cmd("DATA"), 354)
        expect(send_data(c, over), 552, "5.3.4")
        expect(c.cmd("NOOP"), 250, "2.0.0")
    finally:
        c.close()
    # The accepted one arrives byte for byte; the refused one never does.
    m = helpers.imap_login(smtp.ports["imap"], ALICE, smtp.passwords[ALICE])
    try:
        found, _ = helpers.wait_until(lambda: helpers.imap_find(m, tag), deadline=5.0)
        assert found and len(found) == 1, f"message at the size limit not delivered once: {found}"
        typ, data = m.uid("FETCH", str(next(iter(found))), "(BODY.PEEK[])")
        assert typ == "OK", data
        assert helpers.split_trace(helpers.literal(data), "limits@outside.test", rcpt=ALICE) == exact
        assert not helpers.imap_find(m, "over-" + tag), "the over-size message was delivered"
    finally:
        m.logout()


# --- IMAP ------------------------------------------------------------------------------


def imap_session(s, login=True):
    c = fresh(lambda: Imap(s.ports["imap"]), lambda g: g.startswith(b"* OK"))
    if login:
        status, line, _ = c.command(f'LOGIN "{ALICE}" "{s.passwords[ALICE]}"')
        assert status == "OK", line
    return c


@pytest.fixture
def imap(limited):
    yield limited
    c = imap_session(limited)
    try:
        status, line, _ = c.command("NOOP")
        assert status == "OK", line
        status, line, _ = c.command("LOGOUT")
        assert status == "OK", line
    finally:
        c.close()


def append(c, msg, non_sync=False):
    c.n += 1
    tag = f"t{c.n}"
    if non_sync:
        c.send(f"{tag} APPEND INBOX {{{len(msg)}+}}\r\n".encode() + msg + b"\r\n")
    else:
        c.send(f"{tag} APPEND INBOX {{{len(msg)}}}\r\n")
        line = c.readline()
        assert line.startswith(b"+ "), f"no continuation for a literal within the limit: {line!r}"
        c.send(msg + b"\r\n")
    return c.wait(tag)


def imap_sizes(c, tag):
    """RFC822.SIZE of the INBOX messages whose Message-ID has `tag`."""
    status, line, _ = c.command("SELECT INBOX")
    assert status == "OK", line
    status, line, untagged = c.command("FETCH 1:* (RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    assert status == "OK", line
    return [int(re.search(rb"RFC822\.SIZE (\d+)", u).group(1)) for u in untagged
            if b"FETCH" in u and tag.encode() in u]


def test_imap_literal_at_limit_and_one_over(imap):
    tag = "lit-" + token()
    c = imap_session(imap)
    try:
        status, line, _ = append(c, message_of_size(tag, IMAP_MAX_LITERAL))
        assert status == "OK", line
        status, line, _ = append(c, message_of_size(tag + "-ns", IMAP_MAX_LITERAL), non_sync=True)
        assert status == "OK", f"non-synchronizing literal at the limit: {line!r}"
        # One octet more: refused before the client sends it, and no continuation.
        c.n += 1
        c.send(f"t{c.n} APPEND INBOX {{{IMAP_MAX_LITERAL + 1}}}\r\n")
        line = c.readline()
        assert re.match(rf"^t{c.n} NO \[TOOBIG\]".encode(), line), f"expected NO [TOOBIG], got {line!r}"
        assert c.pending(0.3) == b"", f"unexpected bytes after NO [TOOBIG]: {c.buf!r}"
        # The connection stays usable.
        assert imap_sizes(c, tag) == [IMAP_MAX_LITERAL, IMAP_MAX_LITERAL]
    finally:
        c.close()


def test_imap_non_synchronizing_literal_over_limit_is_bye(imap):
    c = imap_session(imap)
    try:
        # Only the line: the server must decide from the announced size alone (and the
        # BYE must not be lost to a reset caused by unread literal bytes).
        c.send(f"t9 APPEND INBOX {{{IMAP_MAX_LITERAL + 1}+}}\r\n")
        line = c.readline()
        assert line.startswith(b"* BYE"), f"expected * BYE, got {line!r}"
        assert_closed(c, "after * BYE for an over-size non-synchronizing literal")
    finally:
        c.close()


def test_imap_max_bad_commands_then_bye(imap):
    c = imap_session(imap, login=False)
    try:
        for _ in range(IMAP_MAX_BAD - 1):
            status, line, _ = c.command("FROBNICATE")
            assert status == "BAD", line
            assert c.pending(0.05) == b"", f"BYE before the limit: {c.buf!r}"
        status, line, _ = c.command("FROBNICATE")
        assert status == "BAD", line
        line = c.readline()
        assert line.startswith(b"* BYE"), f"expected * BYE after {IMAP_MAX_BAD} BAD, got {line!r}"
        assert_closed(c, "after * BYE (too many BAD)")
    finally:
        c.close()


def test_imap_idle_timeout_autologout(imap):
    c = imap_session(imap)
    try:
        started = time.monotonic()
        c.sock.settimeout(IMAP_IDLE_TIMEOUT + 5)
        line = c.readline()
        waited = time.monotonic() - started
        assert line.startswith(b"* BYE"), f"expected * BYE autologout, got {line!r}"
        assert waited >= IMAP_IDLE_TIMEOUT - 0.1, f"autologout after {waited:.2f}s, before the timeout"
        assert waited < IMAP_IDLE_TIMEOUT + 3, f"autologout only after {waited:.2f}s"
        assert_closed(c, "after autologout")
    finally:
        c.close()


def test_imap_max_connections(imap):
    held = []
    try:
        for _ in range(IMAP_MAX_CONNECTIONS):
            held.append(imap_session(imap, login=False))
        extra = Imap(imap.ports["imap"])
        try:
            assert extra.greeting.startswith(b"* BYE"), f"4th connection greeted {extra.greeting!r}"
            assert_closed(extra, "4th IMAP connection")
        finally:
            extra.close()
        for c in held:
            status, line, _ = c.command("NOOP")
            assert status == "OK", line
    finally:
        for c in held:
            c.close()


def test_imap_line_at_limit_and_one_over(imap):
    c = imap_session(imap, login=False)
    try:
        def id_line(tag, length):
            head = f'{tag} ID ("x-pad" "'
            return head + "p" * (length - len(head) - len('")') - 2) + '")'

        at_limit = id_line("t1", IMAP_MAX_LINE)
        assert len(at_limit) + 2 == IMAP_MAX_LINE
        c.send(at_limit + "\r\n")
        status, line, _ = c.wait("t1")
        assert status == "OK", line
        c.send(id_line("t2", IMAP_MAX_LINE + 1) + "\r\n")
        line = c.readline()
        assert re.match(rb"^(t2|\*) BAD", line), f"expected BAD for a line one octet over, got {line!r}"
        c.n = 2
        status, line, _ = c.command("NOOP")  # still in step
        assert status == "OK", line
    finally:
        c.close()


# --- POP3 ------------------------------------------------------------------------------


def pop3_session(s):
    return fresh(lambda: Pop3(s.ports["pop3"]), lambda g: g.startswith(b"+OK"))


@pytest.fixture
def pop3(limited):
    yield limited
    c = pop3_session(limited)
    try:
        c.login(ALICE, limited.passwords[ALICE])
        assert c.cmd("STAT").startswith(b"+OK")
        assert c.cmd("QUIT").startswith(b"+OK")
    finally:
        c.close()


def test_pop3_line_at_limit_and_one_over(pop3):
    c = pop3_session(pop3)
    try:
        at_limit = "USER " + "u" * (POP3_MAX_LINE - len("USER ") - 2)
        assert len(at_limit) + 2 == POP3_MAX_LINE
        r = c.cmd(at_limit)
        assert r.startswith(b"+OK"), f"line at the limit refused: {r!r}"
        r = c.cmd(at_limit + "u")
        assert r.startswith(b"-ERR"), f"line one octet over accepted: {r!r}"
        c.login(ALICE, pop3.passwords[ALICE])  # still in step
    finally:
        c.close()


def test_pop3_max_bad_commands_then_close(pop3):
    c = pop3_session(pop3)
    try:
        for _ in range(POP3_MAX_BAD - 1):
            r = c.cmd("FROB")
            assert r.startswith(b"-ERR"), r
            assert c.pending(0.05) == b"", f"closing before the limit: {c.buf!r}"
        r = c.cmd("FROB")
        assert r.startswith(b"-ERR"), r
        r = c.readline()
        assert r.startswith(b"-ERR"), f"expected a final -ERR before the close, got {r!r}"
        assert_closed(c, f"after {POP3_MAX_BAD} bad commands")
    finally:
        c.close()


def test_pop3_idle_timeout(pop3):
    c = pop3_session(pop3)
    try:
        c.login(ALICE, pop3.passwords[ALICE])
        started = time.monotonic()
        c.sock.settimeout(POP3_IDLE_TIMEOUT + 5)
        r = c.readline()
        waited = time.monotonic() - started
        assert r.startswith(b"-ERR"), f"expected -ERR autologout, got {r!r}"
        assert waited >= POP3_IDLE_TIMEOUT - 0.1, f"autologout after {waited:.2f}s, before the timeout"
        assert waited < POP3_IDLE_TIMEOUT + 3, f"autologout only after {waited:.2f}s"
        assert_closed(c, "after POP3 autologout")
    finally:
        c.close()


def test_pop3_max_connections(pop3):
    held = []
    try:
        for _ in range(POP3_MAX_CONNECTIONS):
            held.append(pop3_session(pop3))
        extra = LineSocket("127.0.0.1", pop3.ports["pop3"])
        try:
            greeting = extra.readline()
            assert greeting.startswith(b"-ERR [SYS/TEMP]"), f"4th connection greeted {greeting!r}"
            assert_closed(extra, "4th POP3 connection")
        finally:
            extra.close()
        for c in held:
            assert c.cmd("CAPA").startswith(b"+OK")
            c.multiline()
    finally:
        for c in held:
            c.close()
