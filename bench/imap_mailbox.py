#!/usr/bin/python3
"""Benchmark: what a mail client waits for on a 10,000-message mailbox, ours against
Dovecot from ../shared/peers in the same run, as ratios (ours / Dovecot; lower is better).
Issue 15's targets: at most 0.5x Dovecot's time for each row, 0.1x for SEARCH TEXT.

Both servers hold the same generated messages (../shared/peers/gen-messages, default
10,000 of 2-50 KiB, about 265 MB; about 80 % \\Seen): ours in the INBOX of a fresh
account, loaded through IMAP (MULTIAPPEND with LITERAL+, batches of 16 MiB); Dovecot in
the INBOX of a user of our own, "mbox-bench" (added to the peers' passwd-file; its home is
emptied and its Maildir written directly, then indexed with `doveadm index`, as
../shared/peers/load.sh does: the state after delivery). Rows:
  select            SELECT INBOX (again on the same connection: each a full re-open)
  fetch_meta        UID FETCH 1:* (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE): a message list
  fetch_body        UID FETCH 1:* BODY.PEEK[]: every message's octets
  fetch_each        UID FETCH n (BODY.PEEK[]) for each message, 64 commands in flight: the
                    server's part of mbsync's work, without mbsync's own
  search_text_rare  UID SEARCH TEXT zephyranthes: in every 100th message only, once; every
                    header and decoded body part searched (no full-text index either side)
  mbsync            isync's mbsync pulling INBOX into a fresh local Maildir (FSync no, on
                    tmpfs when /dev/shm is there):
                    the whole process's wall time, a new connection, login included.
                    mbsync asks for UID FETCH 1:N (UID FLAGS), then each message with its
                    own UID FETCH n (BODY.PEEK[]), pipelined. COMPRESS=DEFLATE is disabled
                    in mbsync (DisableExtensions) so that both servers speak the same
                    protocol: the peers' Dovecot does not offer it (no imap_zlib plugin)
  mbsync_default    the same with mbsync using what each server offers: ours offers
                    COMPRESS=DEFLATE ([imapd] compress, on by default) and mbsync turns it
                    on, so ours deflates every message while Dovecot sends them plain
Commands are timed over a raw socket (benchlib.ImapClient): from sending the command to
reading its tagged OK, literals skipped by their counts, untagged responses counted.
imaplib would add its Python parsing of every response to both servers' times. Each row is
run once unmeasured (Dovecot fills its cache file then), then BENCH_REPEAT times (mbsync:
BENCH_MBSYNC_REPEAT) alternating which server goes first; the median is reported, with
the answer's size for both servers (they must agree).

Usage (as root when the peers must be started): bench/imap_mailbox.py
Environment: MAIL_BUILD_DIR (default build-bench, else build), BENCH_MESSAGES (10000),
BENCH_SIZE ("2-50" KiB), BENCH_REPEAT (5), BENCH_MBSYNC_REPEAT (3), BENCH_ROWS
(comma-separated subset of the rows above; default all), PEERS_DIR, PEERS_RUN,
PEERS_IMAP_PORT (12143). Writes bench/results/imap_mailbox-YYYY-MM-DD.md. Our imapd runs on
port 24743 from a temporary directory and is stopped by PID; the peers are started only if
they are not running, and then stopped at the end.
"""

import datetime
import os
import resource
import shutil
import statistics
import subprocess
import time
from pathlib import Path

from benchlib import (ImapClient, OurImapd, dovecot_load, dovecot_user, generated_messages,
                      loadavg, peers, ratio, require_free_ports, work_dir, write_result)

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "10000"))
SIZE = os.environ.get("BENCH_SIZE", "2-50")
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
MBSYNC_REPEAT = int(os.environ.get("BENCH_MBSYNC_REPEAT", "3"))
RARE = "zephyranthes"  # gen-messages' default rare word: in every 100th message
USER = "mbox-bench"
PASSWORD = "bench-pw"
SERVERS = {
    "ours": {"port": 24743, "user": f"{USER}@example.test"},
    "dovecot": {"port": int(os.environ.get("PEERS_IMAP_PORT", "12143")), "user": USER},
}
ROWS = {
    "select": "SELECT INBOX",
    "fetch_meta": "UID FETCH 1:* (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)",
    "fetch_body": "UID FETCH 1:* BODY.PEEK[]",
    "fetch_each": "UID FETCH {} (BODY.PEEK[])",
    "search_text_rare": f"UID SEARCH TEXT {RARE}",
    "mbsync": None,
    "mbsync_default": None,
}
TARGET = {"search_text_rare": 0.1}  # issue 15; the other rows 0.5
SELECTED_ROWS = [r for r in os.environ.get("BENCH_ROWS", ",".join(ROWS)).split(",") if r]


def answer(row, reply):
    """What the command answered, to compare the servers by."""
    if row == "select":
        return f"EXISTS {reply.untagged_number('EXISTS')}"
    if row == "search_text_rare":
        return f"{len(reply.search_hits())} hits"
    if row in ("fetch_body", "fetch_each"):
        return f"{reply.untagged} responses, {reply.octets / 2**20:.0f} MiB"
    return f"{reply.untagged} responses"


def mbsync(work, system, run, compress):
    """Runs mbsync into a fresh Maildir; returns (seconds, answer)."""
    server = SERVERS[system]
    # The local Maildir on tmpfs when there is one: mbsync's 10,000 file creations and
    # renames are its own work, the same for both servers, and on disk their noise swung
    # the ratio from 0.4 to 1.0 between runs.
    near = Path("/dev/shm") if Path("/dev/shm").is_dir() else work
    root = near / f"{work.name}-mbsync-{system}-{run}-{int(compress)}"
    (root / "mail").mkdir(parents=True)
    rc = root / "mbsyncrc"
    rc.write_text(f"""FSync no

IMAPAccount far
Host 127.0.0.1
Port {server['port']}
User {server['user']}
Pass {PASSWORD}
SSLType None
AuthMechs LOGIN
{"" if compress else "DisableExtensions COMPRESS=DEFLATE"}

IMAPStore far
Account far

MaildirStore near
Path {root}/mail/
Inbox {root}/mail/INBOX

Channel bench
Far :far:INBOX
Near :near:INBOX
Sync Pull
Create Near
Expunge None
SyncState *
""")
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(["mbsync", "-q", "-c", str(rc), "bench"], capture_output=True, text=True,
                          timeout=1800)
    elapsed = time.perf_counter() - start
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # mbsync's own CPU time (parsing, writing the Maildir): the part no server can shorten.
    client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    if done.returncode != 0:
        raise RuntimeError(f"mbsync ({system}) failed: {done.stderr.strip()[-2000:]}")
    files = sum(1 for d in ("cur", "new") for _ in (root / "mail" / "INBOX" / d).iterdir())
    shutil.rmtree(root)
    return elapsed, f"{files} files, mbsync CPU {client_cpu:.1f} s"


def main():
    require_free_ports("imap_mailbox", (SERVERS["ours"]["port"],))
    with peers(SERVERS["dovecot"]["port"]):
        times, answers, notes = run()
    report(times, answers, notes)


def run():
    work = work_dir("imap_mailbox.")
    ours = OurImapd(work, SERVERS["ours"]["port"], {SERVERS["ours"]["user"]: PASSWORD})
    times = {}    # (row, system) -> [seconds]
    answers = {}  # (row, system) -> summary
    notes = {"load_before": loadavg()}
    try:
        messages = generated_messages(work / "msgs", MESSAGES, SIZE, f"{USER}@example.test")
        ours.setup()
        ours.start()
        c = ImapClient(SERVERS["ours"]["port"], SERVERS["ours"]["user"], PASSWORD)
        start = time.monotonic()
        c.multiappend("INBOX", messages)
        notes["load_ours"] = time.monotonic() - start
        c.close()
        del messages
        dovecot_user(USER, PASSWORD)
        notes["load_dovecot"] = dovecot_load(USER, MESSAGES, SIZE)
        print(f"loaded {MESSAGES} messages: ours {notes['load_ours']:.1f} s (MULTIAPPEND), "
              f"dovecot {notes['load_dovecot']:.1f} s (Maildir files + doveadm index)", flush=True)
        clients = {s: ImapClient(v["port"], v["user"], PASSWORD) for s, v in SERVERS.items()}
        uids = {}
        for system, c in clients.items():
            exists = c.ok("SELECT INBOX").untagged_number("EXISTS")
            assert exists == MESSAGES, (system, exists)
            uids[system] = [int(u) for u in c.ok("UID SEARCH ALL").search_hits()]
        for row in SELECTED_ROWS:
            for i in range(-1, MBSYNC_REPEAT if row.startswith("mbsync") else REPEAT):
                order = list(SERVERS) if i % 2 == 0 else list(SERVERS)[::-1]
                for system in order:
                    if row.startswith("mbsync"):
                        secs, got = mbsync(work, system, i + 1, row == "mbsync_default")
                    elif row == "fetch_each":
                        secs, reply = clients[system].timed_each(ROWS[row], uids[system])
                        got = answer(row, reply)
                    else:
                        secs, reply = clients[system].timed(ROWS[row])
                        got = answer(row, reply)
                    if i < 0:  # the warm-up
                        answers[(row, system)] = got
                    else:
                        times.setdefault((row, system), []).append(secs)
            o, d = (statistics.median(times[(row, s)]) for s in SERVERS)
            print(f"{row}: ours {o * 1000:.1f} ms, dovecot {d * 1000:.1f} ms, ratio {ratio(o, d)} "
                  f"({answers[(row, 'ours')]} / {answers[(row, 'dovecot')]})", flush=True)
        for c in clients.values():
            c.close()
    finally:
        ours.stop()
        notes["load_after"] = loadavg()
        shutil.rmtree(work, ignore_errors=True)
    return times, answers, notes


def ms(v):
    return f"{v:.2f}" if v < 10 else f"{v:.1f}"


def report(times, answers, notes):
    lines = [
        f"# IMAP on a {MESSAGES}-message mailbox, {datetime.date.today()} ({SIZE} KiB "
        f"messages; median of {REPEAT} runs, mbsync {MBSYNC_REPEAT}, after a warm-up; client "
        f"and servers on the same {os.cpu_count()} shared cores; load average "
        f"{notes['load_before']} before, {notes['load_after']} after)",
        "",
        f"Loaded: ours {notes['load_ours']:.1f} s over IMAP MULTIAPPEND, Dovecot "
        f"{notes['load_dovecot']:.1f} s (Maildir files written directly + doveadm index).",
        "",
        "| workload | ours ms | dovecot ms | ratio ours/dovecot | target | answer (ours / dovecot) |",
        "|---|---|---|---|---|---|",
    ]
    for row in SELECTED_ROWS:
        o = statistics.median(times[(row, "ours")]) * 1000
        d = statistics.median(times[(row, "dovecot")]) * 1000
        lines.append(f"| {row} | {ms(o)} | {ms(d)} | {ratio(o, d)} | {TARGET.get(row, 0.5)} | "
                     f"{answers[(row, 'ours')]} / {answers[(row, 'dovecot')]} |")
    write_result("imap_mailbox", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
