"""SMTP hardening against the real daemons, over raw sockets where the exact reply code
matters: command lines ending in a bare LF, relay tricks of unauthenticated clients,
postmaster (RFC 5321 4.5.1) with and without configuration, early talkers, the limit on
commands without progress, and SIGTERM while messages are being received.

Trusts the daemons for nothing: every read has a timeout."""

import signal
import socket
import subprocess
import time

import pytest

import helpers
from conftest import ALICE, BOB, Suite, require_built, separate_suite
from helpers import Smtp, expect, imap_wait, token

SENDER = "sender@outside.test"
GREETING_DELAY = 1
MAX_IDLE_COMMANDS = 8
SHUTDOWN_GRACE = 3


@pytest.fixture
def smtp(suite):
    suite.require("mailctl", "smtpd", "queued", "imapd")
    return suite


@pytest.fixture(scope="module")
def hardened(tmp_path_factory):
    """A suite with a greeting delay, a tight command limit and a configured postmaster."""
    for name in ("mailctl", "smtpd", "queued", "imapd"):
        require_built(name)
    sections = {
        "server": f'postmaster = "{BOB}"',
        "smtpd": f"greeting_delay = {GREETING_DELAY}\n"
                 f"max_commands_without_progress = {MAX_IDLE_COMMANDS}",
    }
    with separate_suite(tmp_path_factory.mktemp("hardened"), sections=sections) as s:
        yield s


def send_one(port, rcpt, tag, wait_greeting=True):
    """One message to `rcpt` over a raw session; returns the final reply."""
    s = Smtp(port)
    try:
        s.ehlo()
        expect(s.cmd(f"MAIL FROM:<{SENDER}>"), 250)
        expect(s.cmd(f"RCPT TO:<{rcpt}>"), 250, "2.1.5")
        expect(s.cmd("DATA"), 354)
        s.send(f"Subject: {tag}\r\nMessage-ID: <{tag}@outside.test>\r\n\r\npostmaster test\r\n.\r\n")
        return s.reply()
    finally:
        s.close()


# --- bare LF -----------------------------------------------------------------------------


def test_command_ending_in_bare_lf_is_refused(smtp):
    s = Smtp(smtp.ports["smtp"])
    try:
        s.send("EHLO client.outside.test\n")
        expect(s.reply(), 500, "5.5.2")
        # The EHLO was not acted on: MAIL still needs one.
        expect(s.cmd("MAIL FROM:<a@outside.test>"), 503, "5.5.1")
        s.send("EHLO client.outside.test\r\nNOOP\nNOOP\r\n")
        assert s.reply()[0] == 250
        expect(s.reply(), 500, "5.5.2")
        expect(s.reply(), 250, "2.0.0")
    finally:
        s.close()


def test_bare_lf_commands_count_as_errors(smtp):
    """Errors (bare LF lines included) end the session at smtpd.max_errors (10 here)."""
    s = Smtp(smtp.ports["smtp"])
    try:
        s.send("NOOP\n" * 9)
        for _ in range(9):
            expect(s.reply(), 500, "5.5.2")
        s.send("NOOP\n")
        expect(s.reply(), 500, "5.5.2")
        expect(s.reply(), 421, "4.7.0")
    finally:
        s.close()


# --- relay tricks ------------------------------------------------------------------------


@pytest.mark.parametrize("rcpt, code, enhanced", [
    # The percent hack, bang paths and quoted '@': routing syntax, a relay attempt.
    (f"victim%elsewhere.test@{helpers.DOMAIN}", 554, "5.7.1"),
    (f"elsewhere.test!victim@{helpers.DOMAIN}", 554, "5.7.1"),
    (f'"victim@elsewhere.test"@{helpers.DOMAIN}', 554, "5.7.1"),
    # Address literals: well-formed but never ours; malformed ones are syntax errors.
    ("victim@[192.0.2.1]", 554, "5.7.1"),
    ("victim@[IPv6:2001:db8::1]", 554, "5.7.1"),
    ("victim@[192.0.2.256]", 501, "5.1.3"),
    ("victim@[foo:bar]", 501, "5.1.3"),
    # Source routes: the route is ignored and the mailbox judged (RFC 5321 appendix C).
    (f"@{helpers.DOMAIN}:victim@elsewhere.test", 554, "5.7.1"),
    (f"@a.test,@b.test:{ALICE}", 250, "2.1.5"),
    ("@a.test,b.test:victim@elsewhere.test", 501, "5.1.3"),
    # Plain cases for comparison.
    ("victim@elsewhere.test", 554, "5.7.1"),
    (f'"john doe"@{helpers.DOMAIN}', 550, "5.1.1"),
])
def test_relay_tricks_of_unauthenticated_clients(smtp, rcpt, code, enhanced):
    s = Smtp(smtp.ports["smtp"])
    try:
        s.ehlo()
        expect(s.cmd(f"MAIL FROM:<{SENDER}>"), 250)
        expect(s.cmd(f"RCPT TO:<{rcpt}>"), code, enhanced)
    finally:
        s.close()


def test_relay_trick_with_smtplib(smtp):
    import smtplib
    with smtplib.SMTP("127.0.0.1", smtp.ports["smtp"], timeout=helpers.TIMEOUT) as c:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            c.sendmail(SENDER, [f"victim%elsewhere.test@{helpers.DOMAIN}"], b"Subject: x\r\n\r\nx\r\n")
    code, text = refused.value.recipients[f"victim%elsewhere.test@{helpers.DOMAIN}"]
    assert code == 554 and text.startswith(b"5.7.1"), (code, text)


# --- postmaster --------------------------------------------------------------------------


def test_postmaster_of_every_domain_without_configuration(smtp):
    """postmaster@<a new domain> goes to that domain's first account (address order);
    <Postmaster> works, in any case, with no account or alias created for it."""
    tok = token()[:8]
    domain = f"pm-{tok}.test"
    smtp.mailctl("domain", "add", domain)
    zed, amy = f"zed@{domain}", f"amy@{domain}"
    smtp.add_user(zed, "pw-zed")
    smtp.add_user(amy, "pw-amy")
    tag = token()
    expect(send_one(smtp.ports["smtp"], f"PostMaster@{domain.upper()}", tag), 250, "2.0.0")
    imap_wait(smtp.ports["imap"], amy, smtp.passwords[amy], tag)

    # <Postmaster> without a domain: the postmaster of the first domain in name order.
    first_domain = sorted(smtp.mailctl("domain", "list").stdout.split())[0]
    accounts = sorted(a for a in smtp.mailctl("user", "list").stdout.split()
                      if a.endswith("@" + first_domain))
    tag = token()
    expect(send_one(smtp.ports["smtp"], "Postmaster", tag), 250, "2.0.0")
    imap_wait(smtp.ports["imap"], accounts[0], smtp.passwords[accounts[0]], tag)


def test_configured_postmaster(hardened):
    for rcpt in (f"postmaster@{helpers.DOMAIN}", "POSTMASTER"):
        tag = token()
        expect(send_one(hardened.ports["smtp"], rcpt, tag), 250, "2.0.0")
        imap_wait(hardened.ports["imap"], BOB, hardened.passwords[BOB], tag)


# --- early talkers and the greeting delay ------------------------------------------------


def test_early_talker_is_refused(hardened):
    sock = socket.create_connection(("127.0.0.1", hardened.ports["smtp"]), timeout=10)
    try:
        sock.sendall(b"EHLO bot.outside.test\r\nMAIL FROM:<spam@outside.test>\r\n")
        data = b""
        started = time.monotonic()
        while True:
            try:
                chunk = sock.recv(4096)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        assert data.startswith(b"554 5.5.0 "), data
        assert b"220" not in data, data
        assert time.monotonic() - started < GREETING_DELAY + 3
    finally:
        sock.close()


def test_patient_client_is_greeted_after_the_delay(hardened):
    started = time.monotonic()
    s = Smtp(hardened.ports["smtp"])
    try:
        waited = time.monotonic() - started
        assert s.greeting[0] == 220, s.greeting
        assert GREETING_DELAY - 0.1 <= waited < GREETING_DELAY + 2, waited
        s.ehlo()
        expect(s.cmd("QUIT"), 221)
    finally:
        s.close()
    # The submission port has no delay.
    started = time.monotonic()
    s = Smtp(hardened.ports["submission"])
    try:
        assert s.greeting[0] == 220 and time.monotonic() - started < 0.5
    finally:
        s.close()


def test_swaks_waits_for_the_delayed_greeting(hardened):
    r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(hardened.ports["smtp"]),
                        "--from", SENDER, "--to", ALICE, "--helo", "client.outside.test",
                        "--timeout", "10"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "Ok: queued as" in r.stdout, r.stdout


# --- commands without progress -----------------------------------------------------------


def test_commands_without_progress_at_the_limit(hardened):
    s = Smtp(hardened.ports["smtp"])
    try:
        s.ehlo()  # counts as one
        for verb in ["NOOP", "RSET", "VRFY bob", "HELP", "NOOP", "RSET"]:
            assert s.cmd(verb)[0] in (250, 252, 214), verb
        # A message makes progress and starts the count again.
        expect(s.cmd(f"MAIL FROM:<{SENDER}>"), 250)
        expect(s.cmd(f"RCPT TO:<{ALICE}>"), 250)
        expect(s.cmd("DATA"), 354)
        expect(s.cmd("Subject: progress\r\n\r\nx\r\n."), 250, "2.0.0")
        for i in range(MAX_IDLE_COMMANDS):
            expect(s.cmd("NOOP"), 250, "2.0.0")
        expect(s.cmd("NOOP"), 421, "4.7.0")
        with pytest.raises((ConnectionError, OSError)):
            s.cmd("NOOP")
    finally:
        s.close()


# --- SIGTERM with messages in flight -----------------------------------------------------


def test_sigterm_lets_messages_in_progress_finish(tmp_path):
    """On SIGTERM: a session idle between commands gets 421 4.3.2 at once; a message in
    DATA or in BDAT that completes within smtpd.shutdown_grace gets its 250 (and is in the
    queue afterwards); one that does not complete gets 421 4.3.2 when the grace ends."""
    for name in ("mailctl", "smtpd"):
        require_built(name)
    s = Suite(tmp_path, sections={"smtpd": f"shutdown_grace = {SHUTDOWN_GRACE}"})
    s.write_config()
    s.provision()
    s.start("smtpd")
    port = s.ports["smtp"]

    def begin(rcpt=ALICE):
        c = Smtp(port)
        c.ehlo()
        expect(c.cmd(f"MAIL FROM:<{SENDER}>"), 250)
        expect(c.cmd(f"RCPT TO:<{rcpt}>"), 250)
        return c

    idle = Smtp(port)
    idle.ehlo()
    data_done = begin()
    expect(data_done.cmd("DATA"), 354)
    data_done.send("Subject: finishes in time\r\n\r\nfirst half\r\n")
    stalled = begin(BOB)
    expect(stalled.cmd("DATA"), 354)
    stalled.send("Subject: never finishes\r\n\r\n")
    chunked = begin()
    chunked.send(b"BDAT 9\r\nSubject: ")
    expect(chunked.reply(), 250, "2.0.0")
    time.sleep(0.2)

    started = time.monotonic()
    s.procs["smtpd"].send_signal(signal.SIGTERM)
    try:
        expect(idle.reply(), 421, "4.3.2")
        assert time.monotonic() - started < 1.5
        time.sleep(1.0)  # well inside the grace
        data_done.send("second half\r\n.\r\n")
        code, lines = data_done.reply()
        assert code == 250 and "queued as" in lines[0], (code, lines)
        queued = [lines[0].split()[-1]]
        expect(data_done.reply(), 421, "4.3.2")  # then the goodbye
        chunked.send(b"BDAT 12 LAST\r\nbdat\r\n\r\nok\r\n")
        code, lines = chunked.reply()
        assert code == 250 and "queued as" in lines[0], (code, lines)
        queued.append(lines[0].split()[-1])
        expect(stalled.reply(), 421, "4.3.2")
        waited = time.monotonic() - started
        assert SHUTDOWN_GRACE - 0.5 <= waited < SHUTDOWN_GRACE + 3, waited
        assert s.procs["smtpd"].wait(timeout=15) == 0
    finally:
        for c in (idle, data_done, stalled, chunked):
            c.close()
        if s.procs["smtpd"].poll() is None:
            s.procs["smtpd"].kill()
    listing = s.mailctl("queue", "list").stdout
    for qid in queued:
        assert qid in listing, (qid, listing)
    assert listing.count("\n") == 2, listing
