#!/usr/bin/python3
"""Helper of bench/smtp_accept.sh: runs one smtp-source load against one SMTP server and
times (a) until smtp-source returns (every message got its 250) and (b) until the
recipient's INBOX, polled with IMAP STATUS, holds all messages. Also formats the results.

Subcommands:
  run    one measurement; prints one JSON object on stdout
  count  prints the INBOX message count of one account (to check a mailbox is empty)
  record appends one run's result to the CSV and prints a progress line
  table  reads the CSV written by smtp_accept.sh and prints the Markdown table

Trusts its command line (written by smtp_accept.sh); trusts the servers for nothing:
every network wait has a timeout, and a server that loses or duplicates messages or an
smtp-source that reports errors is recorded in the row, never hidden.
"""

import argparse
import csv
import imaplib
import json
import re
import subprocess
import sys
import threading
import time

SMTP_SOURCE = "/usr/sbin/smtp-source"
STATUS_RE = re.compile(rb"MESSAGES (\d+)")


class Inbox:
    """One logged-in IMAP session that answers STATUS INBOX (MESSAGES) repeatedly."""

    def __init__(self, port, user, password, timeout=10):
        self.imap = imaplib.IMAP4("127.0.0.1", port, timeout=timeout)
        self.imap.login(user, password)

    def count(self):
        typ, data = self.imap.status("INBOX", "(MESSAGES)")
        if typ != "OK":
            raise RuntimeError(f"STATUS failed: {typ} {data}")
        m = STATUS_RE.search(b" ".join(d for d in data if isinstance(d, bytes)))
        if not m:
            raise RuntimeError(f"STATUS reply without MESSAGES: {data}")
        return int(m.group(1))

    def close(self):
        try:
            self.imap.logout()
        except Exception:  # noqa: BLE001 - best effort at the end
            pass


def run(args):
    inbox = Inbox(args.imap_port, args.user, args.password)
    before = inbox.count()
    if before != 0:
        print(json.dumps({"error": f"INBOX of {args.user} holds {before} messages before the run"}))
        return 1
    cmd = [SMTP_SOURCE, "-s", str(args.sessions), "-m", str(args.count), "-l", str(args.size),
           "-f", args.sender, "-t", args.rcpt, "-M", args.helo]
    if args.reuse:
        cmd.append("-d")
    cmd.append(args.smtp)

    result = {"cmd": " ".join(cmd)}
    done = {}

    def source():
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
            done["rc"] = p.returncode
            done["err"] = (p.stdout + p.stderr).strip()
        except subprocess.TimeoutExpired as e:
            done["rc"] = "timeout"
            done["err"] = f"smtp-source did not return within {args.timeout} s"
            done["err"] += ": " + ((e.stderr or b"").decode(errors="replace") if isinstance(e.stderr, bytes)
                                   else str(e.stderr or ""))
        done["t"] = time.monotonic()

    t0 = time.monotonic()
    th = threading.Thread(target=source, daemon=True)
    th.start()
    delivered_at = None
    n = 0
    deadline = t0 + args.timeout
    while time.monotonic() < deadline:
        n = inbox.count()
        if n >= args.count and delivered_at is None:
            delivered_at = time.monotonic()
        if delivered_at is not None and "t" in done:
            break
        if "t" in done and done["rc"] != 0 and n == 0:
            break  # smtp-source failed outright; nothing will arrive
        time.sleep(args.poll)
    th.join(timeout=max(1.0, deadline - time.monotonic()))
    # A late look for duplicates or stragglers: the count must be exactly the message count.
    time.sleep(0.5)
    final = inbox.count()
    inbox.close()

    result["rc"] = done.get("rc", "timeout")
    result["source_output"] = done.get("err", "")[-500:]
    result["accept_s"] = round(done["t"] - t0, 3) if "t" in done else None
    result["deliver_s"] = round(delivered_at - t0, 3) if delivered_at else None
    result["delivered"] = final
    result["sent"] = args.count
    print(json.dumps(result))
    return 0


def count(args):
    inbox = Inbox(args.imap_port, args.user, args.password)
    print(inbox.count())
    inbox.close()
    return 0


def record(args):
    """Appends one CSV row for a `run` result (JSON text) and prints a progress line."""
    try:
        r = json.loads(args.json)
    except ValueError:
        r = {"error": "helper failed or timed out: " + args.json[-200:]}
    n = args.messages
    notes = []
    if "error" in r:
        notes.append(r["error"])
    if r.get("rc") not in (0, None):
        notes.append(f"smtp-source rc={r['rc']}")
    if r.get("source_output"):
        notes.append("smtp-source said: " + r["source_output"].replace("\n", " / ")[:300])
    if "delivered" in r and r["delivered"] != n:
        notes.append(f"INBOX holds {r['delivered']} of {n} messages")
    a, d = r.get("accept_s"), r.get("deliver_s")
    ok = r.get("rc") == 0
    row = [args.date, args.workload, args.system, args.sessions, int(args.reuse), n, args.size,
           a if a is not None else "", f"{n / a:.1f}" if a and ok else "",
           d if d is not None else "", f"{n / d:.1f}" if d else "",
           r.get("delivered", ""), r.get("rc", ""), "; ".join(notes)]
    with open(args.csv, "a", newline="") as f:
        csv.writer(f).writerow(row)
    print(f"  {args.system:<8} {args.workload:<40} accept {row[7]!s:>7} s ({row[8] or '-':>7} msg/s)"
          f"  in INBOX {row[9]!s:>7} s ({row[10] or '-':>7} msg/s)  count={row[11]}"
          + (f"  PROBLEM: {row[13]}" if row[13] else ""), flush=True)
    return 0


def fmt_rate(x):
    return "-" if x in ("", None) else f"{float(x):.0f}"


def table(args):
    rows = list(csv.DictReader(open(args.csv, newline="")))
    by = {}  # workload -> system -> rows (one per round)
    for r in rows:
        by.setdefault(r["workload"], {}).setdefault(r["system"], []).append(r)

    def best(runs, metric):
        """The fastest round (highest msg/s); rounds that failed have no rate."""
        rated = [r for r in runs if r.get(metric + "_msgs")]
        if not rated:
            return None, None
        r = max(rated, key=lambda r: float(r[metric + "_msgs"]))
        return float(r[metric + "_msgs"]), r[metric + "_s"]

    out = ["| workload | metric | ours msg/s | postfix msg/s | ratio ours/postfix | ours s | postfix s |",
           "|---|---|---:|---:|---:|---:|---:|"]
    for key, systems in by.items():
        for metric, label in (("accept", "acceptance (all 250s)"), ("deliver", "delivery (in INBOX)")):
            o, os_ = best(systems.get("ours", []), metric)
            p, ps = best(systems.get("postfix", []), metric)
            ratio = f"{o / p:.2f}" if o and p else "-"
            out.append(f"| {key} | {label} | {fmt_rate(o)} | {fmt_rate(p)} | {ratio} | {os_ or '-'} | {ps or '-'} |")
        # How far "visible in IMAP" trails "accepted" (the issue asks for <= 10 % for ours).
        o_a, _ = best(systems.get("ours", []), "accept")
        o_d, _ = best(systems.get("ours", []), "deliver")
        p_a, _ = best(systems.get("postfix", []), "accept")
        p_d, _ = best(systems.get("postfix", []), "deliver")
        lag = lambda a, d: f"{(a / d - 1) * 100:+.0f} %" if a and d else "-"
        out.append(f"| {key} | delivery time over acceptance time | {lag(o_a, o_d)} | {lag(p_a, p_d)} | - | - | - |")
    print("\n".join(out))
    problems = [f"- {r['system']} {r['workload']}: {r['note']}" for r in rows if r.get("note")]
    if problems:
        print("\nProblems seen:\n" + "\n".join(problems))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--smtp", required=True, help="HOST:PORT")
    r.add_argument("--imap-port", type=int, required=True)
    r.add_argument("--user", required=True)
    r.add_argument("--password", required=True)
    r.add_argument("--rcpt", required=True)
    r.add_argument("--sessions", type=int, required=True)
    r.add_argument("--count", type=int, default=2000)
    r.add_argument("--size", type=int, default=4096)
    r.add_argument("--reuse", action="store_true", help="smtp-source -d (one connection per session)")
    r.add_argument("--sender", default="sender@example.org")
    r.add_argument("--helo", default="client.example.org")
    r.add_argument("--timeout", type=float, default=180)
    r.add_argument("--poll", type=float, default=0.05)
    c = sub.add_parser("count")
    c.add_argument("--imap-port", type=int, required=True)
    c.add_argument("--user", required=True)
    c.add_argument("--password", required=True)
    w = sub.add_parser("record")
    for name in ("csv", "json", "date", "workload", "system"):
        w.add_argument("--" + name, required=True)
    w.add_argument("--sessions", type=int, required=True)
    w.add_argument("--reuse", type=int, default=0)
    w.add_argument("--messages", type=int, required=True)
    w.add_argument("--size", type=int, required=True)
    t = sub.add_parser("table")
    t.add_argument("csv")
    args = ap.parse_args()
    return {"run": run, "count": count, "record": record, "table": table}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
