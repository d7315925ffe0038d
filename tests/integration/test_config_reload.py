"""SIGHUP re-reads the configuration file: live keys (limits, log level) apply to new
sessions at once, a session opened before keeps the limits it started with, keys that
need a restart (listeners) are kept and named in the log, and a broken file changes
nothing. Clients: smtplib, imaplib and raw sockets."""

import re
import signal
import smtplib
import time

import pytest

import helpers
from conftest import ALICE, require_built, separate_suite


@pytest.fixture(scope="module")
def reloadable(tmp_path_factory):
    for name in ("mailctl", "smtpd", "queued", "imapd", "pop3d"):
        require_built(name)
    with separate_suite(tmp_path_factory.mktemp("config-reload"),
                        sections={"smtpd": "max_recipients = 4", "imapd": "max_bad_commands = 20"}) as s:
        yield s


def rewrite(s, **replacements):
    """Edits key lines of the running suite's config file in place."""
    text = s.config.read_text()
    for key, line in replacements.items():
        text, n = re.subn(rf"(?m)^{key} = .*$", line, text, count=1)
        assert n == 1, f"{key} not in the config"
    s.config.write_text(text)


def hup(s, name, event="config_reloaded"):
    log = s.logs[name]
    seen = log.read_text().count(f"event={event}")
    s.procs[name].send_signal(signal.SIGHUP)
    found, _ = helpers.wait_until(lambda: log.read_text().count(f"event={event}") > seen, deadline=5)
    assert found, f"{name} did not log {event} after SIGHUP"
    return log.read_text().splitlines()[-50:]


def accepted_recipients(port, count):
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
        c.ehlo("client.outside.test")
        c.mail("sender@outside.test")
        codes = [c.rcpt(ALICE)[0] for _ in range(count)]
        c.rset()
    return sum(1 for code in codes if code == 250)


def test_limit_and_log_level_change_with_sighup(reloadable):
    s = reloadable
    port = s.ports["smtp"]
    assert accepted_recipients(port, 5) == 4
    # Debug lines (one per command) are written before the reload.
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
        c.noop()
    assert "event=command" in s.logs["smtpd"].read_text()

    # A session that started before the reload keeps its limits.
    old = smtplib.SMTP("127.0.0.1", port, timeout=10)
    old.ehlo("client.outside.test")

    rewrite(s, max_recipients="max_recipients = 2", level='level = "info"')
    lines = hup(s, "smtpd")
    reloaded = [ln for ln in lines if "event=config_reloaded" in ln][-1]
    assert "changed=log.level,smtpd.max_recipients" in reloaded, reloaded

    size_after_reload = s.logs["smtpd"].stat().st_size
    assert accepted_recipients(port, 3) == 2
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
        c.noop()
    new_text = s.logs["smtpd"].read_bytes()[size_after_reload:].decode()
    assert "event=command" not in new_text, "debug lines written after log.level = info"
    assert "level=debug" not in new_text

    old.mail("sender@outside.test")
    assert [old.rcpt(ALICE)[0] for _ in range(4)] == [250, 250, 250, 250]
    old.quit()

    # Back to debug: the lines return.
    rewrite(s, max_recipients="max_recipients = 4", level='level = "debug"')
    hup(s, "smtpd")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
        c.noop()
    assert accepted_recipients(port, 5) == 4
    found, _ = helpers.wait_until(lambda: "event=command" in
                                  s.logs["smtpd"].read_bytes()[size_after_reload:].decode())
    assert found


def test_restart_keys_are_kept_and_named(reloadable):
    s = reloadable
    text = s.config.read_text()
    new_port = s.ports["smtp"] + 100
    s.config.write_text(text.replace(f'listen = "127.0.0.1:{s.ports["smtp"]}"',
                                     f'listen = "127.0.0.1:{new_port}"', 1))
    try:
        lines = hup(s, "smtpd")
        reloaded = [ln for ln in lines if "event=config_reloaded" in ln][-1]
        assert "restart_needed=smtpd.listen" in reloaded, reloaded
        # Still on the old port, as the running daemon was.
        assert accepted_recipients(s.ports["smtp"], 1) == 1
    finally:
        s.config.write_text(text)
        hup(s, "smtpd")


def test_imapd_limit_changes_for_new_sessions(reloadable):
    s = reloadable
    def two_bad_commands():
        c = helpers.Imap(s.ports["imap"])
        c.send(b"a1 BOGUS\r\n")
        assert c.readline().startswith(b"a1 BAD")
        c.send(b"a2 BOGUS\r\n")
        assert c.readline().startswith(b"a2 BAD")
        after = c.pending(0.5)
        c.close()
        return after

    assert b"* BYE" not in two_bad_commands()
    rewrite(s, max_bad_commands="max_bad_commands = 2")
    try:
        hup(s, "imapd")
        assert b"* BYE" in two_bad_commands()
        c = helpers.Imap(s.ports["imap"])
        c.send(b"a1 BOGUS\r\n")
        assert c.readline().startswith(b"a1 BAD")
        c.send(b"a2 BOGUS\r\n")
        rest = c.readline() + c.readline()
        assert b"* BYE" in rest, rest
        c.close()
    finally:
        rewrite(s, max_bad_commands="max_bad_commands = 20")
        hup(s, "imapd")


def test_broken_file_keeps_the_running_configuration(reloadable):
    s = reloadable
    text = s.config.read_text()
    s.config.write_text(text.replace("max_recipients = 4", "max_recipients = 0", 1))
    try:
        hup(s, "smtpd", event="config_reload_failed")
        assert "smtpd.max_recipients" in s.logs["smtpd"].read_text().splitlines()[-1] or \
            "smtpd.max_recipients" in s.logs["smtpd"].read_text()
        assert accepted_recipients(s.ports["smtp"], 5) == 4
    finally:
        s.config.write_text(text)
    hup(s, "smtpd")
    # queued and pop3d read it again too (log.level applies there).
    hup(s, "queued")
    hup(s, "pop3d")
