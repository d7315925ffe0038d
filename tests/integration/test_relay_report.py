"""mailctl report end to end: queued records every recipient attempt in the queue's
delivery history, and `mailctl report` (table) and `mailctl report --json` tally it per
destination domain (docs/operations.md, "Delivery report").

The far ends are relay_env.py's (its `relay` fixture, a fresh suite for this module):
the remote suite's smtpd for remote.test (STARTTLS offered; "550 5.1.1" for an unknown
user) and Postfix's smtp-sink for sink.test (no STARTTLS; -r RCPT answers "450 4.3.0").
Real clients: smtplib (into the queue), imaplib (the DSNs in alice's INBOX), smtp-sink;
the JSON is parsed with Python's json module and checked against queued's own log lines.
"""

import json
import re
import time

from conftest import ALICE
from helpers import DOMAIN, token, wait_until
from relay_env import (CAROL, CAROL_PW, mailbox_message, queue_entries,  # noqa: F401
                        relay, submit_many)


def report_json(s, *args):
    return json.loads(s.mailctl("report", "--json", *args).stdout)


def domain_row(report, name):
    rows = [d for d in report["domains"] if d["domain"] == name]
    assert len(rows) == 1, report
    return rows[0]


def deferrals_logged(s, rcpt):
    """queued's `event=deferred` log lines for `rcpt` (one per recorded deferral)."""
    text = s.logs["queued"].read_text(errors="replace")
    return sum(1 for line in text.splitlines()
               if re.search(r"\bevent=deferred\b", line) and rcpt in line)


def test_report_counts_delivered_deferred_and_bounced_per_domain(relay):
    sender, remote, sink, _ = relay
    tag_ok, tag_5xx, tag_4xx = ("report-ok-" + token(), "report-5xx-" + token(),
                                "report-4xx-" + token())
    nobody = f"nobody-{token()[:8]}@remote.test"
    retry = f"retry-{token()[:6]}@sink.test"

    # Nothing delivered yet: an empty report, not an error.
    empty = report_json(sender)
    assert empty["records"] == 0 and empty["domains"] == [], empty
    assert empty["total"]["delivered"] == 0

    sink.stop()
    sink.start("-r", "RCPT")  # every RCPT: 450 4.3.0
    try:
        submit_many(sender, [([CAROL], tag_ok), ([nobody], tag_5xx), ([retry], tag_4xx)])
        # Delivered over STARTTLS to the remote suite.
        assert mailbox_message(remote.ports["imap"], CAROL, CAROL_PW, tag_ok) is not None
        # The 5xx: a bounce DSN to alice (a local delivery).
        assert mailbox_message(sender.ports["imap"], ALICE, sender.passwords[ALICE],
                               tag_5xx) is not None

        def deferred_twice():
            entries = queue_entries(sender, "--recipient", retry)
            return entries and entries[0]["recipients"][0]["attempts"] >= 2

        ok, _ = wait_until(deferred_twice, deadline=20, interval=0.2)
        assert ok, queue_entries(sender)
        # relay.delay_notice_after = 1: a "delayed" DSN reaches alice (local delivery).
        assert mailbox_message(sender.ports["imap"], ALICE, sender.passwords[ALICE],
                               tag_4xx) is not None
    finally:
        sink.stop()
    sink.start()
    got, _ = wait_until(lambda: sink.count(tag_4xx) >= 1, deadline=20, interval=0.2)
    assert got, queue_entries(sender)
    gone, _ = wait_until(lambda: queue_entries(sender) == [], deadline=15)
    assert gone, queue_entries(sender)

    deferrals = deferrals_logged(sender, retry)
    assert deferrals >= 2
    report = report_json(sender, "--since", "1h")
    print(json.dumps(report, indent=1))

    r = domain_row(report, "remote.test")
    assert (r["delivered"], r["deferred"], r["bounced"]) == (1, 0, 1), r
    assert (r["delivered_tls"], r["delivered_plain"], r["tls_percent"]) == (1, 0, 100.0), r
    assert r["bounce_classes"] == {"hard": 1}, r

    k = domain_row(report, "sink.test")
    # Every deferral queued logged is a record; smtp-sink offers no STARTTLS.
    assert (k["delivered"], k["deferred"], k["bounced"]) == (1, deferrals, 0), k
    assert (k["delivered_tls"], k["delivered_plain"], k["tls_percent"]) == (0, 1, 0.0), k
    # 450 at RCPT is "soft"; an attempt while the sink restarts may be classed otherwise.
    assert sum(k["deferral_classes"].values()) == deferrals, k
    assert k["deferral_classes"].get("soft", 0) >= 2 and k["bounce_classes"] == {}, k

    # The two DSNs to alice: local deliveries, no SMTP session, so no TLS share.
    local = domain_row(report, DOMAIN)
    assert (local["delivered"], local["deferred"], local["bounced"]) == (2, 0, 0), local
    assert local["tls_percent"] is None and local["delivered_tls"] == 0, local

    total = report["total"]
    assert (total["delivered"], total["deferred"], total["bounced"]) == (4, deferrals, 1), total
    assert total["tls_percent"] == 50.0, total  # 1 of the 2 SMTP deliveries
    assert report["records"] == 5 + deferrals and report["others"] is None, report
    # Most attempts first.
    counts = [d["delivered"] + d["deferred"] + d["bounced"] for d in report["domains"]]
    assert counts == sorted(counts, reverse=True), report

    # The table says the same.
    text = sender.mailctl("report", "--since", "1h").stdout
    print(text)
    lines = {ln.split()[0]: ln.split() for ln in text.splitlines()[2:]}
    assert lines["remote.test"] == ["remote.test", "1", "0", "1", "100%", "hard:1"], text
    assert lines["sink.test"] == ["sink.test", "1", str(deferrals), "0", "0%", "-"], text
    assert lines[DOMAIN] == [DOMAIN, "2", "0", "0", "-", "-"], text
    assert lines["total"] == ["total", "4", str(deferrals), "1", "50%", "hard:1"], text

    # One domain, in any case; the top N lines, then the others in one.
    only = report_json(sender, "--domain", "REMOTE.test")
    assert [d["domain"] for d in only["domains"]] == ["remote.test"], only
    assert only["total"]["bounced"] == 1 and only["domain_filter"] == "remote.test"
    top = report_json(sender, "--top", "1")
    assert len(top["domains"]) == 1 and top["others"]["domains"] == 2, top
    assert top["total"] == report["total"], top
    assert "(2 other domains)" in sender.mailctl("report", "--top", "1").stdout
    # A period after the deliveries is empty.
    later = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 1))
    time.sleep(1.5)
    assert report_json(sender, "--since", later)["records"] == 0


def test_report_refuses_bad_options(relay):
    sender, _, _, _ = relay
    for args, words in ((["--since", "yesterday"], "--since"),
                        (["--since", "2999-01-01"], "future"),
                        (["--top", "0"], "--top"),
                        (["--top", "10001"], "--top"),
                        (["--domain", "x" * 256], "--domain")):
        r = sender.mailctl("report", *args, check=False)
        assert r.returncode == 1 and words in r.stderr, (args, r.stdout, r.stderr)
    r = sender.mailctl("report", "--bogus", check=False)
    assert r.returncode == 2, r.stderr
