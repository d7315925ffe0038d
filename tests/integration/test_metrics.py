"""Prometheus metrics: each daemon serves /metrics on its <daemon>.metrics_listen port.
curl scrapes all four; the values move as real clients (smtplib, imaplib, poplib) work:
connections, commands, accepted and rejected messages by reason, deliveries, the queue's
length and age (a recipient over quota stays deferred), login failures, the store's size,
latency histograms. The endpoint refuses other paths and methods."""

import json
import poplib
import re
import smtplib
import subprocess

import pytest

import helpers
from conftest import ALICE, pick_ports, require_built, separate_suite

DAEMONS = ("smtpd", "queued", "imapd", "pop3d")
LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def scrape(port):
    """{(name, labels): value} of one scrape, through curl."""
    r = subprocess.run(["curl", "-sS", "--max-time", "10", f"http://127.0.0.1:{port}/metrics"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    out = {}
    for line in r.stdout.splitlines():
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        assert m, f"not a sample line in the text format: {line!r}"
        out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def value(samples, name, labels=""):
    return samples.get((name, labels), 0.0)


@pytest.fixture(scope="module")
def metered(tmp_path_factory):
    for name in ("mailctl", *DAEMONS):
        require_built(name)
    ports = pick_ports(DAEMONS)
    sections = {d: f'metrics_listen = "127.0.0.1:{ports[d]}"' for d in DAEMONS}
    with separate_suite(tmp_path_factory.mktemp("metrics"), sections=sections) as s:
        s.metrics_ports = ports
        yield s


def test_every_daemon_serves_metrics(metered):
    for daemon in DAEMONS:
        samples = scrape(metered.metrics_ports[daemon])
        assert value(samples, "process_resident_memory_bytes") > 100_000, daemon
        assert value(samples, "process_open_fds") > 3, daemon
        assert value(samples, "process_start_time_seconds") > 1_600_000_000, daemon


def test_values_move_with_traffic(metered):
    s = metered
    p = s.metrics_ports
    before = {d: scrape(p[d]) for d in DAEMONS}

    # SMTP: one accepted message, one unknown user (550 5.1.1), one relay attempt (5.7.1).
    tag = helpers.token()
    helpers.smtp_send(s.ports["smtp"], "sender@outside.test", [ALICE], helpers.make_message(tag))
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=10) as c:
        c.ehlo("client.outside.test")
        c.mail("sender@outside.test")
        assert c.rcpt("nobody@" + helpers.DOMAIN)[0] == 550
        assert c.rcpt("someone@elsewhere.test")[0] in (550, 554)
    helpers.imap_wait(s.ports["imap"], ALICE, s.passwords[ALICE], tag)

    # A recipient over quota: queued defers it, so the queue holds it.
    full = s.new_user("full")
    s.mailctl("quota", "set", full, "--messages", "0")
    helpers.smtp_send(s.ports["smtp"], "sender@outside.test", [full], helpers.make_message(tag + "q"))

    # IMAP commands; POP3 logins, one with a wrong password.
    m = helpers.imap_login(s.ports["imap"], ALICE, s.passwords[ALICE])
    m.select("INBOX")
    m.noop()
    m.logout()
    pop = helpers.pop3_login(s.ports["pop3"], ALICE, s.passwords[ALICE])
    pop.stat()
    pop.quit()
    bad = poplib.POP3("127.0.0.1", s.ports["pop3"], timeout=10)
    bad.user(ALICE)
    with pytest.raises(poplib.error_proto):
        bad.pass_("wrong password")
    bad.quit()

    def queued_has_deferred():
        q = scrape(p["queued"])
        return q if value(q, "mail_deliveries_total", '{result="deferred"}') > \
            value(before["queued"], "mail_deliveries_total", '{result="deferred"}') else None
    q, _ = helpers.wait_until(queued_has_deferred, deadline=10)
    assert q, "queued never counted the deferred delivery"

    smtp = scrape(p["smtpd"])
    b = before["smtpd"]
    assert value(smtp, "mail_connections_total", '{listener="smtp"}') >= \
        value(b, "mail_connections_total", '{listener="smtp"}') + 3
    assert value(smtp, "mail_connections_open", '{listener="smtp"}') == 0
    assert value(smtp, "mail_smtp_messages_accepted_total") == \
        value(b, "mail_smtp_messages_accepted_total") + 2
    assert value(smtp, "mail_smtp_rejections_total", '{code="550",status="5.1.1"}') == \
        value(b, "mail_smtp_rejections_total", '{code="550",status="5.1.1"}') + 1
    relay = sum(v for (n, lab), v in smtp.items()
                if n == "mail_smtp_rejections_total" and 'status="5.7.1"' in lab)
    relay_before = sum(v for (n, lab), v in b.items()
                       if n == "mail_smtp_rejections_total" and 'status="5.7.1"' in lab)
    assert relay == relay_before + 1
    assert value(smtp, "mail_commands_total", '{protocol="smtp",command="DATA"}') == \
        value(b, "mail_commands_total", '{protocol="smtp",command="DATA"}') + 2
    assert value(smtp, "mail_smtp_enqueue_duration_seconds_count") == \
        value(b, "mail_smtp_enqueue_duration_seconds_count") + 2
    assert value(smtp, "mail_command_duration_seconds_bucket",
                 '{protocol="smtp",command="DATA",le="+Inf"}') >= 2

    assert value(q, "mail_deliveries_total", '{result="delivered"}') >= \
        value(before["queued"], "mail_deliveries_total", '{result="delivered"}') + 1
    assert value(q, "mail_delivery_batch_duration_seconds_count", '{agent="local"}') >= 2
    assert value(q, "mail_lmdb_file_bytes", '{environment="store"}') > 0
    assert value(q, "mail_lmdb_file_bytes", '{environment="queue"}') > 0
    # The queue's numbers agree with mailctl's view of the queue.
    listed = json.loads(s.mailctl("queue", "list", "--json").stdout)
    assert len(listed) >= 1, "the over-quota message left the queue"
    # The queue gauges are read at most once per second (MetricsLimits::collect_interval,
    # so that a scrape storm cannot load the store): the first scrape after that shows it.
    def gauge_shows_queue():
        g = scrape(p["queued"])
        return g if value(g, "mail_queue_messages") == len(listed) else None
    g, _ = helpers.wait_until(gauge_shows_queue, deadline=5, interval=0.2)
    assert g, f"mail_queue_messages never showed the {len(listed)} queued message(s)"
    # Seconds since the oldest arrival (not since the epoch), the message a few seconds old.
    assert 0 <= value(g, "mail_queue_oldest_age_seconds") < 600

    imap = scrape(p["imapd"])
    assert value(imap, "mail_commands_total", '{protocol="imap",command="NOOP"}') == \
        value(before["imapd"], "mail_commands_total", '{protocol="imap",command="NOOP"}') + 1
    assert value(imap, "mail_connections_total", '{listener="imap"}') >= \
        value(before["imapd"], "mail_connections_total", '{listener="imap"}') + 2

    pop3 = scrape(p["pop3d"])
    assert value(pop3, "mail_auth_failures_total", '{protocol="pop3"}') == \
        value(before["pop3d"], "mail_auth_failures_total", '{protocol="pop3"}') + 1
    assert value(pop3, "mail_auth_attempts_total", '{protocol="pop3",result="success"}') >= \
        value(before["pop3d"], "mail_auth_attempts_total", '{protocol="pop3",result="success"}') + 1
    assert value(pop3, "mail_commands_total", '{protocol="pop3",command="STAT"}') == \
        value(before["pop3d"], "mail_commands_total", '{protocol="pop3",command="STAT"}') + 1


def test_endpoint_refuses_other_requests(metered):
    port = metered.metrics_ports["smtpd"]
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                        f"http://127.0.0.1:{port}/"], capture_output=True, text=True, timeout=20)
    assert r.stdout == "404"
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                        f"http://127.0.0.1:{port}/metrics"], capture_output=True, text=True,
                       timeout=20)
    assert r.stdout == "405"
    # Off by default: the session suite's daemons do not listen for metrics.
