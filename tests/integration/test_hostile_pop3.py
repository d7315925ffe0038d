"""Hostile POP3 clients against the real pop3d over real sockets (issue: hardening).
Attacks use up to 100 connections (from several loopback addresses, so the per-address
limit does not simply refuse them) while a well-behaved client logs in, lists and
retrieves a message from 127.0.0.1 in a loop. Every attack asserts:
  - the attacker gets POP3's error (-ERR ...) or is disconnected within a bound derived
    from the configured timeouts,
  - pop3d's VmRSS grows by less than 64 MiB over its baseline,
  - every round of the well-behaved client (USER/PASS, STAT, RETR, QUIT) completes in
    under 1 s.
The measured figures are printed in the run's summary ("mail suite figures").
"""

import poplib
import threading
import time

import pytest

import helpers
import hostile
from conftest import ALICE, SANITIZED, report_figure, require_built, separate_suite

ATTACKERS = 100
WRITE_TIMEOUT = 5
IDLE_TIMEOUT = 5
MAX_BAD = 10
MAILDROPS = 10  # accounts the logged-in attackers use (one session per maildrop)
MESSAGES = 20  # in each attacker's maildrop

# log.level info, as in production: at debug every command of the flood is a log line
# (one write(2) each), which measures the log file, not the server.
SECTIONS = {
    "log": 'level = "info"',
    "server": f"write_timeout = {WRITE_TIMEOUT}",
    "pop3d": f"idle_timeout = {IDLE_TIMEOUT}\nmax_bad_commands = {MAX_BAD}",
    "smtpd": f"max_recipients = {MAILDROPS + 1}\nmax_message_size = {26 << 20}",
}
BIG = 20 << 20  # octets of the message RETR streams


@pytest.fixture(scope="module")
def pop3(tmp_path_factory):
    for name in ("mailctl", "smtpd", "queued", "imapd", "pop3d"):
        require_built(name)
    hostile.skip_without_addresses()
    with separate_suite(tmp_path_factory.mktemp("hostile-pop3"), sections=SECTIONS) as s:
        s.attackers = [s.new_user("attacker") for _ in range(MAILDROPS)]
        tag = "hostile-pop3-" + helpers.token()
        body = helpers.make_message(tag, body_lines=200)  # about 10 KB
        for _ in range(MESSAGES):
            helpers.smtp_send(s.ports["smtp"], "s@outside.test", [ALICE, *s.attackers], body)
        for user in (ALICE, *s.attackers):
            helpers.imap_wait(s.ports["imap"], user, s.passwords[user], tag, count=MESSAGES, deadline=30)
        good_round(s)()
        yield s


def good_round(s):
    def run():
        p = poplib.POP3("127.0.0.1", s.ports["pop3"], timeout=5)
        try:
            p.user(ALICE)
            p.pass_(s.passwords[ALICE])
            count, _ = p.stat()
            assert count >= 1
            assert b"hostile-pop3-" in helpers.pop3_retr(p, 1)
        finally:
            p.quit()
    return run


def attack(s, name, fn):
    return hostile.run_attack(s.pid("pop3d"), good_round(s), f"{name} (pop3d)", fn)


def open_attackers(s, group, n=ATTACKERS, rcvbuf=None):
    return [hostile.connect(s.ports["pop3"], hostile.attacker_address(i, group), rcvbuf=rcvbuf)
            for i in range(n)]


def test_capa_flood_without_reading(pop3):
    """Before login: CAPA pipelined (a 100-octet reply to 6 octets), never read. pop3d
    stops reading each attacker once its window is full and cuts it after write_timeout."""
    def run():
        socks = open_attackers(pop3, 30, rcvbuf=4096)
        try:
            sent = [hostile.send_until_blocked(s, b"CAPA\r\n" * 1024, 1 << 20, seconds=1) for s in socks]
            return sent, hostile.wait_disconnected(socks, WRITE_TIMEOUT + 15)
        finally:
            hostile.close_all(socks)
    sampler, good, (sent, times) = attack(pop3, "CAPA flood", run)
    slowest = hostile.require_all_closed(times, WRITE_TIMEOUT + 15, "CAPA flood")
    hostile.report(report_figure, "pop3d", "capa-flood", sampler, good,
                   f"sent={sum(sent) >> 20}MiB slowest_cut={slowest:.1f}s")


def test_logged_in_retr_and_list_flood_without_reading(pop3):
    """Logged in: RETR, LIST and UIDL of a 20-message maildrop pipelined over and over,
    never read. Output is bounded by max_output_buffer per session; each attacker is cut
    after write_timeout. (The attackers log in before the measurement: password checks
    and their throttling are the auth tests' subject.)"""
    socks = []
    for i, user in enumerate(pop3.attackers):
        s = hostile.connect(pop3.ports["pop3"], hostile.attacker_address(i, 31), rcvbuf=4096)
        s.sendall(f"USER {user}\r\nPASS {pop3.passwords[user]}\r\n".encode())
        socks.append(s)
    for s in socks:
        data = b""
        s.settimeout(10)
        while data.count(b"\r\n") < 3:
            data += s.recv(4096)
        assert data.split(b"\r\n")[2].startswith(b"+OK maildrop"), data

    def run():
        pipeline = b"".join(b"RETR %d\r\nLIST\r\nUIDL\r\n" % (1 + n % MESSAGES) for n in range(200))
        sent = [hostile.send_until_blocked(s, pipeline, 4 << 20, seconds=1) for s in socks]
        return sent, hostile.wait_disconnected(socks, WRITE_TIMEOUT + 15)
    try:
        sampler, good, (sent, times) = attack(pop3, "RETR flood", run)
    finally:
        hostile.close_all(socks)
    slowest = hostile.require_all_closed(times, WRITE_TIMEOUT + 15, "RETR flood")
    hostile.report(report_figure, "pop3d", "retr-flood", sampler, good,
                   f"sessions={len(times)} sent={sum(sent) >> 20}MiB slowest_cut={slowest:.1f}s")


def test_many_connections_from_one_address(pop3):
    def run():
        socks = [hostile.connect(pop3.ports["pop3"], "127.0.32.1") for _ in range(60)]
        try:
            time.sleep(1.5)  # greetings and refusals arrive; served sessions stay open
            return [hostile.available(s) for s in socks]
        finally:
            hostile.close_all(socks)
    sampler, good, replies = attack(pop3, "one address", run)
    greeted = [d for d, closed in replies if d.startswith(b"+OK") and not closed]
    refused = [d for d, closed in replies if closed]
    assert len(greeted) == 50, [d[:40] for d, _ in replies]
    assert len(refused) == 10 and all(d.startswith(b"-ERR [SYS/TEMP] ") for d in refused), refused
    hostile.report(report_figure, "pop3d", "one-address", sampler, good, "served=50 refused=10")


def test_slowloris(pop3):
    """A command trickled one octet per second: the read deadline covers the whole line,
    so after idle_timeout the attacker gets -ERR and is closed."""
    def run():
        socks = open_attackers(pop3, 33)
        stop = threading.Event()

        def trickle():
            text = b"USER " + b"x" * 100
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
            return [hostile.read_reply_then_close(s, IDLE_TIMEOUT + 8) for s in socks]
        finally:
            stop.set()
            t.join()
            hostile.close_all(socks)
    sampler, good, results = attack(pop3, "slowloris", run)
    for data, closed in results:
        assert closed, f"slowloris connection still open: {data[-80:]!r}"
        assert data.split(b"\r\n")[-2].startswith(b"-ERR "), data[-120:]
    hostile.report(report_figure, "pop3d", "slowloris", sampler, good)


def test_huge_lines(pop3):
    """2 MiB lines (limit 1024 octets): one -ERR each, the rest thrown away unbuffered,
    the session stays in step (QUIT answered)."""
    n = 25

    def run():
        socks = open_attackers(pop3, 34, n=n)
        try:
            def flood(s):
                s.settimeout(20)
                s.sendall(b"A" * (2 << 20) + b"\r\nCAPA\r\nQUIT\r\n")
            threads = [threading.Thread(target=flood, args=(s,), daemon=True) for s in socks]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            return [hostile.read_reply_then_close(s, 15) for s in socks]
        finally:
            hostile.close_all(socks)
    sampler, good, results = attack(pop3, "huge lines", run)
    for data, closed in results:
        lines = data.split(b"\r\n")
        assert closed and lines[0].startswith(b"+OK"), data[:200]
        assert lines[1] == b"-ERR line too long", data[:200]
        assert lines[2].startswith(b"+OK") and lines[-2].startswith(b"+OK"), data[-200:]
    hostile.report(report_figure, "pop3d", "huge-lines", sampler, good, f"connections={n} line=2MiB")


def test_error_flood(pop3):
    """Garbage pipelined: after max_bad_commands, -ERR and close."""
    def run():
        socks = open_attackers(pop3, 35)
        try:
            for s in socks:
                hostile.send_until_blocked(s, b"GARBAGE\r\n" * 50, 450, seconds=1)
            return [hostile.read_reply_then_close(s, 10) for s in socks]
        finally:
            hostile.close_all(socks)
    sampler, good, results = attack(pop3, "error flood", run)
    for data, closed in results:
        lines = data.split(b"\r\n")
        assert closed, data[-200:]
        assert sum(1 for ln in lines if ln.startswith(b"-ERR ")) == MAX_BAD + 1, data[-400:]
        assert lines[-2] == b"-ERR too many errors", data[-200:]
    hostile.report(report_figure, "pop3d", "error-flood", sampler, good)


def big_message(tag):
    head = (f"From: <big@outside.test>\r\nTo: <{ALICE}>\r\nSubject: test {tag}\r\n"
            f"Message-ID: <{tag}@outside.test>\r\n\r\n").encode()
    line = b".dot-stuffed line, 76 octets with CRLF: " + b"0123456789" * 3 + b"abcd\r\n"
    return head + line * ((BIG - len(head)) // len(line))


def test_retr_of_a_large_message_is_streamed(pop3):
    """RETR of a 20 MiB message (every line starting with a dot) to a client that does
    not read: pop3d holds the message once plus at most max_output_buffer of stuffed
    output, never a stuffed copy of the whole (measured on RssAnon: LMDB's file mapping
    is not the session's memory). Read afterwards, it arrives whole and unstuffed."""
    user = pop3.new_user("big")
    tag = "big-" + helpers.token()
    msg = big_message(tag)
    helpers.smtp_send(pop3.ports["smtp"], "big@outside.test", [user], msg)
    helpers.imap_wait(pop3.ports["imap"], user, pop3.passwords[user], tag, deadline=60)
    p = helpers.pop3_login(pop3.ports["pop3"], user, pop3.passwords[user])
    try:
        with hostile.RssSampler(pop3.pid("pop3d"), field="RssAnon") as sampler:
            p._putcmd("RETR 1")  # and do not read for a while
            time.sleep(2)
        growth = sampler.growth_mib()
        resp, lines, _ = p._getlongresp()  # poplib undoes the dot-stuffing
        assert resp.startswith(b"+OK"), resp
        body = b"\r\n".join(lines) + b"\r\n"
    finally:
        p.quit()
    # ASan's redzones and quarantine hold freed chunks: the bound holds for release builds.
    assert SANITIZED or growth < BIG / 2**20 + 8, f"RETR held {growth:.1f} MiB for a {BIG >> 20} MiB message"
    assert body.endswith(msg), "the message did not arrive whole"
    report_figure(f"hostile pop3d retr-20MiB-unread: rss_anon_growth={growth:.1f}MiB")
