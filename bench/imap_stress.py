#!/usr/bin/python3
"""Benchmark: Dovecot's imaptest in its stress mode (../shared/tools/imaptest-stress.sh:
CLIENTS sessions on one mailbox for SECS seconds, each looping through LOGIN, LIST,
STATUS, SELECT, FETCH, FETCH BODY, STORE, EXPUNGE, APPEND and LOGOUT while imaptest
tracks every session's view of the mailbox), against ours and against Dovecot from
../shared/peers in the same run. Issue 15 asks for no error reported and each command's
mean latency at most Dovecot's.

Rows, per command type: commands per second and mean latency (ms/cmd, the mean of
imaptest's 10-second windows), ours and Dovecot, and the latency ratio ours/dovecot;
then the count of errors imaptest reported for each server. Each server gets a fresh,
empty INBOX of a user of its own (imaptest appends from its generated mbox, keeps about
30 messages, stores flags and expunges). Alternates which server goes first per round;
keeps every round.

Usage (as root when the peers must be started): bench/imap_stress.py
Environment: MAIL_BUILD_DIR (build-bench, else build), BENCH_SECS (30), BENCH_CLIENTS (10),
BENCH_REPEAT (1 round per server), PEERS_IMAP_PORT (12143). Needs imaptest built by
../shared/tools/imaptest-build.sh. Writes bench/results/imap_stress-YYYY-MM-DD.md.
"""

import datetime
import os
import re
import shutil
import subprocess
from pathlib import Path

from benchlib import (PEERS_RUN, OurImapd, dovecot_user, loadavg, peers, ratio,
                      require_free_ports, work_dir, write_result)

SECS = int(os.environ.get("BENCH_SECS", "30"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "10"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "1"))
STRESS = Path(__file__).resolve().parents[2] / "shared" / "tools" / "imaptest-stress.sh"
PEER = {"port": int(os.environ.get("PEERS_IMAP_PORT", "12143")), "user": "stress-bench",
        "password": "bench-pw"}
OURS = {"port": 24743, "user": "stress@example.test", "password": "bench-pw"}


def stress(server):
    """One imaptest run: ({command: per second}, {command: ms/cmd}, errors)."""
    r = subprocess.run([str(STRESS), "127.0.0.1", str(server["port"]), server["user"],
                        server["password"], str(SECS), str(CLIENTS)],
                       capture_output=True, text=True, timeout=SECS + 120)
    out = r.stdout + r.stderr

    def pairs(prefix):
        line = next((l for l in out.splitlines() if l.startswith(prefix)), None)
        if line is None:
            raise RuntimeError(f"imaptest output without '{prefix}':\n{out[-3000:]}")
        return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line.split(":", 1)[1])}

    errors = int(re.search(r"errors reported by imaptest: (\d+)", out).group(1))
    return pairs("per second"), pairs("latency ms/cmd"), errors


def empty_dovecot_inbox():
    maildir = dovecot_user(PEER["user"], PEER["password"])
    shutil.rmtree(maildir.parent, ignore_errors=True)


def main():
    require_free_ports("imap_stress", (OURS["port"],))
    if not STRESS.exists():
        raise SystemExit(f"{STRESS} is missing")
    load_before = loadavg()
    runs = {"ours": [], "dovecot": []}
    work = work_dir("imap_stress.")
    with peers(PEER["port"]):
        try:
            for i in range(REPEAT):
                order = ["ours", "dovecot"] if i % 2 == 0 else ["dovecot", "ours"]
                for system in order:
                    if system == "ours":
                        shutil.rmtree(work / "data", ignore_errors=True)
                        ours = OurImapd(work, OURS["port"], {OURS["user"]: OURS["password"]})
                        ours.setup()
                        ours.start()
                        try:
                            runs["ours"].append(stress(OURS))
                        finally:
                            ours.stop()
                    else:
                        empty_dovecot_inbox()
                        runs["dovecot"].append(stress(PEER))
                    rate, latency, errors = runs[system][-1]
                    print(f"{system}: errors {errors}, latency {latency}", flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(PEERS_RUN / "mail" / "example.test" / PEER["user"], ignore_errors=True)
    report(runs, load_before, loadavg())


def mean(values):
    return sum(values) / len(values) if values else 0.0


def report(runs, load_before, load_after):
    commands = list(runs["ours"][0][1].keys())
    lines = [
        f"# imaptest stress, {datetime.date.today()} ({CLIENTS} clients on one mailbox for "
        f"{SECS} s, seed 123, {REPEAT} run(s) per server; imaptest and both servers on the same "
        f"{os.cpu_count()} shared cores; load average {load_before} before, {load_after} after)",
        "",
        "| command | ours per s | dovecot per s | ours ms/cmd | dovecot ms/cmd | latency ratio ours/dovecot |",
        "|---|---|---|---|---|---|",
    ]
    for c in commands:
        o_rate = mean([r[0].get(c, 0) for r in runs["ours"]])
        d_rate = mean([r[0].get(c, 0) for r in runs["dovecot"]])
        o_lat = mean([r[1].get(c, 0) for r in runs["ours"]])
        d_lat = mean([r[1].get(c, 0) for r in runs["dovecot"]])
        lines.append(f"| {c} | {o_rate:.1f} | {d_rate:.1f} | {o_lat:.0f} | {d_lat:.0f} | "
                     f"{ratio(o_lat, d_lat)} |")
    lines += ["", f"Errors reported by imaptest: ours {[r[2] for r in runs['ours']]}, "
              f"dovecot {[r[2] for r in runs['dovecot']]}."]
    write_result("imap_stress", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
