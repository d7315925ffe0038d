"""Bad SMTP input on a raw socket, where the exact reply code matters. After each case a
second connection must still be served (the daemon survived it)."""

import pytest

import helpers
from conftest import ALICE, BOB, MAX_MESSAGE_SIZE, MAX_RECIPIENTS
from helpers import Smtp, expect, imap_find, imap_login, imap_wait, token


@pytest.fixture
def smtp(suite):
    suite.require("mailctl", "smtpd")
    yield suite
    # The daemon still serves a new session, all the way to a queued message.
    s = Smtp(suite.ports["smtp"])
    try:
        assert s.greeting[0] == 220, s.greeting
        s.ehlo()
        expect(s.cmd("MAIL FROM:<check@outside.test>"), 250, "2.1.0")
        expect(s.cmd(f"RCPT TO:<{BOB}>"), 250, "2.1.5")
        expect(s.cmd("RSET"), 250, "2.0.0")
        expect(s.cmd("QUIT"), 221, "2.0.0")
    finally:
        s.close()


def session(suite):
    s = Smtp(suite.ports["smtp"])
    assert s.greeting[0] == 220 and s.greeting[1][0].startswith(helpers.HOSTNAME + " "), s.greeting
    return s


def test_greeting_and_ehlo_name_our_host(smtp):
    s = session(smtp)
    try:
        lines = s.ehlo()
        assert lines[0].startswith(helpers.HOSTNAME), lines
        assert f"SIZE {MAX_MESSAGE_SIZE}" in lines, lines
        assert "STARTTLS" in lines and "PIPELINING" in lines and "ENHANCEDSTATUSCODES" in lines, lines
    finally:
        s.close()


def test_overlong_line(smtp):
    s = session(smtp)
    try:
        s.ehlo()
        expect(s.cmd("NOOP " + "x" * 1100), 500, "5.5.2")
        # The session stays in step: the next command is answered normally.
        expect(s.cmd("NOOP"), 250, "2.0.0")
    finally:
        s.close()


def test_mail_before_ehlo(smtp):
    s = session(smtp)
    try:
        expect(s.cmd("MAIL FROM:<a@outside.test>"), 503, "5.5.1")
    finally:
        s.close()


def test_rcpt_before_mail(smtp):
    s = session(smtp)
    try:
        s.ehlo()
        expect(s.cmd(f"RCPT TO:<{ALICE}>"), 503, "5.5.1")
    finally:
        s.close()


def test_rcpt_unknown_local_user(smtp):
    s = session(smtp)
    try:
        s.ehlo()
        expect(s.cmd("MAIL FROM:<a@outside.test>"), 250, "2.1.0")
        expect(s.cmd(f"RCPT TO:<nobody-{token()}@{helpers.DOMAIN}>"), 550, "5.1.1")
        expect(s.cmd(f"RCPT TO:<{ALICE}>"), 250, "2.1.5")
    finally:
        s.close()


def test_no_open_relay(smtp):
    s = session(smtp)
    try:
        s.ehlo()
        expect(s.cmd("MAIL FROM:<a@outside.test>"), 250, "2.1.0")
        expect(s.cmd("RCPT TO:<victim@elsewhere.test>"), 554, "5.7.1")
        expect(s.cmd("RCPT TO:<victim@[192.0.2.1]>"), 554, "5.7.1")
        # No recipient accepted: DATA is refused.
        code, lines = s.cmd("DATA")
        assert code in (503, 554), (code, lines)
    finally:
        s.close()


def test_bare_lf_in_data_rejected_and_not_delivered(smtp):
    smtp.require("imapd", "queued")
    user = smtp.new_user("barelf")
    bad, good = token(), token()
    s = session(smtp)
    try:
        s.ehlo()
        expect(s.cmd("MAIL FROM:<a@outside.test>"), 250)
        expect(s.cmd(f"RCPT TO:<{user}>"), 250)
        expect(s.cmd("DATA"), 354)
        s.send(f"Subject: {bad}\r\n\r\nline one\nline two\r\n.\r\n")
        expect(s.reply(), 550, "5.5.2")
        # Same session, a clean message: the dialogue stayed in step.
        expect(s.cmd("MAIL FROM:<a@outside.test>"), 250)
        expect(s.cmd(f"RCPT TO:<{user}>"), 250)
        expect(s.cmd("DATA"), 354)
        s.send(f"Subject: {good}\r\n\r\nfine\r\n.\r\n")
        expect(s.reply(), 250, "2.0.0")
        expect(s.cmd("QUIT"), 221)
    finally:
        s.close()
    imap_wait(smtp.ports["imap"], user, smtp.passwords[user], good)
    m = imap_login(smtp.ports["imap"], user, smtp.passwords[user])
    try:
        assert imap_find(m, bad) == {}, "message with a bare LF was delivered"
        typ, data = m.select("INBOX")
        assert int(data[0]) == 1, f"{data[0]} messages, expected only the clean one"
    finally:
        m.logout()


def test_bare_lf_smuggling_does_not_end_data(smtp):
    """<LF>.<LF> must not end DATA (SMTP smuggling): the reply comes only after the real
    terminator, and it is a rejection."""
    s = session(smtp)
    try:
        s.ehlo()
        expect(s.cmd("MAIL FROM:<a@outside.test>"), 250)
        expect(s.cmd(f"RCPT TO:<{ALICE}>"), 250)
        expect(s.cmd("DATA"), 354)
        s.send("Subject: smuggle\r\n\r\nhi\n.\nMAIL FROM:<evil@outside.test>\r\n")
        assert s.pending(0.5) == b"", "server answered before the real terminator"
        s.send(".\r\n")
        expect(s.reply(), 550, "5.5.2")
    finally:
        s.close()


def test_message_too_big(smtp):
    s = session(smtp)
    try:
        s.ehlo()
        expect(s.cmd(f"MAIL FROM:<a@outside.test> SIZE={MAX_MESSAGE_SIZE + 1}"), 552, "5.3.4")
        expect(s.cmd("MAIL FROM:<a@outside.test>"), 250)
        expect(s.cmd(f"RCPT TO:<{ALICE}>"), 250)
        expect(s.cmd("DATA"), 354)
        line = "y" * 998 + "\r\n"
        s.send("Subject: big\r\n\r\n" + line * (MAX_MESSAGE_SIZE // len(line) + 2) + ".\r\n")
        expect(s.reply(), 552, "5.3.4")
        expect(s.cmd("NOOP"), 250)
    finally:
        s.close()


def test_too_many_recipients(smtp):
    s = session(smtp)
    try:
        s.ehlo()
        expect(s.cmd("MAIL FROM:<a@outside.test>"), 250)
        for _ in range(MAX_RECIPIENTS):
            expect(s.cmd(f"RCPT TO:<{ALICE}>"), 250, "2.1.5")
        expect(s.cmd(f"RCPT TO:<{BOB}>"), 452, "4.5.3")
    finally:
        s.close()


def test_starttls_command_injection(smtp):
    """RFC 3207 section 5 / CVE-2011-0411: plaintext pipelined after STARTTLS must be
    discarded, not executed inside the TLS session."""
    s = session(smtp)
    try:
        s.ehlo()
        s.send("STARTTLS\r\nRSET\r\n")
        expect(s.reply(), 220, "2.0.0")
        assert s.buf == b"", f"server answered the injected command in plaintext: {s.buf!r}"
        s.sock = helpers.unverified_context().wrap_socket(s.sock, server_hostname="localhost")
        s.send("EHLO client.outside.test\r\n")
        code, lines = s.reply()
        assert code == 250 and lines[0].startswith(helpers.HOSTNAME), \
            f"first reply after TLS is not the EHLO reply (injected RSET answered?): {code} {lines}"
        assert "STARTTLS" not in lines, "STARTTLS offered again inside TLS"
        expect(s.cmd("NOOP"), 250, "2.0.0")
        assert s.pending(0.3) == b"", f"unexpected extra reply: {s.buf!r}"
        expect(s.cmd("QUIT"), 221)
    finally:
        s.close()


def test_unknown_command(smtp):
    s = session(smtp)
    try:
        s.ehlo()
        expect(s.cmd("FROBNICATE"), 500, "5.5.2")
    finally:
        s.close()
