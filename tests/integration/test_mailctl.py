"""mailctl against the live data directory: domains, users and aliases are added, listed
and removed; a password change takes effect at the next IMAP login; store check passes;
quotas are set, shown and enforced."""

import imaplib
import time

import pytest

import helpers
from helpers import imap_login, token


@pytest.fixture
def ctl(suite):
    suite.require("mailctl")
    return suite


def listed(ctl, *args):
    return ctl.mailctl(*args).stdout


def test_domain_add_list_remove(ctl):
    domain = f"d{token()[:8]}.test"
    ctl.mailctl("domain", "add", domain)
    assert domain in listed(ctl, "domain", "list")
    assert helpers.DOMAIN in listed(ctl, "domain", "list")
    ctl.mailctl("domain", "remove", domain)
    assert domain not in listed(ctl, "domain", "list")


def test_domain_add_rejects_garbage(ctl):
    r = ctl.mailctl("domain", "add", "not a domain!", check=False)
    assert r.returncode != 0 and r.stderr.strip(), r


def test_user_add_list_remove(ctl):
    user = f"u{token()[:8]}@{helpers.DOMAIN}"
    ctl.mailctl("user", "add", user, input="pw-one\n")
    assert user in listed(ctl, "user", "list")
    dup = ctl.mailctl("user", "add", user, input="pw-two\n", check=False)
    assert dup.returncode != 0, "adding an existing user succeeded"
    ctl.mailctl("user", "remove", user)
    assert user not in listed(ctl, "user", "list")


def test_user_add_unknown_domain_fails(ctl):
    r = ctl.mailctl("user", "add", f"x@nowhere-{token()[:6]}.test", input="pw\n", check=False)
    assert r.returncode != 0 and r.stderr.strip(), r


def test_alias_add_list_remove(ctl):
    alias = f"a{token()[:8]}@{helpers.DOMAIN}"
    ctl.mailctl("alias", "add", alias, "alice@" + helpers.DOMAIN)
    out = listed(ctl, "alias", "list")
    assert alias in out and "alice@" + helpers.DOMAIN in out, out
    ctl.mailctl("alias", "remove", alias)
    assert alias not in listed(ctl, "alias", "list")


def test_user_passwd_changes_login(ctl):
    ctl.require("imapd")
    user = ctl.new_user("passwd")
    old = ctl.passwords[user]
    imap_login(ctl.ports["imap"], user, old).logout()
    new = "new-" + token()
    ctl.mailctl("user", "passwd", user, input=new + "\n")
    ctl.passwords[user] = new
    m = imaplib.IMAP4("127.0.0.1", ctl.ports["imap"], timeout=helpers.TIMEOUT)
    try:
        with pytest.raises(imaplib.IMAP4.error):
            m.login(user, old)
    finally:
        m.shutdown()
    imap_login(ctl.ports["imap"], user, new).logout()


def test_removed_user_cannot_log_in_or_receive(ctl):
    ctl.require("imapd", "smtpd")
    user = ctl.new_user("gone")
    pw = ctl.passwords[user]
    ctl.mailctl("user", "remove", user)
    m = imaplib.IMAP4("127.0.0.1", ctl.ports["imap"], timeout=helpers.TIMEOUT)
    try:
        with pytest.raises(imaplib.IMAP4.error):
            m.login(user, pw)
    finally:
        m.shutdown()
    s = helpers.Smtp(ctl.ports["smtp"])
    try:
        s.ehlo()
        helpers.expect(s.cmd("MAIL FROM:<a@outside.test>"), 250)
        helpers.expect(s.cmd(f"RCPT TO:<{user}>"), 550, "5.1.1")
    finally:
        s.close()


def test_store_check_ok(ctl):
    r = ctl.mailctl("store", "check")
    assert "ok" in r.stdout.lower(), r.stdout


def test_queue_list_runs(ctl):
    ctl.mailctl("queue", "list")


def test_quota_set_show_and_enforced(ctl):
    """RFC 9208 limits set with mailctl: usage follows delivery; APPEND and delivery over
    the MESSAGE limit store nothing; clearing the limit lets mail in again."""
    ctl.require("imapd", "smtpd", "queued")
    user = ctl.new_user("quota")
    pw = ctl.passwords[user]
    out = ctl.mailctl("quota", "set", user, "--messages", "1", "--storage=10M").stdout
    assert f"{user} storage=0/10485760 messages=0/1" in out, out

    first = token()
    helpers.smtp_send(ctl.ports["smtp"], "s@outside.test", [user], helpers.make_message(first, to=user))
    helpers.imap_wait(ctl.ports["imap"], user, pw, first)
    shown = listed(ctl, "quota", "show", user)
    assert "messages=1/1" in shown, shown
    assert user in listed(ctl, "quota", "show")  # every account without an operand

    m = imap_login(ctl.ports["imap"], user, pw)
    try:
        typ, data = m.append("INBOX", None, None, helpers.make_message(token(), to=user))
        assert typ == "NO", (typ, data)
        # Delivery over quota is accepted by smtpd but not stored (queued retries later).
        second = token()
        helpers.smtp_send(ctl.ports["smtp"], "s@outside.test", [user], helpers.make_message(second, to=user))
        time.sleep(1.0)
        assert not helpers.imap_find(m, second)
        typ, data = m.select("INBOX")
        assert data[0] == b"1", data
        ctl.mailctl("quota", "set", user, "--messages", "none")
        typ, data = m.append("INBOX", None, None, helpers.make_message(token(), to=user))
        assert typ == "OK", (typ, data)
    finally:
        m.logout()
    assert "messages=2/none" in listed(ctl, "quota", "show", user)
    assert "ok" in listed(ctl, "store", "check").lower()


def test_quota_bad_arguments(ctl):
    user = ctl.new_user("quotabad")
    for args in (["quota", "set", user],
                 ["quota", "set", user, "--messages", "many"],
                 ["quota", "set", user, "--storage", "12X"],
                 ["quota", "set", "nobody-" + token()[:6] + "@" + helpers.DOMAIN, "--messages", "1"]):
        r = ctl.mailctl(*args, check=False)
        assert r.returncode == 1 and r.stderr.startswith("mailctl:"), (args, r)
    r = ctl.mailctl("quota", "show", "--storage", "1", check=False)
    assert r.returncode == 2, r  # an option of another command: usage error
    r = ctl.mailctl("quota", "set", user, "--messages", check=False)
    assert r.returncode == 2, r


def test_sender_allow_list_deny(ctl):
    alice, bob = "alice@" + helpers.DOMAIN, "bob@" + helpers.DOMAIN
    shared = f"shared-{token()[:6]}@{helpers.DOMAIN}"
    ctl.mailctl("sender", "allow", bob, shared.upper())
    assert f"{bob} {shared}" in listed(ctl, "sender", "list", bob).splitlines()
    assert f"{bob} {shared}" in listed(ctl, "sender", "list").splitlines()
    assert shared not in listed(ctl, "sender", "list", alice)
    again = ctl.mailctl("sender", "allow", bob, shared, check=False)
    assert again.returncode == 1 and "already" in again.stderr, again
    ghost = ctl.mailctl("sender", "allow", f"ghost@{helpers.DOMAIN}", shared, check=False)
    assert ghost.returncode == 1 and "no account" in ghost.stderr, ghost
    usage = ctl.mailctl("sender", "allow", bob, check=False)
    assert usage.returncode == 2 and "sender allow ACCOUNT ADDRESS" in usage.stderr, usage
    ctl.mailctl("sender", "deny", bob, shared)
    assert shared not in listed(ctl, "sender", "list")
    gone = ctl.mailctl("sender", "deny", bob, shared, check=False)
    assert gone.returncode == 1 and "no grant" in gone.stderr, gone


def test_new_and_changed_passwords_get_scram_keys(ctl):
    """add and passwd derive SCRAM-SHA-256 keys: SCRAM works at once over POP3, with the
    new password only."""
    import poplib

    from sasl_clients import Scram, pop3_sasl
    ctl.require("pop3d")
    user = ctl.new_user("scram")

    def scram_login(password):
        p = poplib.POP3("127.0.0.1", ctl.ports["pop3"], timeout=10)
        try:
            def cmd(text):
                try:
                    return p._shortcmd(text)
                except poplib.error_proto as e:
                    return e.args[0]
            return pop3_sasl(cmd, "SCRAM-SHA-256", Scram(user, password).responder(), True)
        finally:
            p.quit()

    assert scram_login(ctl.passwords[user]).startswith(b"+OK")
    ctl.mailctl("user", "passwd", user, input="changed-pw\n")
    assert scram_login("changed-pw").startswith(b"+OK")
    assert scram_login(ctl.passwords[user]).startswith(b"-ERR [AUTH]")
