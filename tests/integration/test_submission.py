"""Message submission (RFC 6409, RFC 8314) and SMTP AUTH (RFC 4954) against the real
daemons with real clients: a swaks matrix over the three listeners (25, 587, 465) x
plaintext / STARTTLS / implicit TLS x AUTH PLAIN / LOGIN, with PIPELINING and an 8-bit
body; Python smtplib (starttls, login, send_message, SMTPUTF8 addresses); the submission
policy (sending as another user refused at MAIL and in From:, Date and Message-ID added,
the Received header with TLS and the user); foreign mail from an authenticated session
waiting in the queue for the relay agent; and the refusals an unauthenticated client gets.

Two suites: the session suite (defaults: no AUTH before TLS, none on port 25) and a
module suite with smtpd.allow_plaintext_auth_on_loopback and smtpd.auth_on_mx, whose
DNS resolver does not answer (relay attempts fail temporarily, whether or not the relay
agent exists yet). Delivered messages are read back with imaplib."""

import json
import re
import smtplib
import ssl
import subprocess
from email.message import EmailMessage

import pytest

import helpers
from conftest import ALICE, BOB, report_figure, require_built, separate_suite
from helpers import Smtp, expect, imap_find, imap_login, imap_wait, literal, token, wait_until

LOOPBACK_SECTIONS = {
    "smtpd": "allow_plaintext_auth_on_loopback = true\nauth_on_mx = true",
    # Nothing answers on the discard port: every lookup of the relay fails temporarily.
    "dns": 'resolvers = ["127.0.0.1@9"]\ntimeout = 1',
}


@pytest.fixture
def running(suite):
    suite.require("mailctl", "smtpd", "queued", "imapd")
    return suite


@pytest.fixture(scope="module")
def loopback(tmp_path_factory):
    for name in ("mailctl", "smtpd", "queued", "imapd"):
        require_built(name)
    with separate_suite(tmp_path_factory.mktemp("submission-loopback"),
                        sections=LOOPBACK_SECTIONS) as s:
        yield s


def fetch(suite, user, tag):
    """The delivered message tagged `tag` from user's INBOX."""
    uids, _ = imap_wait(suite.ports["imap"], user, suite.passwords[user], tag)
    assert len(uids) == 1, uids
    m = imap_login(suite.ports["imap"], user, suite.passwords[user])
    try:
        m.select("INBOX")
        typ, data = m.uid("FETCH", str(uids[0]), "(BODY.PEEK[])")
        assert typ == "OK", data
        return literal(data)
    finally:
        m.logout()


def received(message):
    """Our Received header, unfolded (the one right after Return-Path)."""
    lines = message.split(b"\r\n")
    assert lines[1].startswith(b"Received: "), message[:300]
    i = 2
    while lines[i].startswith(b"\t"):
        i += 1
    return b" ".join(ln.strip() for ln in lines[1:i]).decode()


def ehlo_lines(port, tls=False, starttls=False):
    s = Smtp(port, tls=tls)
    try:
        lines = s.ehlo()
        if starttls:
            s.starttls()
            lines = s.ehlo()
        s.cmd("QUIT")
        return lines
    finally:
        s.close()


# --- EHLO per port -----------------------------------------------------------------------


def test_ehlo_per_port(running, loopback):
    """AUTH is offered only over TLS on 587/465, never on 25 by default; the loopback key
    and smtpd.auth_on_mx add it where the tests show. Prints every EHLO for the report."""
    p, lp = running.ports, loopback.ports
    seen = {
        "25 plain": ehlo_lines(p["smtp"]),
        "25 STARTTLS": ehlo_lines(p["smtp"], starttls=True),
        "587 plain": ehlo_lines(p["submission"]),
        "587 STARTTLS": ehlo_lines(p["submission"], starttls=True),
        "465 implicit TLS": ehlo_lines(p["submissions"], tls=True),
        "25 plain (loopback key, auth_on_mx)": ehlo_lines(lp["smtp"]),
        "587 plain (loopback key)": ehlo_lines(lp["submission"]),
    }
    auth = {k: [ln for ln in v if ln.startswith("AUTH")] for k, v in seen.items()}
    full = "AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN LOGIN"  # TLS 1.3
    plain_auth = "AUTH SCRAM-SHA-256 PLAIN LOGIN"
    assert auth["25 plain"] == [] and auth["25 STARTTLS"] == [] and auth["587 plain"] == []
    assert auth["587 STARTTLS"] == [full] and auth["465 implicit TLS"] == [full]
    assert auth["25 plain (loopback key, auth_on_mx)"] == [plain_auth]
    assert auth["587 plain (loopback key)"] == [plain_auth]
    assert "STARTTLS" in seen["587 plain"] and "STARTTLS" not in seen["587 STARTTLS"]
    for where, lines in seen.items():
        report_figure(f"EHLO {where}: " + " | ".join(lines[1:]))


# --- the swaks matrix --------------------------------------------------------------------

# (listener, TLS mode, which suite, AUTH offered there?)
MATRIX = [
    ("smtp", "plain", "session", False),
    ("smtp", "starttls", "session", False),
    ("submission", "plain", "session", False),
    ("submission", "starttls", "session", True),
    ("submissions", "implicit", "session", True),
    ("smtp", "plain", "loopback", True),
    ("smtp", "starttls", "loopback", True),
    ("submission", "plain", "loopback", True),
    ("submission", "starttls", "loopback", True),
    ("submissions", "implicit", "loopback", True),
]
_matrix_rows = []


def swaks(port, tls, mechanism, user, password, sender, rcpt, data_path):
    args = ["swaks", "--server", "127.0.0.1", "--port", str(port), "--from", sender,
            "--to", rcpt, "--helo", "client.example.test", "--pipeline", "--data", "@" + str(data_path),
            "--auth", mechanism, "--auth-user", user, "--auth-password", password,
            "--timeout", "15"]
    if tls == "starttls":
        args.append("--tls")
    elif tls == "implicit":
        args.append("--tls-on-connect")
    r = subprocess.run(args, capture_output=True, timeout=60)
    # swaks writes the transcript to stdout and its own errors ("*** ...") to stderr.
    return r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
@pytest.mark.parametrize("listener,tls,which,offered", MATRIX)
def test_swaks_matrix(request, mechanism, listener, tls, which, offered, tmp_path):
    s = request.getfixturevalue("suite" if which == "session" else "loopback")
    s.require("smtpd", "queued", "imapd")
    rcpt = s.new_user("swaks")
    tag = token()
    body = (f"From: <{ALICE}>\r\nTo: <{rcpt}>\r\nSubject: {tag}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            "Grüße über 8 Bit.\r\n")
    path = tmp_path / "m.eml"
    path.write_bytes(body.encode()[:-2])  # swaks adds the last CRLF
    code, out = swaks(s.ports[listener], tls, mechanism, ALICE, s.passwords[ALICE], ALICE, rcpt,
                      path)
    port = {"smtp": 25, "submission": 587, "submissions": 465}[listener]
    if not offered:
        assert code != 0, out
        assert "Host did not advertise authentication" in out, out
        outcome = "AUTH not offered, refused"
    else:
        assert code == 0, out
        assert re.search(r"<[-~] +235 2\.7\.0 ", out), out
        assert "PIPELINING" in out and re.search(r"<[-~] +250 2\.0\.0 Ok: queued as", out), out
        message = fetch(s, rcpt, tag)
        assert "Grüße über 8 Bit.".encode() in message
        trace = received(message)
        assert f"(authenticated as {ALICE})" in trace, trace
        if tls == "plain":
            assert "with ESMTPA " in trace and "using TLS" not in trace, trace
        else:
            assert "with ESMTPSA " in trace, trace
            assert re.search(r"\(using TLSv1\.3 with cipher TLS_\w+\)", trace), trace
        outcome = "235, delivered"
    key = "loopback key + auth_on_mx" if which == "loopback" else "defaults"
    _matrix_rows.append(f"swaks {port} {tls} AUTH {mechanism} ({key}): {outcome}")
    report_figure(_matrix_rows[-1])


# --- smtplib -----------------------------------------------------------------------------


def test_smtplib_starttls_login_send_message(running):
    rcpt = running.new_user("smtplib")
    tag = token()
    msg = EmailMessage()
    msg["From"] = f"Alice <{ALICE}>"
    msg["To"] = rcpt
    msg["Subject"] = tag
    msg.set_content("sent with smtplib over STARTTLS\n")
    with smtplib.SMTP("127.0.0.1", running.ports["submission"], timeout=10) as s:
        s.ehlo("client.example.test")
        assert not s.has_extn("auth")  # nothing before TLS
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            s.send_message(msg)
        assert refused.value.smtp_code == 530, refused.value
        s.starttls(context=helpers.unverified_context())
        s.ehlo("client.example.test")
        assert s.has_extn("auth")
        code, text = s.login(ALICE, running.passwords[ALICE])
        assert code == 235 and text.startswith(b"2.7.0"), (code, text)
        assert s.send_message(msg) == {}
    message = fetch(running, rcpt, tag)
    # RFC 6409 8.2 and 8.3: email.message set neither Date nor Message-ID.
    assert re.search(rb"\r\nDate: \w{3}, \d{2} \w{3} \d{4} ", message), message[:600]
    assert re.search(rb"\r\nMessage-ID: <\w+@" + helpers.HOSTNAME.encode() + rb">\r\n", message), \
        message[:600]


def test_sending_limit_per_user(running):
    """`mailctl limit set USER 2 0`: the user's third message in the hour gets 450 4.7.1 at
    MAIL FROM (smtplib sees SMTPSenderRefused), the first two arrive; `limit list` shows
    the limit and `limit remove` lifts it."""
    user = running.new_user("limited")
    rcpt = running.new_user("limited-rcpt")
    running.mailctl("limit", "set", user, "2", "0")
    assert user in running.mailctl("limit", "list").stdout
    tags = [token() for _ in range(3)]

    def message(tag):
        msg = EmailMessage()
        msg["From"] = user
        msg["To"] = rcpt
        msg["Subject"] = tag
        msg.set_content("limited\n")
        return msg

    with smtplib.SMTP("127.0.0.1", running.ports["submission"], timeout=10) as s:
        s.starttls(context=helpers.unverified_context())
        s.login(user, running.passwords[user])
        assert s.send_message(message(tags[0])) == {}
        assert s.send_message(message(tags[1])) == {}
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            s.send_message(message(tags[2]))
        assert refused.value.smtp_code == 450, refused.value
        assert refused.value.smtp_error.startswith(b"4.7.1"), refused.value
        running.mailctl("limit", "remove", user)
        s.rset()
        assert s.send_message(message(tags[2])) == {}
    for tag in tags:
        fetch(running, rcpt, tag)


def test_smtplib_implicit_tls_smtputf8(running):
    """SMTPUTF8 (RFC 6531) from an authenticated user's UTF-8 alias, to a UTF-8 alias."""
    sender, rcpt_alias = f"jörg-{token()[:6]}@{helpers.DOMAIN}", f"zoë-{token()[:6]}@{helpers.DOMAIN}"
    rcpt = running.new_user("utf8")
    running.mailctl("alias", "add", sender, ALICE)
    running.mailctl("alias", "add", rcpt_alias, rcpt)
    tag = token()
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = rcpt_alias
    msg["Subject"] = tag
    msg.set_content("UTF-8 addresses\n")
    with smtplib.SMTP_SSL("127.0.0.1", running.ports["submissions"], timeout=10,
                          context=helpers.unverified_context()) as s:
        s.login(ALICE, running.passwords[ALICE])
        assert s.has_extn("smtputf8")
        # send_message itself asks for SMTPUTF8 (and BODY=8BITMIME) for UTF-8 addresses.
        s.send_message(msg)
    message = fetch(running, rcpt, tag)
    assert f"From: {sender}".encode() in message


def test_login_failures_and_codes(running):
    """535 for a wrong password, 501 5.7.0 for "*", 503 for AUTH twice, 504 for an
    unknown mechanism, and the session ends after smtpd.max_auth_failures failures."""
    user = running.new_user("authfail")
    s = Smtp(running.ports["submissions"], tls=True)
    try:
        s.ehlo()
        expect(s.cmd("MAIL FROM:<" + user + ">"), 530, "5.7.0")
        expect(s.cmd("AUTH LOGIN"), 334)
        expect(s.cmd("*"), 501, "5.7.0")
        expect(s.cmd("AUTH DIGEST-MD5"), 504, "5.5.4")
        expect(s.cmd("AUTH PLAIN " + plain("", user, "wrong")), 535, "5.7.8")
        expect(s.cmd("AUTH PLAIN " + plain("", user, running.passwords[user])), 235, "2.7.0")
        expect(s.cmd("AUTH PLAIN " + plain("", user, running.passwords[user])), 503, "5.5.1")
    finally:
        s.close()
    s = Smtp(running.ports["submissions"], tls=True)
    try:
        s.ehlo()
        for _ in range(2):
            expect(s.cmd("AUTH PLAIN " + plain("", user, "wrong")), 535, "5.7.8")
        expect(s.cmd("AUTH PLAIN " + plain("", user, "wrong")), 535, "5.7.8")
        expect(s.reply(), 421, "4.7.0")
    finally:
        s.close()


def plain(authzid, authcid, password):
    import base64
    return base64.b64encode(f"{authzid}\0{authcid}\0{password}".encode()).decode()


# --- the submission policy ---------------------------------------------------------------


def test_sending_as_another_user_is_refused(running):
    """MAIL FROM another user's address: 553 5.7.1 (swaks, the usual client of admins);
    the same in From: with a correct envelope: 550 5.7.1 after the data (smtplib)."""
    rcpt = running.new_user("sendas")
    r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(running.ports["submissions"]),
                        "--tls-on-connect", "--auth", "PLAIN", "--auth-user", ALICE,
                        "--auth-password", running.passwords[ALICE], "--from", BOB, "--to", rcpt,
                        "--timeout", "15"], capture_output=True, timeout=60)
    out = r.stdout.decode("utf-8", "replace")
    assert r.returncode != 0, out
    # swaks marks an error reply "<**" in plaintext and "<~*" over TLS.
    assert re.search(r"<[*~]\* +553 5\.7\.1 Sender address rejected: not owned by user " + ALICE, out), out
    tag = token()
    with smtplib.SMTP_SSL("127.0.0.1", running.ports["submissions"], timeout=10,
                          context=helpers.unverified_context()) as s:
        s.login(ALICE, running.passwords[ALICE])
        with pytest.raises(smtplib.SMTPDataError) as refused:
            s.sendmail(ALICE, [rcpt], f"From: Bob <{BOB}>\r\nSubject: {tag}\r\n\r\nforged\r\n")
        assert refused.value.smtp_code == 550 and refused.value.smtp_error.startswith(b"5.7.1"), \
            refused.value
    m = imap_login(running.ports["imap"], rcpt, running.passwords[rcpt])
    try:
        assert imap_find(m, tag) == {}
    finally:
        m.logout()


def test_granted_address_and_alias_may_be_used(running):
    """mailctl sender allow (a shared mailbox) and an alias of the user's; Sender: is kept
    when given and added (the submitter) when From: is the shared address alone."""
    user = running.new_user("granted")
    shared, alias = f"shared-{token()[:6]}@{helpers.DOMAIN}", f"alias-{token()[:6]}@{helpers.DOMAIN}"
    running.mailctl("alias", "add", alias, user)
    with smtplib.SMTP_SSL("127.0.0.1", running.ports["submissions"], timeout=10,
                          context=helpers.unverified_context()) as s:
        s.login(user, running.passwords[user])
        with pytest.raises(smtplib.SMTPSenderRefused):
            s.sendmail(shared, [ALICE], b"Subject: x\r\n\r\nx\r\n")
        s.rset()
        running.mailctl("sender", "allow", user, shared)
        tag = token()
        s.sendmail(shared, [ALICE], f"From: <{shared}>\r\nSender: <{alias}>\r\nSubject: {tag}\r\n\r\nok\r\n")
        # No Sender: this time: the MSA names the submitter (RFC 6409 8.1).
        tag2 = token()
        s.sendmail(shared, [ALICE], f"From: Team <{shared}>\r\nSubject: {tag2}\r\n\r\nok\r\n")
    kept = fetch(running, ALICE, tag)
    assert f"\r\nSender: <{alias}>\r\n".encode() in kept and b"Sender: <" + user.encode() not in kept
    added = fetch(running, ALICE, tag2)
    assert f"\r\nSender: <{user}>\r\n".encode() in added, added[:600]


def test_unauthenticated_relay_refused(running):
    """No AUTH, no relay: on port 25 (554 5.7.1), and the submission ports want AUTH
    before anything (530 5.7.0), with curl as the client."""
    for port, expected in ((running.ports["smtp"], 554), (running.ports["submissions"], 530)):
        s = Smtp(port, tls=port == running.ports["submissions"])
        try:
            s.ehlo()
            code, _ = s.cmd(f"MAIL FROM:<{ALICE}>")
            if code == 250:
                expect(s.cmd("RCPT TO:<someone@remote.test>"), expected, "5.7.1")
            else:
                assert code == expected, code
        finally:
            s.close()


def test_authenticated_foreign_mail_waits_for_relay(loopback):
    """Mail from an authenticated session to another domain is queued for the relay
    agent; while it cannot be delivered (no relay agent yet, or here a resolver that
    never answers) the recipient stays pending and `mailctl queue list` shows it."""
    s = loopback
    rcpt = f"someone-{token()[:6]}@remote.test"
    with smtplib.SMTP("127.0.0.1", s.ports["submission"], timeout=10) as c:
        c.starttls(context=helpers.unverified_context())
        c.login(ALICE, s.passwords[ALICE])
        c.sendmail(ALICE, [rcpt, ALICE], f"From: <{ALICE}>\r\nSubject: relay\r\n\r\nout\r\n")

    def attempted():
        r = s.mailctl("queue", "list", "--json", "--recipient", rcpt)
        entries = json.loads(r.stdout)
        if len(entries) == 1 and entries[0]["recipients"][0]["attempts"] >= 1:
            return entries[0]
        return None

    entry, _ = wait_until(attempted, deadline=20)
    assert entry, s.mailctl("queue", "list").stdout
    assert entry["client"] == ALICE and entry["sender"] == ALICE
    states = {r["address"]: r["state"] for r in entry["recipients"]}
    assert states[rcpt] == "pending", entry
    # The local recipient of the same message was delivered meanwhile.
    assert states.get(ALICE) in (None, "delivered"), entry
    text = s.mailctl("queue", "list").stdout
    assert rcpt in text, text
