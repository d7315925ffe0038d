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
import subprocess
import time
from pathlib import Path

from benchlib import (PEERS, PEERS_RUN, build_dir, loadavg, mailctl, peers, ratio,
                      require_free_ports, start_daemon, stop_daemons, wait_listening, work_dir,
                      write_result)

BUILD = build_dir("pop3d")
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
        mailctl(BUILD, self.config, "domain", "add", "example.test")
        mailctl(BUILD, self.config, "user", "add", OURS["user"], password=OURS["password"])
        self.procs = [start_daemon(BUILD, name, self.config, self.work / f"{name}.log")
                      for name in ("imapd", "pop3d")]
        wait_listening((OURS_PORTS["imap"], OURS_PORTS["pop3"]), self.procs)

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
        stop_daemons(self.procs)
        self.procs = []


def main():
    require_free_ports("pop3_rate", OURS_PORTS.values())
    with peers(PEER["port"]):
        best, rounds, load_before = run()
    report(best, rounds, load_before)


def run():
    """Loads both servers and measures them; returns each system's best round, every
    round, and the load average before."""
    work = work_dir("pop3_rate.", PEERS_RUN.parent)
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
        shutil.rmtree(work, ignore_errors=True)
    return best, rounds, load_before


def report(best, rounds, load_before):
    o, d = best["ours"], best["dovecot"]
    lines = [
        f"# POP3, {datetime.date.today()}: a maildrop of {MESSAGES} messages ({SIZE} KiB), "
        f"plaintext on loopback, best of {REPEAT} (load generator on the same {os.cpu_count()} "
        f"cores; load average before {load_before}, after {loadavg()})",
        "",
        "| workload | ours | Dovecot | time ours/Dovecot |",
        "|---|---|---|---|",
        f"| login + STAT + QUIT (ms per cycle, {CYCLES} cycles) | {o['login_stat'] * 1000:.1f} | "
        f"{d['login_stat'] * 1000:.1f} | {ratio(o['login_stat'], d['login_stat'])} |",
        f"| RETR of {MESSAGES} one by one (s) | {o['retr']:.2f} | {d['retr']:.2f} | "
        f"{ratio(o['retr'], d['retr'])} |",
        "",
        "Below 1 we take less time (issue 16 asks for at most Dovecot's time).",
        "",
        "Rounds:",
    ]
    lines += [f"- round {r} {s}: login+STAT {c * 1000:.1f} ms, RETR {t:.2f} s, load {la}"
              for r, s, c, t, la in rounds]
    write_result("pop3_rate", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
