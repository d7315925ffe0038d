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
BENCH_REPEAT times alternating between the servers; the median is kept. Commands are timed
over a raw socket (benchlib.ImapClient: literals skipped by their counts, responses
counted, not parsed): imaplib's Python parsing of every response would add the same cost to
both servers and hide their difference. The messages are loaded with MULTIAPPEND.

Usage (as root when the peers must be started): bench/imap_search_fetch.py
Environment: MAIL_BUILD_DIR (build-bench, else build), BENCH_MESSAGES (5000),
BENCH_SIZE ("2-20" KiB), BENCH_REPEAT (5), PEERS_DIR, PEERS_IMAP_PORT (12143). Writes
bench/results/imap_search_fetch-YYYY-MM-DD.md. Starts our imapd on port 24643 from a
temporary directory and stops it by PID; starts the peers only if they are not running,
and then stops them at the end.
"""

import datetime
import os
import shutil
import statistics
import time

from benchlib import (ImapClient, OurImapd, generated_messages, loadavg, peers, ratio,
                      require_free_ports, work_dir, write_result)

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "5000"))
SIZE = os.environ.get("BENCH_SIZE", "2-20")
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
RARE = "zyxwvbenchword"
PEER = {"port": int(os.environ.get("PEERS_IMAP_PORT", "12143")), "user": "alice", "password": "secret",
        "mailbox": "bench-imapfetch"}
OURS = {"port": 24643, "user": "benchfetch@example.test", "password": "bench-pw", "mailbox": "INBOX"}

ROWS = [
    ("search_text_rare", "SEARCH", f"TEXT {RARE}"),
    ("search_body_miss", "SEARCH", "BODY qqqnotthereqqq"),
    ("search_subject", "SEARCH", "SUBJECT meeting"),
    ("search_flags_size", "SEARCH", "UNSEEN LARGER 10000 SINCE 1-Jan-2000"),
    ("fetch_bodystructure", "FETCH", "1:* (BODYSTRUCTURE)"),
    ("fetch_envelope", "FETCH", "1:* (ENVELOPE)"),
]


def connect(server):
    return ImapClient(server["port"], server["user"], server["password"])


def load(server, messages):
    c = connect(server)
    try:
        if server["mailbox"] != "INBOX":
            c.command(f'DELETE "{server["mailbox"]}"')  # NO when absent: fine
            c.ok(f'CREATE "{server["mailbox"]}"')
        start = time.monotonic()
        c.multiappend(server["mailbox"], messages)
        exists = c.ok(f'EXAMINE "{server["mailbox"]}"').untagged_number("EXISTS")
        assert exists == len(messages), exists
        return time.monotonic() - start
    finally:
        c.close()


def timed(c, verb, args):
    """Seconds for one command, and a summary of its answer to compare the servers by."""
    elapsed, reply = c.timed(f"{verb} {args}")
    if verb == "SEARCH":
        return elapsed, f"{len(reply.search_hits())} hits"
    return elapsed, f"{reply.untagged} responses"


def main():
    require_free_ports("imap_search_fetch", (OURS["port"],))
    with peers(PEER["port"]):
        times, answers = run()
    report(times, answers)


def run():
    """Loads both servers, then times each row REPEAT times after a warm-up; returns the
    seconds and the answers' summaries, keyed (row, system)."""
    work = work_dir("imap_search_fetch.")
    ours = OurImapd(work, OURS["port"], {OURS["user"]: OURS["password"]})
    times = {}    # (row, system) -> [seconds]
    answers = {}  # (row, system) -> summary
    try:
        messages = generated_messages(work / "msgs", MESSAGES, SIZE, "alice@example.test",
                                      rare_word=RARE)
        ours.setup()
        ours.start()
        load_ours = load(OURS, messages)
        load_peer = load(PEER, messages)
        print(f"loaded {len(messages)} messages: ours {load_ours:.1f} s, dovecot {load_peer:.1f} s",
              flush=True)
        del messages
        clients = {"ours": connect(OURS), "dovecot": connect(PEER)}
        for system, m in clients.items():
            server = OURS if system == "ours" else PEER
            m.ok(f'EXAMINE "{server["mailbox"]}"')
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
            m.close()
    finally:
        ours.stop()
        shutil.rmtree(work, ignore_errors=True)
    return times, answers


def report(times, answers):
    lines = [
        f"# IMAP SEARCH and FETCH, {datetime.date.today()} ({MESSAGES} messages of {SIZE} KiB, "
        f"median of {REPEAT} after a warm-up; client and servers on the same {os.cpu_count()} "
        f"shared cores; load average {loadavg()} at the end)",
        "",
        "| workload | ours ms | dovecot ms | ratio ours/dovecot | answer (ours / dovecot) |",
        "|---|---|---|---|---|",
    ]
    for row, _, _ in ROWS:
        o = statistics.median(times[(row, "ours")]) * 1000
        d = statistics.median(times[(row, "dovecot")]) * 1000
        lines.append(f"| {row} | {o:.1f} | {d:.1f} | {ratio(o, d)} | "
                     f"{answers[(row, 'ours')]} / {answers[(row, 'dovecot')]} |")
    write_result("imap_search_fetch", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
