"""POP3 behaviour: deletion is committed only by QUIT (RFC 1939 section 6) and is seen
over IMAP, STLS and implicit TLS, and bad input (each followed by a check that pop3d
still serves)."""

import poplib
import ssl
from pathlib import Path

import pytest

import helpers
from conftest import ALICE
from helpers import (Pop3, imap_find, imap_login, imap_wait, make_message, pop3_login, pop3_retr, smtp_send,
                     token, unverified_context)


@pytest.fixture
def pop3(suite):
    suite.require("mailctl", "pop3d")
    yield suite
    p = pop3_login(suite.ports["pop3"], ALICE, suite.passwords[ALICE])
    try:
        p.stat()
    finally:
        p.quit()


@pytest.fixture
def maildrop(pop3):
    """A fresh user with two delivered messages: (user, password, [tags])."""
    pop3.require("smtpd", "queued", "imapd")
    user = pop3.new_user("pop3")
    tags = [token(), token()]
    for tag in tags:
        smtp_send(pop3.ports["smtp"], "s@outside.test", [user], make_message(tag, to=user))
        imap_wait(pop3.ports["imap"], user, pop3.passwords[user], tag)
    return user, pop3.passwords[user], tags


def imap_has(suite, user, tag):
    m = imap_login(suite.ports["imap"], user, suite.passwords[user])
    try:
        return bool(imap_find(m, tag))
    finally:
        m.logout()


def message_number(p, tag):
    count, _ = p.stat()
    for n in range(1, count + 1):
        if tag.encode() in pop3_retr(p, n):
            return n
    raise AssertionError(f"{tag} not in maildrop")


def test_dele_then_quit_deletes(pop3, maildrop):
    user, pw, tags = maildrop
    p = pop3_login(pop3.ports["pop3"], user, pw)
    n = message_number(p, tags[0])
    assert p.dele(n).startswith(b"+OK")
    # Inside the session the message is marked, not gone (RFC 1939: RETR of it is -ERR).
    with pytest.raises(poplib.error_proto):
        p.retr(n)
    assert p.stat()[0] == 1
    assert p.quit().startswith(b"+OK")
    assert not imap_has(pop3, user, tags[0]), "message deleted over POP3 still visible over IMAP"
    assert imap_has(pop3, user, tags[1]), "the other message went too"


def test_dele_without_quit_keeps_message(pop3, maildrop):
    user, pw, tags = maildrop
    raw = Pop3(pop3.ports["pop3"])
    raw.login(user, pw)
    stat = raw.cmd("STAT")
    assert stat.startswith(b"+OK 2 "), stat
    assert raw.cmd("DELE 1").startswith(b"+OK")
    assert raw.cmd("DELE 2").startswith(b"+OK")
    raw.close()  # connection dropped: no UPDATE state
    for tag in tags:
        assert imap_has(pop3, user, tag), "DELE took effect without QUIT"
    p = pop3_login(pop3.ports["pop3"], user, pw)
    try:
        assert p.stat()[0] == 2
    finally:
        p.quit()


def test_rset_undoes_dele(pop3, maildrop):
    user, pw, tags = maildrop
    raw = Pop3(pop3.ports["pop3"])
    try:
        raw.login(user, pw)
        assert raw.cmd("DELE 1").startswith(b"+OK")
        assert raw.cmd("RSET").startswith(b"+OK")
        assert raw.cmd("QUIT").startswith(b"+OK")
    finally:
        raw.close()
    for tag in tags:
        assert imap_has(pop3, user, tag)


def test_stls(pop3):
    p = poplib.POP3("127.0.0.1", pop3.ports["pop3"], timeout=helpers.TIMEOUT)
    try:
        caps = p.capa()
        assert "STLS" in caps and "UIDL" in caps, caps
        assert p.stls(context=unverified_context()).startswith(b"+OK")
        assert p.sock.version() in ("TLSv1.2", "TLSv1.3")
        assert "STLS" not in p.capa(), "STLS still offered inside TLS"
        p.user(ALICE)
        assert p.pass_(pop3.passwords[ALICE]).startswith(b"+OK")
        p.stat()
    finally:
        p.quit()


def test_implicit_tls(pop3):
    p = pop3_login(pop3.ports["pop3s"], ALICE, pop3.passwords[ALICE], tls=True)
    try:
        cert = ssl.PEM_cert_to_DER_cert(Path(pop3.cert_dir / "cert.pem").read_text())
        assert p.sock.getpeercert(binary_form=True) == cert, "POP3S presents another certificate"
        count, _ = p.stat()
        if count:
            assert pop3_retr(p, 1).startswith(b"Return-Path: <")
    finally:
        p.quit()


def test_wrong_password_refused(pop3):
    p = poplib.POP3("127.0.0.1", pop3.ports["pop3"], timeout=helpers.TIMEOUT)
    try:
        p.user(ALICE)
        with pytest.raises(poplib.error_proto):
            p.pass_("wrong-password")
    finally:
        p.close()


def test_retr_missing_message(pop3):
    raw = Pop3(pop3.ports["pop3"])
    try:
        raw.login(ALICE, pop3.passwords[ALICE])
        assert raw.cmd("RETR 99").startswith(b"-ERR")
        assert raw.cmd("NOOP").startswith(b"+OK")
    finally:
        raw.close()


def test_unknown_command(pop3):
    raw = Pop3(pop3.ports["pop3"])
    try:
        assert raw.greeting.startswith(b"+OK"), raw.greeting
        assert raw.cmd("FROBNICATE").startswith(b"-ERR")
        raw.login(ALICE, pop3.passwords[ALICE])
        assert raw.cmd("FROBNICATE").startswith(b"-ERR")
        assert raw.cmd("QUIT").startswith(b"+OK")
    finally:
        raw.close()


def test_commands_before_login_refused(pop3):
    raw = Pop3(pop3.ports["pop3"])
    try:
        assert raw.cmd("STAT").startswith(b"-ERR")
        assert raw.cmd("RETR 1").startswith(b"-ERR")
    finally:
        raw.close()
