#!/usr/bin/python3
"""Benchmark: SEARCH and FETCH over a large mailbox, ours against Dovecot from
../shared/peers in the same run, as ratios (seconds per command, lower is better).

Both servers get the same generated messages (../shared/peers/gen-messages, default 5,000
of 2-20 KiB: text/plain, quoted-printable UTF-8, multipart/alternative and multipart/mixed
with base64 attachments), loaded by IMAP APPEND: ours into a fresh account of a temporary
data directory, Dovecot into alice's mailbox "bench-imapfetch" (our own mailbox name; it
is deleted and re-created). Rows, each one command over the whole mailbox:
  search_text_rare   SEARCH TEXT <rare word>   (every header and decoded body part)
  search_body_miss   SEARCH BODY <absent word> (every body part, no match)
  search_subject     SEARCH SUBJECT <word>     (one header field)
  search_flags_size  SEARCH UNSEEN LARGER 10000 SINCE 1-Jan-2000  (records only)
  fetch_bodystructure FETCH 1:* (BODYSTRUCTURE)
  fetch_envelope     FETCH 1:* (ENVELOPE)
Each command is run once to warm caches (Dovecot builds its cache file then), then
BENCH_REPEAT times alternating between the servers; the median is kept.

Usage (as root when the peers must be started): bench/imap_search_fetch.py
Environment: MAIL_BUILD_DIR (build-bench, else build), BENCH_MESSAGES (5000),
BENCH_SIZE ("2-20" KiB), BENCH_REPEAT (5), PEERS_DIR. Writes
bench/results/imap_search_fetch-YYYY-MM-DD.md. Starts our imapd on port 24643 from a
temporary directory and stops it by PID; starts the peers only if they are not running,
and then stops them at the end.
"""

import datetime
import imaplib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEERS = Path(os.environ.get("PEERS_DIR", ROOT.parent / "shared" / "peers"))
BUILD = Path(os.environ.get("MAIL_BUILD_DIR", ROOT / "build-bench"))
if not (BUILD / "imapd" / "imapd").exists():
    BUILD = ROOT / "build"
MESSAGES = int(os.environ.get("BENCH_MESSAGES", "5000"))
SIZE = os.environ.get("BENCH_SIZE", "2-20")
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
RARE = "zyxwvbenchword"
PEER = {"port": 12143, "user": "alice", "password": "secret", "mailbox": "bench-imapfetch"}
OURS = {"port": 24643, "user": "benchfetch@example.test", "password": "bench-pw", "mailbox": "INBOX"}

ROWS = [
    ("search_text_rare", "SEARCH", f"TEXT {RARE}"),
    ("search_body_miss", "SEARCH", "BODY qqqnotthereqqq"),
    ("search_subject", "SEARCH", "SUBJECT meeting"),
    ("search_flags_size", "SEARCH", "UNSEEN LARGER 10000 SINCE 1-Jan-2000"),
    ("fetch_bodystructure", "FETCH", "1:* (BODYSTRUCTURE)"),
    ("fetch_envelope", "FETCH", "1:* (ENVELOPE)"),
]


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def connect(server):
    m = imaplib.IMAP4("127.0.0.1", server["port"], timeout=300)
    m.login(server["user"], server["password"])
    return m


def load(server, files):
    m = connect(server)
    try:
        if server["mailbox"] != "INBOX":
            m.delete(server["mailbox"])  # NO when absent: fine
            typ, data = m.create(server["mailbox"])
            assert typ == "OK", data
        start = time.monotonic()
        for f in files:
            body = f.read_bytes()
            date = imaplib.Time2Internaldate(f.stat().st_mtime)
            typ, data = m.append(server["mailbox"], None, date, body)
            assert typ == "OK", data
        typ, data = m.select(server["mailbox"], readonly=True)
        assert typ == "OK" and int(data[0]) == len(files), data
        return time.monotonic() - start
    finally:
        m.logout()


def timed(m, verb, args):
    """Seconds for one command, and a summary of its answer to compare the servers by."""
    start = time.monotonic()
    if verb == "SEARCH":
        typ, data = m.search(None, args)
        elapsed = time.monotonic() - start
        assert typ == "OK", data
        return elapsed, f"{len(data[0].split())} hits"
    typ, data = m.fetch(*args.split(" ", 1))
    elapsed = time.monotonic() - start
    assert typ == "OK", data
    return elapsed, f"{sum(1 for d in data if d != b')')} responses"


class Ours:
    def __init__(self, work):
        self.work = Path(work)
        self.proc = None
        self.cfg = self.work / "config.toml"

    def start(self):
        self.cfg.write_text(f"""[server]
data_dir = "{self.work}/data"
[log]
level = "warn"
[imapd]
listen = "127.0.0.1:{OURS['port']}"
allow_plaintext_auth_on_loopback = true
""")
        ctl = [str(BUILD / "ctl" / "mailctl"), "--config", str(self.cfg)]
        subprocess.run(ctl + ["domain", "add", "example.test"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(ctl + ["user", "add", OURS["user"]], input=OURS["password"] + "\n", text=True,
                       check=True, stdout=subprocess.DEVNULL)
        log = open(self.work / "imapd.log", "ab")
        self.proc = subprocess.Popen([str(BUILD / "imapd" / "imapd"), "--config", str(self.cfg)],
                                     stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while not port_open(OURS["port"]):
            assert self.proc.poll() is None, "imapd exited; see " + str(self.work / "imapd.log")
            assert time.monotonic() < deadline, "imapd did not listen"
            time.sleep(0.05)

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def main():
    if port_open(OURS["port"]):
        sys.exit(f"imap_search_fetch: port {OURS['port']} is already in use")
    peers_started = False
    if not port_open(PEER["port"]):
        subprocess.run([str(PEERS / "start.sh")], check=True, stdout=subprocess.DEVNULL)
        peers_started = True
    work = Path(tempfile.mkdtemp(prefix="imap_search_fetch."))
    ours = Ours(work)
    times = {}    # (row, system) -> [seconds]
    answers = {}  # (row, system) -> summary
    try:
        msgs = work / "msgs"
        subprocess.run([str(PEERS / "gen-messages"), "--count", str(MESSAGES), "--size", SIZE,
                        "--to", "alice@example.test", "--rare-word", RARE, "--out", str(msgs)],
                       check=True, stdout=subprocess.DEVNULL)
        files = sorted(msgs.glob("*.eml"))
        ours.start()
        load_ours = load(OURS, files)
        load_peer = load(PEER, files)
        print(f"loaded {len(files)} messages: ours {load_ours:.1f} s, dovecot {load_peer:.1f} s",
              flush=True)
        clients = {"ours": connect(OURS), "dovecot": connect(PEER)}
        for system, m in clients.items():
            server = OURS if system == "ours" else PEER
            typ, data = m.select(server["mailbox"], readonly=True)
            assert typ == "OK", data
        for row, verb, args in ROWS:
            for system, m in clients.items():  # warm-up, unmeasured
                _, answers[(row, system)] = timed(m, verb, args)
            for i in range(REPEAT):
                order = list(clients.items()) if i % 2 == 0 else list(clients.items())[::-1]
                for system, m in order:
                    secs, _ = timed(m, verb, args)
                    times.setdefault((row, system), []).append(secs)
            print(f"{row}: ours {statistics.median(times[(row, 'ours')]) * 1000:.1f} ms, "
                  f"dovecot {statistics.median(times[(row, 'dovecot')]) * 1000:.1f} ms", flush=True)
        for m in clients.values():
            m.logout()
    finally:
        ours.stop()
        if peers_started:
            subprocess.run([str(PEERS / "stop.sh")], stdout=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)

    lines = [
        f"# IMAP SEARCH and FETCH, {datetime.date.today()} ({MESSAGES} messages of {SIZE} KiB, "
        f"median of {REPEAT} after a warm-up; client and servers on the same {os.cpu_count()} "
        "shared cores)",
        "",
        "| workload | ours ms | dovecot ms | ratio ours/dovecot | answer (ours / dovecot) |",
        "|---|---|---|---|---|",
    ]
    for row, _, _ in ROWS:
        o = statistics.median(times[(row, "ours")]) * 1000
        d = statistics.median(times[(row, "dovecot")]) * 1000
        lines.append(f"| {row} | {o:.1f} | {d:.1f} | {o / d:.2f} | "
                     f"{answers[(row, 'ours')]} / {answers[(row, 'dovecot')]} |")
    text = "\n".join(lines) + "\n"
    print(text)
    out = ROOT / "bench" / "results" / f"imap_search_fetch-{datetime.date.today()}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)


if __name__ == "__main__":
    main()
