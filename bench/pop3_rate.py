#!/usr/bin/python3
"""Benchmark: POP3 against Dovecot from the peers harness, in the same run, as ratios of
times (issue 16: ours at most Dovecot's time):

  login_stat  connect + USER/PASS + STAT + QUIT, repeated by one client (a mail client
              polling for new mail) on a maildrop of N messages: seconds per cycle
  retr_all    one session RETRs every message one by one (each RETR waits for its
              answer, as a client downloading the maildrop): seconds for all N

Both servers hold the same N messages (default 2,000 of 2-6 KiB, the peers' gen-messages
with one seed): Dovecot's alice via load.sh, ours through IMAP APPEND into a fresh account.
Plaintext POP3 on loopback for both (the TLS cost is bench/login_rate.py's subject); our
password check hits the verification cache after the first login, as a polling client's
would. Alternates which system goes first per round; keeps each system's best round.

Usage (as root, so the peers can start): bench/pop3_rate.py
Environment: MAIL_BUILD_DIR (default build-bench, else build), BENCH_MESSAGES (2000),
BENCH_SIZE ("2-6" KiB), BENCH_CYCLES (200 login_stat cycles), BENCH_REPEAT (3), PEERS_DIR,
PEERS_RUN, PEERS_POP3_PORT (12110). load.sh replaces the INBOX of the peers' alice: run
it against a private peers instance (PEERS_RUN and PEERS_*_PORT) when others use theirs.
Writes bench/results/pop3_rate-YYYY-MM-DD.md.
"""

import datetime
import imaplib
import os
import poplib
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
if not (BUILD / "pop3d" / "pop3d").exists():
    BUILD = ROOT / "build"
MESSAGES = int(os.environ.get("BENCH_MESSAGES", "2000"))
SIZE = os.environ.get("BENCH_SIZE", "2-6")
CYCLES = int(os.environ.get("BENCH_CYCLES", "200"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
PEER = {"port": int(os.environ.get("PEERS_POP3_PORT", "12110")), "user": "alice",
        "password": "secret"}
OURS_PORTS = {"smtp": 25525, "submission": 25587, "submissions": 25465, "imap": 25143,
              "imaps": 25993, "pop3": 25110, "pop3s": 25995}
OURS = {"port": OURS_PORTS["pop3"], "user": "popbench@example.test", "password": "bench-pw"}


def login_stat(who):
    t0 = time.monotonic()
    for _ in range(CYCLES):
        p = poplib.POP3("127.0.0.1", who["port"], timeout=60)
        p.user(who["user"])
        p.pass_(who["password"])
        count, _ = p.stat()
        assert count == MESSAGES, count
        p.quit()
    return (time.monotonic() - t0) / CYCLES


def retr_all(who):
    p = poplib.POP3("127.0.0.1", who["port"], timeout=60)
    p.user(who["user"])
    p.pass_(who["password"])
    t0 = time.monotonic()
    octets = 0
    for n in range(1, MESSAGES + 1):
        resp, lines, size = p.retr(n)
        assert resp.startswith(b"+OK"), resp
        octets += size
    elapsed = time.monotonic() - t0
    p.quit()
    return elapsed, octets


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class Ours:
    def __init__(self, work):
        self.work = Path(work)
        self.procs = []
        self.config = self.work / "config.toml"

    def start(self):
        self.config.write_text(f"""[server]
data_dir = "{self.work}/data"
[log]
level = "warn"
[smtpd]
listen = "127.0.0.1:{OURS_PORTS['smtp']}"
submission_listen = "127.0.0.1:{OURS_PORTS['submission']}"
submissions_listen = "127.0.0.1:{OURS_PORTS['submissions']}"
[imapd]
listen = "127.0.0.1:{OURS_PORTS['imap']}"
tls_listen = "127.0.0.1:{OURS_PORTS['imaps']}"
allow_plaintext_auth_on_loopback = true
[pop3d]
listen = "127.0.0.1:{OURS_PORTS['pop3']}"
tls_listen = "127.0.0.1:{OURS_PORTS['pop3s']}"
allow_plaintext_auth_on_loopback = true
""")
        ctl = [str(BUILD / "ctl" / "mailctl"), "--config", str(self.config)]
        subprocess.run(ctl + ["domain", "add", "example.test"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(ctl + ["user", "add", OURS["user"]], input=OURS["password"] + "\n", text=True,
                       check=True, stdout=subprocess.DEVNULL)
        for name in ("imapd", "pop3d"):
            log = open(self.work / f"{name}.log", "ab")
            self.procs.append(subprocess.Popen([str(BUILD / name / name), "--config", str(self.config)],
                                               stdout=log, stderr=subprocess.STDOUT))
        for port in (OURS_PORTS["imap"], OURS_PORTS["pop3"]):
            deadline = time.monotonic() + 15
            while not port_open(port):
                assert time.monotonic() < deadline, f"our daemons did not listen on {port}"
                time.sleep(0.05)

    def load(self, messages_dir):
        m = imaplib.IMAP4("127.0.0.1", OURS_PORTS["imap"], timeout=60)
        m.login(OURS["user"], OURS["password"])
        files = sorted(messages_dir.glob("*.eml"))
        assert len(files) == MESSAGES, len(files)
        for f in files:
            typ, data = m.append("INBOX", None, None, f.read_bytes())
            assert typ == "OK", data
        m.logout()

    def stop(self):
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []


def loadavg():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def main():
    for port in OURS_PORTS.values():
        if port_open(port):
            sys.exit(f"pop3_rate: port {port} is already in use")
    peers_started = False
    if not port_open(PEER["port"]):
        subprocess.run([str(PEERS / "start.sh")], check=True, stdout=subprocess.DEVNULL)
        peers_started = True
    work = Path(tempfile.mkdtemp(prefix="pop3_rate.", dir=PEERS_RUN.parent))
    ours = Ours(work)
    load_before = loadavg()
    best = {}
    rounds = []
    try:
        msgs = work / "messages"
        subprocess.run([str(PEERS / "gen-messages"), "--count", str(MESSAGES), "--size", SIZE,
                        "--seed", "16", "--to", "alice@example.test", "--out", str(msgs)],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([str(PEERS / "load.sh"), "--replace", PEER["user"], str(MESSAGES), SIZE, "16"],
                       check=True, stdout=subprocess.DEVNULL)
        ours.start()
        t0 = time.monotonic()
        ours.load(msgs)
        print(f"loaded {MESSAGES} messages into ours in {time.monotonic() - t0:.1f} s", flush=True)
        # One unmeasured pass each (caches, our verification cache, Dovecot's index).
        for who in (OURS, PEER):
            retr_all(who)
        for r in range(REPEAT):
            order = [("ours", OURS), ("dovecot", PEER)]
            if r % 2:
                order.reverse()
            for system, who in order:
                per_cycle = login_stat(who)
                retr, octets = retr_all(who)
                rounds.append((r + 1, system, per_cycle, retr, loadavg()))
                print(f"round {r + 1} {system}: login+STAT {per_cycle * 1000:.1f} ms, RETR x{MESSAGES} "
                      f"{retr:.2f} s ({octets} octets), load {rounds[-1][4]}", flush=True)
                b = best.setdefault(system, {"login_stat": per_cycle, "retr": retr})
                b["login_stat"] = min(b["login_stat"], per_cycle)
                b["retr"] = min(b["retr"], retr)
    finally:
        ours.stop()
        if peers_started:
            subprocess.run([str(PEERS / "stop.sh")], stdout=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)

    o, d = best["ours"], best["dovecot"]
    lines = [
        f"# POP3, {datetime.date.today()}: a maildrop of {MESSAGES} messages ({SIZE} KiB), "
        f"plaintext on loopback, best of {REPEAT} (load generator on the same {os.cpu_count()} "
        f"cores; load average before {load_before}, after {loadavg()})",
        "",
        "| workload | ours | Dovecot | time ours/Dovecot |",
        "|---|---|---|---|",
        f"| login + STAT + QUIT (ms per cycle, {CYCLES} cycles) | {o['login_stat'] * 1000:.1f} | "
        f"{d['login_stat'] * 1000:.1f} | {o['login_stat'] / d['login_stat']:.2f} |",
        f"| RETR of {MESSAGES} one by one (s) | {o['retr']:.2f} | {d['retr']:.2f} | "
        f"{o['retr'] / d['retr']:.2f} |",
        "",
        "Below 1 we take less time (issue 16 asks for at most Dovecot's time).",
        "",
        "Rounds:",
    ]
    lines += [f"- round {r} {s}: login+STAT {c * 1000:.1f} ms, RETR {t:.2f} s, load {la}"
              for r, s, c, t, la in rounds]
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "bench" / "results" / f"pop3_rate-{datetime.date.today()}.md").write_text(text)


if __name__ == "__main__":
    main()
