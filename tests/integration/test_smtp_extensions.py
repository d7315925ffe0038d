"""SMTP service extensions against the real daemons: SMTPUTF8 (RFC 6531), DSN parameters
(RFC 3461), 8BITMIME with PIPELINING, and CHUNKING/BINARYMIME (RFC 3030). Real clients
where one exists (Python smtplib sends SMTPUTF8 and DSN parameters, swaks pipelines and
sends 8-bit bodies); no client on Debian sends BDAT, so BDAT is driven over a raw socket.
What was delivered is read back with imaplib, byte for byte."""

import re
import smtplib
import subprocess

import pytest

import helpers
from conftest import ALICE, MAX_MESSAGE_SIZE
from helpers import Smtp, expect, imap_login, imap_wait, literal, token

SENDER = "sender@outside.test"


@pytest.fixture
def running(suite):
    suite.require("mailctl", "smtpd", "queued", "imapd")
    return suite


def fetch_full(suite, user, tag):
    """The whole delivered message tagged `tag` (in its header) from user's INBOX."""
    uids, _ = imap_wait(suite.ports["imap"], user, suite.passwords[user], tag)
    assert len(uids) == 1, uids
    m = imap_login(suite.ports["imap"], user, suite.passwords[user])
    try:
        typ, data = m.select("INBOX")
        assert typ == "OK", data
        typ, data = m.uid("FETCH", str(uids[0]), "(BODY.PEEK[])")
        assert typ == "OK", data
        return literal(data)
    finally:
        m.logout()


def split_trace(data):
    """(Return-Path line, Received header unfolded, the rest) of a delivered message."""
    first, _, rest = data.partition(b"\r\n")
    lines = rest.split(b"\r\n")
    assert lines[0].startswith(b"Received: "), rest[:200]
    i = 1
    while lines[i].startswith(b"\t"):
        i += 1
    received = b" ".join(ln.strip() for ln in lines[:i])
    return first, received, b"\r\n".join(lines[i:])


def test_ehlo_lists_the_extensions(running):
    s = Smtp(running.ports["smtp"])
    try:
        lines = s.ehlo()
        for keyword in ("PIPELINING", "8BITMIME", "SMTPUTF8", "DSN", "CHUNKING", "BINARYMIME",
                        "ENHANCEDSTATUSCODES", f"SIZE {MAX_MESSAGE_SIZE}"):
            assert keyword in lines, (keyword, lines)
    finally:
        s.close()


# --- SMTPUTF8 ----------------------------------------------------------------------------


def test_smtplib_smtputf8_addresses_delivered(running):
    """A UTF-8 sender, a UTF-8 alias and an internationalized domain, sent by smtplib with
    SMTPUTF8; the delivered copy keeps the UTF-8 envelope in its trace headers."""
    user = running.new_user("utf8")
    tok = token()[:8]
    alias = f"jörg-{tok}@{helpers.DOMAIN}"
    running.mailctl("alias", "add", alias, user)
    domain = f"bücher-{tok}.test"
    running.mailctl("domain", "add", domain)
    idn_user = f"kunde@{domain}"
    running.add_user(idn_user, "pw-" + tok)
    a_label = running.mailctl("user", "list").stdout
    assert f"kunde@xn--bcher-{tok}-" in a_label, a_label  # stored by its A-label
    login = next(ln.split()[0] for ln in a_label.splitlines() if f"kunde@xn--bcher-{tok}" in ln)
    running.passwords[login] = "pw-" + tok

    tag = token()
    sender = "sénder@outside.test"
    body = (f"From: <{sender}>\r\nTo: <{alias}>\r\nSubject: {tag} grüße\r\n"
            f"Message-ID: <{tag}@outside.test>\r\n\r\nHällo, wörld.\r\n").encode()
    with smtplib.SMTP("127.0.0.1", running.ports["smtp"], local_hostname="client.outside.test",
                      timeout=helpers.TIMEOUT) as s:
        s.ehlo()
        assert s.has_extn("smtputf8")
        refused = s.sendmail(sender, [alias, f"KUNDE@BÜCHER-{tok.upper()}.test"], body,
                             mail_options=["SMTPUTF8", "BODY=8BITMIME"])
        assert not refused, refused
    for who in (user, login):
        full = fetch_full(running, who, tag)
        return_path, received, rest = split_trace(full)
        assert return_path == f"Return-Path: <{sender}>".encode(), return_path
        assert b"with UTF8SMTP id" in received, received
        assert rest == body


def test_utf8_address_without_smtputf8_is_553(running):
    """RFC 6531 3.4: 553 5.6.7 only when the client did not ask for SMTPUTF8."""
    s = Smtp(running.ports["smtp"])
    try:
        s.ehlo()
        expect(s.cmd("MAIL FROM:<sénder@outside.test>"), 553, "5.6.7")
        expect(s.cmd("MAIL FROM:<sender@outside.test>"), 250, "2.1.0")
        expect(s.cmd(f"RCPT TO:<jörg@{helpers.DOMAIN}>"), 553, "5.6.7")
        expect(s.cmd(f"RCPT TO:<{ALICE}>"), 250, "2.1.5")
    finally:
        s.close()


def test_swaks_utf8_recipient_refused_without_smtputf8(running, tmp_path):
    """swaks has no SMTPUTF8 option: its UTF-8 recipient gets 553 5.6.7."""
    r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(running.ports["smtp"]),
                        "--from", SENDER, "--to", f"jörg@{helpers.DOMAIN}", "--helo",
                        "client.outside.test", "--timeout", "10"],
                       capture_output=True, timeout=30)
    out = r.stdout.decode("utf-8", "replace")
    assert r.returncode != 0, out
    assert re.search(r"<\*\* +553 5\.6\.7 ", out), out


def test_swaks_pipelining_8bit_body(running, tmp_path):
    """swaks with --pipeline sends MAIL, RCPT and DATA in one go; an 8-bit body arrives
    byte for byte."""
    user = running.new_user("pipe")
    tag = token()
    message = (f"Subject: {tag}\r\nContent-Type: text/plain; charset=utf-8\r\n"
               "Content-Transfer-Encoding: 8bit\r\n\r\nÄrger über Öl, 8 Bit: \xff\r\n")
    data = message.encode("utf-8")
    path = tmp_path / "m.eml"
    path.write_bytes(data[:-2])  # swaks adds the final CRLF
    r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(running.ports["smtp"]),
                        "--from", SENDER, "--to", f"{user},{ALICE}", "--helo", "client.outside.test",
                        "--pipeline", "--data", str(path), "--timeout", "10"],
                       capture_output=True, timeout=30)
    out = r.stdout.decode("utf-8", "replace")
    assert r.returncode == 0, out
    assert "PIPELINING" in out and re.search(r"<[-~] +250 2\.0\.0 Ok: queued as", out), out
    _, received, rest = split_trace(fetch_full(running, user, tag))
    assert rest == data


# --- DSN ---------------------------------------------------------------------------------


def test_smtplib_dsn_parameters_accepted(running):
    """RET, ENVID on MAIL and NOTIFY, ORCPT on RCPT from smtplib; the message is delivered.
    (What the envelope stores is checked in smtpd/session_test.cpp.)"""
    tag = token()
    message = helpers.make_message(tag)
    with smtplib.SMTP("127.0.0.1", running.ports["smtp"], local_hostname="client.outside.test",
                      timeout=helpers.TIMEOUT) as s:
        s.ehlo()
        assert s.has_extn("dsn")
        refused = s.sendmail(SENDER, [ALICE], message,
                             mail_options=["RET=HDRS", f"ENVID={tag}+2Bx"],
                             rcpt_options=["NOTIFY=SUCCESS,FAILURE", f"ORCPT=rfc822;{ALICE}"])
        assert not refused, refused
    fetch_full(running, ALICE, tag)


def test_dsn_parameter_errors(running):
    s = Smtp(running.ports["smtp"])
    try:
        s.ehlo()
        expect(s.cmd("MAIL FROM:<a@outside.test> RET=EVERYTHING"), 501, "5.5.4")
        expect(s.cmd("MAIL FROM:<a@outside.test> ENVID=" + "x" * 101), 501, "5.5.4")
        expect(s.cmd("MAIL FROM:<a@outside.test> ENVID=bad+zz"), 501, "5.5.4")
        expect(s.cmd("MAIL FROM:<a@outside.test> RET=FULL RET=HDRS"), 501, "5.5.4")
        expect(s.cmd("MAIL FROM:<a@outside.test> NOTIFY=NEVER"), 555, "5.5.4")
    finally:
        s.close()
    s = Smtp(running.ports["smtp"])  # a new session: errors count towards max_errors
    try:
        s.ehlo()
        expect(s.cmd("MAIL FROM:<a@outside.test> RET=FULL ENVID=ok"), 250, "2.1.0")
        expect(s.cmd(f"RCPT TO:<{ALICE}> NOTIFY=NEVER,SUCCESS"), 501, "5.5.4")
        expect(s.cmd(f"RCPT TO:<{ALICE}> NOTIFY=SOMETIMES"), 501, "5.5.4")
        expect(s.cmd(f"RCPT TO:<{ALICE}> ORCPT=rfc822"), 501, "5.5.4")
        expect(s.cmd(f"RCPT TO:<{ALICE}> ORCPT=rfc822;" + "a" * 494), 501, "5.5.4")
        expect(s.cmd(f"RCPT TO:<{ALICE}> RET=FULL"), 555, "5.5.4")
        expect(s.cmd(f"RCPT TO:<{ALICE}> NOTIFY=DELAY ORCPT=rfc822;a+40b"), 250, "2.1.5")
    finally:
        s.close()


# --- CHUNKING and BINARYMIME ------------------------------------------------------------


def binary_content(tag):
    """A BINARYMIME message: every octet but NUL (which an IMAP literal cannot carry),
    bare CR and LF, a lone dot line, no final CRLF."""
    head = (f"Subject: {tag}\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\n"
            "Content-Transfer-Encoding: binary\r\n\r\n").encode()
    return head + bytes(range(1, 256)) + b"\n.\n\r.\r\n.\r\nend\r"


def test_bdat_binarymime_pipelined_is_byte_exact(running):
    user = running.new_user("bdat")
    tag = token()
    content = binary_content(tag)
    first, second = content[:100], content[100:]
    s = Smtp(running.ports["smtp"])
    try:
        s.ehlo()
        s.send(f"MAIL FROM:<{SENDER}> BODY=BINARYMIME\r\nRCPT TO:<{user}>\r\n".encode()
               + f"BDAT {len(first)}\r\n".encode() + first
               + f"BDAT {len(second)} LAST\r\n".encode() + second)
        expect(s.reply(), 250, "2.1.0")
        expect(s.reply(), 250, "2.1.5")
        code, lines = s.reply()
        assert code == 250 and lines == [f"2.0.0 {len(first)} octets received"], (code, lines)
        code, lines = s.reply()
        assert code == 250 and lines[0].startswith("2.0.0 Ok: queued as "), (code, lines)
        expect(s.cmd("QUIT"), 221)
    finally:
        s.close()
    _, received, rest = split_trace(fetch_full(running, user, tag))
    assert rest == content


def test_bdat_text_message_and_zero_last_chunk(running):
    """A text message in three chunks, a CRLF split across two of them, and an empty LAST
    chunk; a "." line inside a chunk is content, not an end."""
    user = running.new_user("bdattext")
    tag = token()
    content = f"Subject: {tag}\r\n\r\nline\r\n.\r\n..two dots\r\n".encode()
    cut = content.index(b"\r\n.\r\n") + 1  # between CR and LF
    s = Smtp(running.ports["smtp"])
    try:
        s.ehlo()
        expect(s.cmd(f"MAIL FROM:<{SENDER}>"), 250)
        expect(s.cmd(f"RCPT TO:<{user}>"), 250)
        s.send(f"BDAT {cut}\r\n".encode() + content[:cut])
        expect(s.reply(), 250, "2.0.0")
        s.send(f"BDAT {len(content) - cut}\r\n".encode() + content[cut:])
        expect(s.reply(), 250, "2.0.0")
        code, lines = s.cmd("BDAT 0 LAST")
        assert code == 250 and "queued as" in lines[0], (code, lines)
    finally:
        s.close()
    assert split_trace(fetch_full(running, user, tag))[2] == content


def test_bdat_size_limit_across_chunks_and_errors(running):
    s = Smtp(running.ports["smtp"])
    try:
        s.ehlo()
        # No MAIL: refused, and the chunk is skipped (the dialogue stays in step).
        s.send(b"BDAT 8\r\nNOOPNOOP")
        expect(s.reply(), 503, "5.5.1")
        expect(s.cmd("NOOP"), 250)
        # BINARYMIME with DATA is refused (RFC 3030 3).
        expect(s.cmd(f"MAIL FROM:<{SENDER}> BODY=BINARYMIME"), 250)
        expect(s.cmd(f"RCPT TO:<{ALICE}>"), 250)
        expect(s.cmd("DATA"), 503, "5.5.1")
        expect(s.cmd("RSET"), 250)
        # Each chunk under the limit, together over it: 552 at the chunk that crosses it;
        # the pipelined LAST chunk after the failure is read and refused.
        expect(s.cmd(f"MAIL FROM:<{SENDER}>"), 250)
        expect(s.cmd(f"RCPT TO:<{ALICE}>"), 250)
        half = MAX_MESSAGE_SIZE // 2 + 10
        line = b"x" * 98 + b"\r\n"
        chunk = (line * (half // len(line) + 1))[:half - 2] + b"\r\n"
        s.send(f"BDAT {len(chunk)}\r\n".encode() + chunk)
        expect(s.reply(), 250, "2.0.0")
        expect(s.cmd("DATA"), 503, "5.5.1")  # DATA after BDAT
        s.send(f"BDAT {len(chunk)}\r\n".encode() + chunk + b"BDAT 3 LAST\r\nabc")
        expect(s.reply(), 552, "5.3.4")
        expect(s.reply(), 503, "5.5.1")
        # Bare LF in a text message sent with BDAT: 550 5.5.2, as in DATA.
        expect(s.cmd(f"MAIL FROM:<{SENDER}>"), 250)
        expect(s.cmd(f"RCPT TO:<{ALICE}>"), 250)
        s.send(b"BDAT 12 LAST\r\nSubject: x\n\n")
        expect(s.reply(), 550, "5.5.2")
        expect(s.cmd("NOOP"), 250)
    finally:
        s.close()


def test_bdat_after_every_recipient_refused(running):
    s = Smtp(running.ports["smtp"])
    try:
        s.ehlo()
        s.send(f"MAIL FROM:<{SENDER}>\r\nRCPT TO:<nobody-{token()}@{helpers.DOMAIN}>\r\n".encode()
               + b"BDAT 5 LAST\r\nhello")
        expect(s.reply(), 250)
        expect(s.reply(), 550, "5.1.1")
        expect(s.reply(), 554, "5.5.1")
        expect(s.cmd("NOOP"), 250)
    finally:
        s.close()
