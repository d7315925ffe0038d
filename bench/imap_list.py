#!/usr/bin/python3
"""Benchmark: an account with 1,000 folders, as a mail client sees it, ours against Dovecot
from ../shared/peers in the same run, as ratios (ours / Dovecot; below 1 is faster).

Rows (each the best of BENCH_REPEAT rounds, since other load on the machine only slows a run):
  create        CREATE of 1,000 folders Bench/gNN/fNNNN, one command at a time (what mbsync
                or a migration does), parents created on the way
  list          LIST "" "*": the folder pane of every client at startup
  list_status   LIST "" "*" RETURN (CHILDREN STATUS (MESSAGES UNSEEN UIDNEXT)): RFC 5819,
                one round trip for the whole folder pane with counts, just after the
                folders got their messages
  list_status_again  the same once more (Dovecot has built each folder's index by then)
  status_each   STATUS (MESSAGES UNSEEN UIDNEXT) of each of the 1,000 folders, one after
                the other (what clients without LIST-STATUS do to show unread counts)
  delete        DELETE of the 1,000 folders, one command at a time
Every 10th folder holds 3 messages (APPEND, not measured), so STATUS counts something.

Dovecot runs as user "imapbox-bench@example.test", added to the peers' passwd-file if
missing (a user of our own: nobody else's folders are touched). Our imapd runs from a
temporary directory on port 23243 and is stopped by PID at the end; the peers are started
only if they are not running, and then stopped at the end.

Usage (as root when the peers must be started): bench/imap_list.py
Environment: MAIL_BUILD_DIR (default build-bench, else build), BENCH_FOLDERS (1000),
BENCH_REPEAT (3), PEERS_DIR, PEERS_RUN. Writes bench/results/imap_list-YYYY-MM-DD.md.
"""

import datetime
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEERS = Path(os.environ.get("PEERS_DIR", ROOT.parent / "shared" / "peers"))
PEERS_RUN = Path(os.environ.get("PEERS_RUN", Path(os.environ.get("TMPDIR", "/tmp")) / "peers"))
BUILD = Path(os.environ.get("MAIL_BUILD_DIR", ROOT / "build-bench"))
if not (BUILD / "imapd" / "imapd").exists():
    BUILD = ROOT / "build"
FOLDERS = int(os.environ.get("BENCH_FOLDERS", "1000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
OURS_PORT = 23243
PEER_PORT = 12143
PEER_USER = "imapbox-bench"
PASSWORD = "secret"
ROWS = ("create", "list", "list_status", "list_status_again", "status_each", "delete")
STATUS_ITEMS = "(MESSAGES UNSEEN UIDNEXT)"
MESSAGE = (b"From: bench@example.test\r\nTo: bench@example.test\r\nSubject: folder bench\r\n"
           b"Date: Sat, 05 Dec 2026 12:00:00 +0000\r\nMessage-ID: <%d@bench>\r\n\r\n"
           + b"Body line of the folder benchmark.\r\n" * 40)


def folder(i):
    return f"Bench/g{i // 100:02d}/f{i:04d}"


class Client:
    """A minimal IMAP client over a raw socket: the cost on the client side stays the same
    for both servers and small against theirs (imaplib parses every line in Python)."""

    def __init__(self, port, user):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.file = self.sock.makefile("rb")
        self.n = 0
        assert self.file.readline().startswith(b"* OK")
        lines = self.command(f'LOGIN "{user}" "{PASSWORD}"')
        assert lines[-1].split()[1] == b"OK", lines

    def send(self, text):
        self.n += 1
        tag = b"t%d" % self.n
        self.sock.sendall(tag + b" " + text.encode() + b"\r\n")
        return tag

    def read_until(self, tag):
        lines = []
        while True:
            line = self.file.readline()
            if not line:
                raise EOFError("connection closed")
            lines.append(line)
            literal = re.search(rb"\{(\d+)\}\r\n$", line)
            if literal:
                lines.append(self.file.read(int(literal.group(1))))
            elif line.startswith(tag + b" "):
                return lines

    def command(self, text):
        return self.read_until(self.send(text))

    def ok(self, text):
        lines = self.command(text)
        if lines[-1].split()[1] != b"OK":
            raise RuntimeError(f"{text!r}: {lines[-1]!r}")
        return lines

    def append(self, mailbox, data):
        tag = self.send(f'APPEND "{mailbox}" {{{len(data)}}}')
        line = self.file.readline()
        assert line.startswith(b"+"), line
        self.sock.sendall(data + b"\r\n")
        lines = self.read_until(tag)
        assert lines[-1].split()[1] == b"OK", lines

    def close(self):
        try:
            self.command("LOGOUT")
        except OSError:
            pass
        self.sock.close()


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_rows(port, user):
    """One round: returns {row: seconds} after checking each answer is complete."""
    c = Client(port, user)
    try:
        out = {}
        out["create"] = timed(lambda: [c.ok(f'CREATE "{folder(i)}"') for i in range(FOLDERS)])
        for i in range(0, FOLDERS, 10):
            for k in range(3):
                c.append(folder(i), MESSAGE % (i * 10 + k))

        def listing():
            lines = c.ok('LIST "" "*"')
            got = sum(1 for line in lines if b"Bench/g" in line and line.startswith(b"* LIST"))
            assert got >= FOLDERS, (got, lines[-3:])
        out["list"] = timed(listing)

        def list_status():
            lines = c.ok(f'LIST "" "*" RETURN (CHILDREN STATUS {STATUS_ITEMS})')
            statuses = [line for line in lines if line.startswith(b"* STATUS")]
            assert len(statuses) >= FOLDERS, (len(statuses), lines[-3:])
            assert sum(b"MESSAGES 3" in line for line in statuses) == (FOLDERS + 9) // 10
        out["list_status"] = timed(list_status)
        # Again: Dovecot builds each folder's index on the first look, then reads it.
        out["list_status_again"] = timed(list_status)

        def status_each():
            for i in range(FOLDERS):
                lines = c.ok(f'STATUS "{folder(i)}" {STATUS_ITEMS}')
                assert (b"MESSAGES 3" in lines[0]) == (i % 10 == 0), lines
        out["status_each"] = timed(status_each)
        out["delete"] = timed(lambda: [c.ok(f'DELETE "{folder(i)}"') for i in range(FOLDERS)])
        for g in range((FOLDERS + 99) // 100 - 1, -1, -1):
            c.command(f'DELETE "Bench/g{g:02d}"')
        c.command('DELETE "Bench"')
        return out
    finally:
        c.close()


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def ensure_peer_user():
    """Adds our own user to the peers' Dovecot passwd-file (re-read when it changes)."""
    users = PEERS_RUN / "conf" / "dovecot" / "users"
    text = users.read_text()
    if not re.search(rf"^{PEER_USER}:", text, re.M):
        home = PEERS_RUN / "mail" / "example.test" / PEER_USER
        with users.open("a") as f:
            f.write(f"{PEER_USER}:{{PLAIN}}{PASSWORD}:8:8::{home}::\n")
    # Folders left behind by an interrupted run would fail the CREATE row.
    c = Client(PEER_PORT, PEER_USER)
    try:
        names = [re.search(rb'"/" "?([^"\r\n]*)', line).group(1).decode()
                 for line in c.ok('LIST "" "Bench*"') if line.startswith(b"* LIST")]
        for name in sorted(names, key=len, reverse=True):
            c.command(f'DELETE "{name}"')
    finally:
        c.close()


class Ours:
    def __init__(self, work):
        self.work = Path(work)
        self.proc = None

    def start(self):
        cfg = self.work / "config.toml"
        # The data lives in a private temporary directory (0700): keep the starting user.
        cfg.write_text(f"""[server]
data_dir = "{self.work}/data"
user = ""
allow_root = true
[log]
level = "warn"
[imapd]
listen = "127.0.0.1:{OURS_PORT}"
allow_plaintext_auth_on_loopback = true
""")
        ctl = [str(BUILD / "ctl" / "mailctl"), "--config", str(cfg)]
        subprocess.run(ctl + ["domain", "add", "example.test"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(ctl + ["user", "add", "bench@example.test"], input=PASSWORD + "\n", text=True,
                       check=True, stdout=subprocess.DEVNULL)
        log = open(self.work / "imapd.log", "ab")
        self.proc = subprocess.Popen([str(BUILD / "imapd" / "imapd"), "--config", str(cfg)],
                                     stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while not port_open(OURS_PORT):
            assert self.proc.poll() is None, "imapd exited; see " + str(self.work / "imapd.log")
            assert time.monotonic() < deadline, f"imapd did not listen on {OURS_PORT}"
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
    if port_open(OURS_PORT):
        sys.exit(f"imap_list: port {OURS_PORT} is already in use")
    peers_started = False
    if not port_open(PEER_PORT):
        subprocess.run([str(PEERS / "start.sh")], check=True, stdout=subprocess.DEVNULL)
        peers_started = True
    work = Path(tempfile.mkdtemp(prefix="imap_list."))
    best = {}  # (row, system) -> seconds
    ours = Ours(work)
    try:
        ensure_peer_user()
        ours.start()
        for round_no in range(REPEAT):
            # Alternate which system goes first, so neither always runs on a warmer machine.
            order = [("ours", OURS_PORT, "bench@example.test"), ("dovecot", PEER_PORT, PEER_USER)]
            for system, port, user in order if round_no % 2 == 0 else order[::-1]:
                for row, seconds in run_rows(port, user).items():
                    key = (row, system)
                    best[key] = min(best.get(key, float("inf")), seconds)
    finally:
        ours.stop()
        if peers_started:
            subprocess.run([str(PEERS / "stop.sh")], stdout=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)

    lines = [f"# 1,000 folders, {datetime.date.today()} ({FOLDERS} folders, best of {REPEAT} rounds; "
             f"client on the same {os.cpu_count()} cores)", "",
             "| workload | ours ms | dovecot ms | ratio ours/dovecot |", "|---|---:|---:|---:|"]
    for row in ROWS:
        o, d = best[(row, "ours")], best[(row, "dovecot")]
        lines.append(f"| {row} | {o * 1000:.1f} | {d * 1000:.1f} | {o / d:.3f} |")
    report = "\n".join(lines) + "\n"
    print(report)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / f"imap_list-{datetime.date.today()}.md").write_text(report)


if __name__ == "__main__":
    main()
