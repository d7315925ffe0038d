"""Hostile SMTP clients against the real smtpd over real sockets (issue: hardening).
Each attack uses 100 connections (from several loopback addresses, so the per-address
limit does not simply refuse them) while a well-behaved client sends mail from
127.0.0.1 in a loop. Every attack asserts:
  - the attacker gets SMTP's error (421/500/552 with its enhanced code) or is
    disconnected within a bound derived from the configured timeouts,
  - smtpd's VmRSS grows by less than 64 MiB over its baseline,
  - every round of the well-behaved client (connect, EHLO, MAIL, RCPT, DATA, QUIT)
    completes in under 1 s.
The measured figures are printed in the run's summary ("mail suite figures").
"""

import smtplib
import socket
import threading
import time

import pytest

import helpers
import hostile
from conftest import ALICE, MAX_MESSAGE_SIZE, report_figure, require_built, separate_suite

ATTACKERS = 100
WRITE_TIMEOUT = 5
COMMAND_TIMEOUT = 5
DATA_TIMEOUT = 5
MAX_ERRORS = 5

# log.level info, as in production: at debug every command of the flood is a log line
# (one write(2) each), which measures the log file, not the server.
SECTIONS = {
    "log": 'level = "info"',
    "server": f"write_timeout = {WRITE_TIMEOUT}",
    "smtpd": f"command_timeout = {COMMAND_TIMEOUT}\ndata_timeout = {DATA_TIMEOUT}\nmax_errors = {MAX_ERRORS}",
}


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    for name in ("mailctl", "smtpd", "queued", "imapd"):
        require_built(name)
    hostile.skip_without_addresses()
    with separate_suite(tmp_path_factory.mktemp("hostile-smtp"), sections=SECTIONS) as s:
        # One round first, so the baseline includes a served session and a commit.
        good_round(s)()
        yield s


def good_round(s):
    def run():
        with smtplib.SMTP("127.0.0.1", s.ports["smtp"], local_hostname="good.outside.test", timeout=5) as c:
            c.ehlo()
            refused = c.sendmail("good@outside.test", [ALICE], helpers.make_message("good-" + helpers.token()))
            assert not refused, refused
    return run


def attack(s, name, fn):
    return hostile.run_attack(s.pid("smtpd"), good_round(s), f"{name} (smtpd)", fn)


def open_attackers(s, group, n=ATTACKERS, rcvbuf=None):
    socks = [hostile.connect(s.ports["smtp"], hostile.attacker_address(i, group), rcvbuf=rcvbuf)
             for i in range(n)]
    return socks


def test_pipelined_flood_without_reading(smtp):
    """Each attacker pipelines EHLO (a 200-octet reply to 8 octets) and never reads.
    smtpd writes until the attacker's window is full, stops reading it, and closes it
    after write_timeout; memory stays bounded by max_output_buffer per session."""
    def run():
        socks = open_attackers(smtp, 10, rcvbuf=4096)
        try:
            sent = [hostile.send_until_blocked(s, b"EHLO flood.example\r\n" * 512, 1 << 20, seconds=1)
                    for s in socks]
            times = hostile.wait_disconnected(socks, WRITE_TIMEOUT + 15)
            return sent, times
        finally:
            hostile.close_all(socks)
    sampler, good, (sent, times) = attack(smtp, "pipelined flood", run)
    slowest = hostile.require_all_closed(times, WRITE_TIMEOUT + 15, "pipelined flood")
    hostile.report(report_figure, "smtpd", "pipelined-flood", sampler, good,
                   f"sent={sum(sent) >> 20}MiB slowest_cut={slowest:.1f}s")


def test_many_connections_from_one_address(smtp):
    """60 connections from one address: 50 (max_connections_per_ip) are served, the rest
    get 421 4.7.0 and are closed at once."""
    def run():
        socks = [hostile.connect(smtp.ports["smtp"], "127.0.20.1") for _ in range(60)]
        try:
            time.sleep(1.5)  # greetings and refusals arrive; served sessions stay open
            return [hostile.available(s) for s in socks]
        finally:
            hostile.close_all(socks)
    sampler, good, replies = attack(smtp, "one address", run)
    greeted = [d for d, closed in replies if d.startswith(b"220 ") and not closed]
    refused = [d for d, closed in replies if closed]
    assert len(greeted) == 50, [d[:40] for d, _ in replies]
    assert len(refused) == 10 and all(d.startswith(b"421 4.7.0 ") for d in refused), refused
    hostile.report(report_figure, "smtpd", "one-address", sampler, good, "served=50 refused=10")


def test_slowloris(smtp):
    """Each attacker trickles a command one octet per second and never ends it: the
    command timeout covers the whole line, so each gets 421 4.4.2 and is closed."""
    def run():
        socks = open_attackers(smtp, 11)
        stop = threading.Event()

        def trickle():
            text = b"NOOP " + b"x" * 100
            for i in range(len(text)):
                for s in socks:
                    try:
                        s.send(text[i:i + 1])
                    except OSError:
                        pass
                if stop.wait(1.0):
                    return
        t = threading.Thread(target=trickle, daemon=True)
        t.start()
        try:
            results = [hostile.read_reply_then_close(s, COMMAND_TIMEOUT + 8) for s in socks]
        finally:
            stop.set()
            t.join()
            hostile.close_all(socks)
        return results
    sampler, good, results = attack(smtp, "slowloris", run)
    for data, closed in results:
        assert closed, f"slowloris connection still open: {data[-80:]!r}"
        assert data.split(b"\r\n")[-2].startswith(b"421 4.4.2 "), data[-120:]
    hostile.report(report_figure, "smtpd", "slowloris", sampler, good)


def test_huge_lines(smtp):
    """Attackers send 2 MiB lines (limit 1000 octets): each gets 500 5.5.2 once, the rest
    of the line is thrown away unbuffered, and the session stays in step."""
    n = 25

    def run():
        socks = open_attackers(smtp, 12, n=n)
        try:
            def flood(s):
                s.settimeout(20)
                s.sendall(b"A" * (2 << 20) + b"\r\nNOOP\r\nQUIT\r\n")
            threads = [threading.Thread(target=flood, args=(s,), daemon=True) for s in socks]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            return [hostile.read_reply_then_close(s, 15) for s in socks]
        finally:
            hostile.close_all(socks)
    sampler, good, results = attack(smtp, "huge lines", run)
    for data, closed in results:
        lines = data.split(b"\r\n")
        assert closed and lines[0].startswith(b"220 "), data[:200]
        assert lines[1].startswith(b"500 5.5.2 "), data[:200]
        assert lines[2].startswith(b"250 ") and lines[3].startswith(b"221 "), data[:300]
    hostile.report(report_figure, "smtpd", "huge-lines", sampler, good, f"connections={n} line=2MiB")


def test_oversized_data(smtp):
    """Attackers send 2 MiB of DATA (limit 64 KiB): read and discarded as it comes, then
    552 5.3.4; nothing is queued."""
    n = 25

    def run():
        socks = open_attackers(smtp, 13, n=n)
        try:
            def flood(s):
                s.settimeout(20)
                s.sendall(f"EHLO big.example\r\nMAIL FROM:<big@outside.test>\r\nRCPT TO:<{ALICE}>\r\n"
                          "DATA\r\n".encode())
                line = b"x" * 998 + b"\r\n"
                s.sendall(line * (2 << 10) + b".\r\nQUIT\r\n")
            threads = [threading.Thread(target=flood, args=(s,), daemon=True) for s in socks]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            return [hostile.read_reply_then_close(s, 15) for s in socks]
        finally:
            hostile.close_all(socks)
    sampler, good, results = attack(smtp, "oversized DATA", run)
    for data, closed in results:
        assert closed and b"\r\n552 5.3.4 " in data and data.endswith(b"221 2.0.0 Bye\r\n") or \
            b"\r\n221 " in data, data[-300:]
        assert b"\r\n552 5.3.4 " in data, data[-300:]
    assert MAX_MESSAGE_SIZE < (2 << 20)
    hostile.report(report_figure, "smtpd", "oversized-data", sampler, good, f"connections={n} data=4MiB")


def test_error_flood(smtp):
    """Attackers send garbage commands pipelined: after max_errors, 421 4.7.0 and close."""
    def run():
        socks = open_attackers(smtp, 14)
        try:
            for s in socks:
                hostile.send_until_blocked(s, b"GARBAGE\r\n" * 50, 450, seconds=1)
            return [hostile.read_reply_then_close(s, 10) for s in socks]
        finally:
            hostile.close_all(socks)
    sampler, good, results = attack(smtp, "error flood", run)
    for data, closed in results:
        lines = data.split(b"\r\n")
        assert closed, data[-200:]
        assert sum(1 for ln in lines if ln.startswith(b"500 ")) == MAX_ERRORS, data[-400:]
        assert lines[-2].startswith(b"421 4.7.0 "), data[-200:]
    hostile.report(report_figure, "smtpd", "error-flood", sampler, good)
