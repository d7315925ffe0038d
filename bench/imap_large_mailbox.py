#!/usr/bin/python3
"""Benchmark: a 100,000-message mailbox. Issue 15 asks that SELECT take a few milliseconds
and that an imapd session's memory not depend on the mailbox's size (no per-message vector
held for the session). Ours, and Dovecot from ../shared/peers in the same run for
reference (BENCH_PEER=0 leaves it out).

Two mailboxes of generated messages (../shared/peers/gen-messages, small ones of 1-2 KiB:
the size of the messages does not matter here, their number does): "large" with
BENCH_MESSAGES (100,000) and "small" with BENCH_SMALL (100), each the INBOX of an account
of its own. Ours are loaded through IMAP (MULTIAPPEND with LITERAL+, batches of 16 MiB: one
store transaction each); Dovecot's users "mbox-large-bench" and "mbox-small-bench" (added
to the peers' passwd-file) get their Maildir written directly, then `doveadm index`.

Rows:
  select (large, small)  SELECT INBOX, again and again on one connection (each a full
                         re-open of the mailbox): median of BENCH_REPEAT after a warm-up,
                         timed over a raw socket (benchlib.ImapClient)
  session memory         the server's memory with BENCH_SESSIONS (20) sessions each logged
                         in and holding the mailbox SELECTed, minus its memory before they
                         connected, divided by the number of sessions. Ours: imapd (one
                         process), restarted before each mailbox and warmed up by one
                         session that SELECTs it and logs out, so the store's shared
                         pages are mapped before the baseline; VmRSS and RssAnon (the
                         heap part; the rest is file pages of the LMDB map, shared by all
                         sessions and reclaimable) from /proc/PID/status. Dovecot runs an
                         imap process per session: the mean VmRSS, RssAnon and PSS of the
                         processes that hold our sessions' sockets (found through
                         /proc/net/tcp and /proc/PID/fd, so other users of the peers do
                         not count); its shared processes (master, auth, config...) are
                         left out.
                         Measured with the sessions just SELECTed, and again after each
                         of them sent UID FETCH 1:* (FLAGS) (what a sync client asks
                         first), in case that leaves per-message state in the session.
Issue 15's criterion is the ours column of "anon KiB per session": large about equal to
small.

Usage (as root when the peers must be started): bench/imap_large_mailbox.py
Environment: MAIL_BUILD_DIR (default build-bench, else build), BENCH_MESSAGES (100000),
BENCH_SMALL (100), BENCH_SIZE ("1-2" KiB), BENCH_SESSIONS (20), BENCH_REPEAT (20),
BENCH_SETTLE (1 s before each memory reading), BENCH_PEER (1), PEERS_DIR, PEERS_RUN,
PEERS_IMAP_PORT (12143). Writes bench/results/imap_large_mailbox-YYYY-MM-DD.md. Our imapd
runs on port 24843 from a temporary directory and is stopped by PID; the peers are started
only if they are not running, and then stopped at the end.
"""

import contextlib
import datetime
import os
import shutil
import statistics
import time

from benchlib import (ImapClient, OurImapd, dovecot_load, dovecot_user, generated_messages,
                      loadavg, memory_of, peers, pids_serving, process_memory, ratio,
                      require_free_ports, work_dir, write_result)

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "100000"))
SMALL = int(os.environ.get("BENCH_SMALL", "100"))
SIZE = os.environ.get("BENCH_SIZE", "1-2")
SESSIONS = int(os.environ.get("BENCH_SESSIONS", "20"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "20"))
SETTLE = float(os.environ.get("BENCH_SETTLE", "1"))
WITH_PEER = os.environ.get("BENCH_PEER", "1") != "0"
PASSWORD = "bench-pw"
OURS_PORT = 24843
PEER_PORT = int(os.environ.get("PEERS_IMAP_PORT", "12143"))
MAILBOXES = {"large": MESSAGES, "small": SMALL}


def our_user(box):
    return f"mbox-{box}-bench@example.test"


def peer_user(box):
    return f"mbox-{box}-bench"


def select_times(port, user, count):
    """SELECT INBOX REPEAT times after a warm-up; returns the seconds."""
    c = ImapClient(port, user, PASSWORD)
    try:
        exists = c.ok("SELECT INBOX").untagged_number("EXISTS")
        assert exists == count, (user, exists, count)
        return [c.timed("SELECT INBOX")[0] for _ in range(REPEAT)]
    finally:
        c.close()


def hold_sessions(port, user, count, our_pid=None):
    """Memory per session with SESSIONS sessions holding the mailbox SELECTed, then again
    after each of them listed the whole mailbox's flags (UID FETCH 1:* (FLAGS), as a sync
    client does first). Ours (`our_pid`): the growth of the process over its memory before
    they connected. Dovecot: the processes serving our sessions' connections, one each.
    Returns ({"selected": per-session, "fetched": per-session}, memory before)."""
    warm = ImapClient(port, user, PASSWORD)  # maps the store's pages, fills shared caches
    warm.ok("SELECT INBOX")
    warm.ok("UID FETCH 1:* (FLAGS)")
    warm.close()
    time.sleep(SETTLE)
    before = process_memory(our_pid) if our_pid else None
    sessions = []

    def per_session():
        time.sleep(SETTLE)
        if our_pid:
            now = process_memory(our_pid)
            return {k: (now[k] - before[k]) / SESSIONS for k in before}
        pids = pids_serving({c.sock.getsockname()[1] for c in sessions})
        assert len(pids) == SESSIONS, pids
        return {k: v / SESSIONS for k, v in memory_of(pids).items()}

    try:
        for _ in range(SESSIONS):
            c = ImapClient(port, user, PASSWORD)
            exists = c.ok("SELECT INBOX").untagged_number("EXISTS")
            assert exists == count, (user, exists, count)
            sessions.append(c)
        out = {"selected": per_session()}
        for c in sessions:
            assert c.ok("UID FETCH 1:* (FLAGS)").untagged == count
        out["fetched"] = per_session()
        return out, before
    finally:
        for c in sessions:
            c.close()


def main():
    require_free_ports("imap_large_mailbox", (OURS_PORT,))
    with peers(PEER_PORT) if WITH_PEER else contextlib.nullcontext():
        results = run()
    report(results)


def run():
    work = work_dir("imap_large_mailbox.")
    ours = OurImapd(work, OURS_PORT, {our_user(b): PASSWORD for b in MAILBOXES})
    results = {"load_before": loadavg(), "select": {}, "memory": {}, "baseline": {}}
    try:
        ours.setup()
        ours.start()
        for box, count in MAILBOXES.items():
            # Generated for our account's address; Dovecot's copy is generated for its user.
            messages = generated_messages(work / f"msgs-{box}", count, SIZE,
                                          f"{peer_user(box)}@example.test")
            start = time.monotonic()
            c = ImapClient(OURS_PORT, our_user(box), PASSWORD)
            c.multiappend("INBOX", messages)
            c.close()
            results[("load", "ours", box)] = time.monotonic() - start
            del messages
            shutil.rmtree(work / f"msgs-{box}")
            if WITH_PEER:
                dovecot_user(peer_user(box), PASSWORD)
                results[("load", "dovecot", box)] = dovecot_load(peer_user(box), count, SIZE)
            print(f"loaded {count} messages into {box}: ours "
                  f"{results[('load', 'ours', box)]:.1f} s" +
                  (f", dovecot {results[('load', 'dovecot', box)]:.1f} s" if WITH_PEER else ""),
                  flush=True)
        systems = {"ours": (OURS_PORT, our_user)}
        if WITH_PEER:
            systems["dovecot"] = (PEER_PORT, peer_user)
        for box, count in MAILBOXES.items():
            for system, (port, user) in systems.items():
                secs = select_times(port, user(box), count)
                results["select"][(system, box)] = statistics.median(secs)
                print(f"select {box} {system}: {statistics.median(secs) * 1000:.2f} ms "
                      f"(min {min(secs) * 1000:.2f}, max {max(secs) * 1000:.2f})", flush=True)
        for box, count in MAILBOXES.items():
            ours.stop()  # a fresh process for each mailbox: nothing left from the other
            ours.start()
            per, base = hold_sessions(OURS_PORT, our_user(box), count, ours.proc.pid)
            results["memory"][("ours", box)], results["baseline"][("ours", box)] = per, base
            print(f"memory {box} ours: {per}", flush=True)
            if WITH_PEER:
                per, base = hold_sessions(PEER_PORT, peer_user(box), count)
                results["memory"][("dovecot", box)] = per
                results["baseline"][("dovecot", box)] = base
                print(f"memory {box} dovecot: {per}", flush=True)
    finally:
        ours.stop()
        results["load_after"] = loadavg()
        shutil.rmtree(work, ignore_errors=True)
    return results


def report(results):
    systems = ["ours"] + (["dovecot"] if WITH_PEER else [])
    sel, mem = results["select"], results["memory"]
    lines = [
        f"# IMAP on a {MESSAGES}-message mailbox, {datetime.date.today()} ({SIZE} KiB messages; "
        f"client and servers on the same {os.cpu_count()} shared cores; load average "
        f"{results['load_before']} before, {results['load_after']} after)",
        "",
        "Loaded: " + "; ".join(
            f"{box} ({count}) ours {results[('load', 'ours', box)]:.1f} s over IMAP MULTIAPPEND" +
            (f", Dovecot {results[('load', 'dovecot', box)]:.1f} s (Maildir files + doveadm index)"
             if WITH_PEER else "")
            for box, count in MAILBOXES.items()) + ".",
        "",
        f"## SELECT INBOX (median of {REPEAT} after a warm-up)",
        "",
        "| mailbox | " + " | ".join(f"{s} ms" for s in systems) +
        (" | ratio ours/dovecot |" if WITH_PEER else " |"),
        "|---|" + "---|" * len(systems) + ("---|" if WITH_PEER else ""),
    ]
    for box, count in MAILBOXES.items():
        cells = [f"{sel[(s, box)] * 1000:.2f}" for s in systems]
        if WITH_PEER:
            cells.append(ratio(sel[("ours", box)], sel[("dovecot", box)]))
        lines.append(f"| {box} ({count} messages) | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"## Memory per session ({SESSIONS} sessions each holding the mailbox SELECTed; "
        "ours: imapd's growth over its memory before they connected, divided by the sessions; "
        "Dovecot: the mean of the imap processes serving them)",
        "",
        "| system | mailbox | sessions are | RSS KiB/session | anon KiB/session | PSS KiB/session | "
        "process RSS KiB (anon) before |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in systems:
        for box, count in MAILBOXES.items():
            b = results["baseline"][(s, box)]
            base = f"{b['rss']} ({b['anon']})" if b else "-"
            for state, m in mem[(s, box)].items():
                pss = f"{m['pss']:.1f}" if "pss" in m else "-"
                what = "SELECTed" if state == "selected" else "after UID FETCH 1:* (FLAGS)"
                lines.append(f"| {s} | {box} ({count}) | {what} | {m['rss']:.1f} | "
                             f"{m['anon']:.1f} | {pss} | {base} |")
    lines.append("")
    for state in ("selected", "fetched"):
        large, small = mem[("ours", "large")][state], mem[("ours", "small")][state]
        lines.append(f"Ours, large minus small ({state}): {large['rss'] - small['rss']:+.1f} KiB "
                     f"RSS, {large['anon'] - small['anon']:+.1f} KiB anon per session.")
    write_result("imap_large_mailbox", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
