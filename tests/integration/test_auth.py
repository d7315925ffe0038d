"""Logins: IMAP AUTHENTICATE PLAIN (RFC 4616, with and without SASL-IR, cancel, wrong
authorization identity) with imaplib and raw sockets, and the TLS requirement: with
plaintext auth not allowed, IMAP advertises LOGINDISABLED and refuses LOGIN with
PRIVACYREQUIRED, POP3 refuses USER, until STARTTLS/STLS, after which both log in."""

import base64
import imaplib
import poplib
import ssl

import pytest

import helpers
from conftest import ALICE, require_built, separate_suite
from helpers import Imap, Pop3


def plain(authzid, authcid, password):
    return base64.b64encode(f"{authzid}\0{authcid}\0{password}".encode()).decode()


def test_imaplib_authenticate_plain(suite):
    suite.require("imapd")
    m = imaplib.IMAP4("127.0.0.1", suite.ports["imap"], timeout=10)
    try:
        assert "AUTH=PLAIN" in m.capabilities
        password = suite.passwords[ALICE]
        typ, _ = m.authenticate("PLAIN", lambda _: f"\0{ALICE}\0{password}".encode())
        assert typ == "OK"
        typ, data = m.select("INBOX")
        assert typ == "OK"
    finally:
        m.logout()


def test_authenticate_plain_initial_response_cancel_and_authzid(suite):
    suite.require("imapd")
    c = Imap(suite.ports["imap"])
    try:
        password = suite.passwords[ALICE]
        # Cancelled exchange: "*" instead of the response (RFC 9051 section 6.2.2).
        c.send("a1 AUTHENTICATE PLAIN\r\n")
        assert c.readline().startswith(b"+")
        c.send("*\r\n")
        status, line, _ = c.wait("a1")
        assert status == "BAD", line
        # Someone else's authorization identity is refused.
        status, line, _ = c.command("AUTHENTICATE PLAIN " + plain("bob@" + helpers.DOMAIN, ALICE, password))
        assert status == "NO" and b"[AUTHORIZATIONFAILED]" in line, line
        # Wrong password.
        status, line, _ = c.command("AUTHENTICATE PLAIN " + plain("", ALICE, "wrong"))
        assert status == "NO" and b"[AUTHENTICATIONFAILED]" in line, line
        # Garbage that is not base64.
        status, line, _ = c.command("AUTHENTICATE PLAIN %%%%")
        assert status == "BAD", line
        # SASL-IR (RFC 4959) with the right identity works.
        status, line, _ = c.command("AUTHENTICATE PLAIN " + plain(ALICE, ALICE, password))
        assert status == "OK", line
        status, line, _ = c.command("SELECT INBOX")
        assert status == "OK", line
    finally:
        c.close()


@pytest.fixture(scope="module")
def tls_required(tmp_path_factory):
    for name in ("mailctl", "smtpd", "queued", "imapd", "pop3d"):
        require_built(name)
    sections = {"imapd": "allow_plaintext_auth_on_loopback = false",
                "pop3d": "allow_plaintext_auth_on_loopback = false"}
    with separate_suite(tmp_path_factory.mktemp("tls-required"), sections=sections) as s:
        yield s


def test_imap_login_needs_tls(tls_required):
    s = tls_required
    m = imaplib.IMAP4("127.0.0.1", s.ports["imap"], timeout=10)
    try:
        assert "LOGINDISABLED" in m.capabilities and "STARTTLS" in m.capabilities
        assert "AUTH=PLAIN" not in m.capabilities
        with pytest.raises(imaplib.IMAP4.error, match="PRIVACYREQUIRED"):
            m.login(ALICE, s.passwords[ALICE])
        m.starttls(ssl_context=helpers.unverified_context())
        typ, caps = m.capability()
        assert b"LOGINDISABLED" not in caps[0] and b"STARTTLS" not in caps[0], caps
        typ, _ = m.login(ALICE, s.passwords[ALICE])
        assert typ == "OK"
    finally:
        m.logout()
    # Implicit TLS needs no STARTTLS.
    m = imaplib.IMAP4_SSL("127.0.0.1", s.ports["imaps"], ssl_context=helpers.unverified_context(), timeout=10)
    try:
        assert m.login(ALICE, s.passwords[ALICE])[0] == "OK"
    finally:
        m.logout()


def test_pop3_user_needs_tls(tls_required):
    s = tls_required
    c = Pop3(s.ports["pop3"])
    try:
        assert c.cmd("USER " + ALICE).startswith(b"-ERR")
    finally:
        c.close()
    p = poplib.POP3("127.0.0.1", s.ports["pop3"], timeout=10)
    try:
        p.stls(context=helpers.unverified_context())
        p.user(ALICE)
        assert p.pass_(s.passwords[ALICE]).startswith(b"+OK")
    finally:
        p.quit()
