#!/usr/bin/python3
"""Benchmark: IMAP IDLE against Dovecot (the peers in ../shared/peers), in the same run.

1. Delivery -> IDLE latency: one client idles on an INBOX; messages go in over SMTP, one
   connection, at --rate messages/s; for each, the time from the 250 after the final dot
   to the first untagged EXISTS that counts it. Ours: smtpd -> queued -> store -> change
   notice -> imapd. Dovecot: Postfix -> LMTP -> Dovecot (which batches IDLE notifications
   for up to 0.5 s by design).
2. Idle IMAPS connections: --conns clients connect over TLS, log in, SELECT INBOX and
   IDLE; the server's memory before and after, per connection (RSS and PSS; ours: the one
   imapd process; Dovecot: its master and every child, as ../shared/peers/rss.sh sums).

Prints a Markdown table with ratios ours/Dovecot and writes it to
bench/results/imap_idle-DATE.md. Run as root (the peers need it), after building imapd,
smtpd, queued and mailctl. Starts our daemons from a temporary data directory on ports
23xxx and stops them by PID; leaves the peers running (start.sh is idempotent).
The load generator shares the 2 cores with the servers: compare ratios, not absolutes.

Usage: bench/imap_idle.py [--messages 50] [--rate 10] [--conns 2000] [--our-conns 10000]
"""

import argparse
import asyncio
import datetime
import os
import re
import resource
import smtplib
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchlib import work_dir

ROOT = Path(__file__).resolve().parent.parent
PEERS = Path(os.environ.get("PEERS_DIR", ROOT.parent / "shared" / "peers"))
if not PEERS.exists():
    PEERS = Path("/work/shared/peers")
PEERS_RUN = Path(os.environ.get("PEERS_RUN", "/tmp/peers"))
DOMAIN = "example.test"
OURS = {"smtp": 23525, "imap": 23143, "imaps": 23993, "pop3": 23110, "submission": 23587}
DOVECOT = {"smtp": 12525, "imap": 12143, "imaps": 12993}
PEER_USER, PEER_PASS = "bob", "secret"
OUR_USER, OUR_PASS = f"idlebench@{DOMAIN}", "bench-pw"


def percentile(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


# --- our daemons -----------------------------------------------------------------------------
class Ours:
    def __init__(self, build, work):
        self.build, self.work, self.procs = build, work, {}
        self.config = work / "config.toml"

    def start(self, max_connections):
        subprocess.run(["bash", str(ROOT / "scripts" / "gen-cert.sh"), str(self.work / "tls")],
                       check=True, stdout=subprocess.DEVNULL)
        self.config.write_text(f"""[server]
hostname = "mail.{DOMAIN}"
data_dir = "{self.work}/data"
[tls]
cert_file = "{self.work}/tls/cert.pem"
key_file = "{self.work}/tls/key.pem"
[smtpd]
listen = "127.0.0.1:{OURS['smtp']}"
submission_listen = "127.0.0.1:{OURS['submission']}"
submissions_listen = ""
[imapd]
listen = "127.0.0.1:{OURS['imap']}"
tls_listen = "127.0.0.1:{OURS['imaps']}"
allow_plaintext_auth_on_loopback = true
max_connections = {max_connections}
max_connections_per_ip = {max_connections}
[pop3d]
listen = "127.0.0.1:{OURS['pop3']}"
tls_listen = ""
""")
        (self.work / "data").mkdir()
        self.mailctl("domain", "add", DOMAIN)
        self.mailctl("user", "add", OUR_USER, input=OUR_PASS + "\n")
        for name, ready in (("queued", self.work / "data" / "queued.sock"), ("smtpd", OURS["smtp"]),
                            ("imapd", OURS["imaps"])):
            log = open(self.work / f"{name}.log", "w")
            self.procs[name] = subprocess.Popen([str(self.build / name / name), "--config", str(self.config)],
                                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                assert self.procs[name].poll() is None, f"{name} died: {(self.work / f'{name}.log').read_text()[-2000:]}"
                if isinstance(ready, Path):
                    if ready.exists():
                        break
                else:
                    try:
                        socket.create_connection(("127.0.0.1", ready), timeout=1).close()
                        break
                    except OSError:
                        pass
                time.sleep(0.1)

    def mailctl(self, *args, input=None):
        subprocess.run([str(self.build / "ctl" / "mailctl"), "--config", str(self.config), *args],
                       input=input, text=True, check=True, stdout=subprocess.DEVNULL, timeout=60)

    def stop(self):
        for p in self.procs.values():
            p.terminate()
        for p in self.procs.values():
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()

    def memory_kib(self):
        pid = self.procs["imapd"].pid
        return read_mem([pid])


def read_mem(pids):
    rss = pss = 0
    for pid in pids:
        try:
            for line in open(f"/proc/{pid}/smaps_rollup"):
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            pass
    return rss, pss


def dovecot_memory_kib():
    root = int(open(PEERS_RUN / "dovecot" / "run" / "master.pid").read().split()[0])
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                parent[int(d)] = int(open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()[1])
            except OSError:
                pass
    tree = []
    for p in parent:
        q, n = p, 0
        while q != root and q in parent and n < 64:
            q, n = parent[q], n + 1
        if q == root:
            tree.append(p)
    return read_mem(tree)


# --- 1. delivery -> EXISTS latency -------------------------------------------------------------
def idle_reader(sock, events, stop):
    """Records (time, n) for every "* n EXISTS" line until stop is set. Reads the socket
    itself (a file object breaks for good after one timeout)."""
    buf = b""
    while not stop.is_set():
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return
        if not data:
            return
        now = time.monotonic()
        buf += data
        *lines, buf = buf.split(b"\r\n")
        for line in lines:
            m = re.match(rb"\* (\d+) EXISTS", line)
            if m:
                events.append((now, int(m.group(1))))


def latency(smtp_port, imap_port, user, password, rcpt, messages, rate):
    s = socket.create_connection(("127.0.0.1", imap_port), timeout=10)
    f = s.makefile("rwb")
    f.readline()

    def cmd(tag, text):
        f.write(f"{tag} {text}\r\n".encode())
        f.flush()
        lines = []
        while True:
            line = f.readline()
            lines.append(line)
            if line.startswith(tag.encode() + b" "):
                assert b" OK" in line, lines
                return lines

    cmd("a", f"LOGIN {user} {password}")
    lines = cmd("b", "SELECT INBOX")
    base = next(int(m.group(1)) for l in lines if (m := re.match(rb"\* (\d+) EXISTS", l)))
    f.write(b"c IDLE\r\n")
    f.flush()
    assert f.readline().startswith(b"+")
    s.settimeout(0.2)
    events, stop = [], threading.Event()
    reader = threading.Thread(target=idle_reader, args=(s, events, stop), daemon=True)
    reader.start()
    smtp = smtplib.SMTP("127.0.0.1", smtp_port, timeout=30)
    smtp.ehlo("bench.example.org")
    sent = []
    start = time.monotonic()
    for i in range(messages):
        due = start + i / rate
        time.sleep(max(0.0, due - time.monotonic()))
        msg = (f"From: b@example.org\r\nTo: {rcpt}\r\nSubject: idle bench {i}\r\n"
               f"Message-ID: <idle{i}.{time.time()}@example.org>\r\n\r\n" + "x" * 2000 + "\r\n")
        smtp.sendmail("b@example.org", [rcpt], msg)
        sent.append(time.monotonic())
    smtp.quit()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (not events or events[-1][1] < base + messages):
        time.sleep(0.05)
    stop.set()
    reader.join(2)
    s.sendall(b"DONE\r\nz LOGOUT\r\n")
    s.close()
    out = []
    for k, t in enumerate(sent, 1):
        seen = next((et for et, n in events if n >= base + k), None)
        if seen is not None:
            out.append(max(0.0, seen - t))
    return out, messages - len(out)


# --- 2. idle IMAPS connections -------------------------------------------------------------
async def idle_client(port, user, password, ctx, ready, hold):
    r, w = await asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="localhost")
    await r.readline()
    for tag, text in (("a", f"LOGIN {user} {password}"), ("b", "SELECT INBOX")):
        w.write(f"{tag} {text}\r\n".encode())
        while True:
            line = await r.readline()
            if not line:
                raise ConnectionError("closed")
            if line.startswith(tag.encode() + b" "):
                if b" OK" not in line:
                    raise ConnectionError(line)
                break
    w.write(b"c IDLE\r\n")
    line = await r.readline()
    if not line.startswith(b"+"):
        raise ConnectionError(line)
    ready.append(1)
    await hold.wait()
    w.close()


async def idle_conns(port, user, password, count, mem, parallel=50):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    before = mem()
    ready, hold, failures = [], asyncio.Event(), []
    tasks = []

    # Start in waves of `parallel`, wait for each wave to be idling.
    start = time.monotonic()
    for first in range(0, count, parallel):
        wave = [asyncio.create_task(idle_client(port, user, password, ctx, ready, hold))
                for _ in range(min(parallel, count - first))]
        tasks += wave
        target = len(tasks)
        deadline = time.monotonic() + 60
        while len(ready) + sum(t.done() for t in tasks) < target and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
    elapsed = time.monotonic() - start
    await asyncio.sleep(2)  # let the servers settle (Dovecot's login processes hand over)
    after = mem()
    for t in tasks:
        if t.done() and t.exception():
            failures.append(repr(t.exception()))
    hold.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    n = len(ready)
    return {"idling": n, "failed": len(failures), "first_failure": failures[0] if failures else "",
            "setup_s": elapsed, "rss_kib": (after[0] - before[0]) / max(n, 1),
            "pss_kib": (after[1] - before[1]) / max(n, 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=50)
    ap.add_argument("--rate", type=float, default=10.0)
    ap.add_argument("--conns", type=int, default=1000, help="idle IMAPS connections, both servers")
    ap.add_argument("--our-conns", type=int, default=10000, help="and ours alone at this many")
    ap.add_argument("--build", default=os.environ.get("MAIL_BUILD_DIR", ROOT / "build"))
    args = ap.parse_args()
    build = Path(args.build)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:  # start.sh is idempotent, but rewrites the peers' config: only when they are down
        socket.create_connection(("127.0.0.1", DOVECOT["imaps"]), timeout=2).close()
    except OSError:
        subprocess.run([str(PEERS / "start.sh")], check=True, stdout=subprocess.DEVNULL, timeout=600)
    work = work_dir("bench-idle.", PEERS_RUN.parent)  # searchable after the privilege drop
    ours = Ours(build, work)
    rows = []
    try:
        ours.start(max_connections=max(args.conns, args.our_conns) + 100)
        # 1. latency, ours then Dovecot
        lat = {}
        for name, smtp, imap, user, pw, rcpt in (
                ("ours", OURS["smtp"], OURS["imap"], OUR_USER, OUR_PASS, OUR_USER),
                ("dovecot", DOVECOT["smtp"], DOVECOT["imap"], PEER_USER, PEER_PASS, f"{PEER_USER}@{DOMAIN}")):
            values, missed = latency(smtp, imap, user, pw, rcpt, args.messages, args.rate)
            lat[name] = (values, missed)
            if values:  # progress, in case a later phase runs out of time
                print(f"{name}: 250 -> EXISTS p50 {percentile(values, 50) * 1000:.1f} ms, "
                      f"p99 {percentile(values, 99) * 1000:.1f} ms, missed {missed}", flush=True)
        # 2. idle IMAPS connections
        conns = {}
        conns["ours"] = asyncio.run(idle_conns(OURS["imaps"], OUR_USER, OUR_PASS, args.conns, ours.memory_kib))
        print(f"ours: {conns['ours']}", flush=True)
        conns["dovecot"] = asyncio.run(idle_conns(DOVECOT["imaps"], PEER_USER, PEER_PASS, args.conns,
                                                  dovecot_memory_kib))
        print(f"dovecot: {conns['dovecot']}", flush=True)
        big = None
        if args.our_conns > args.conns:
            big = asyncio.run(idle_conns(OURS["imaps"], OUR_USER, OUR_PASS, args.our_conns, ours.memory_kib))
    finally:
        ours.stop()
    for name in ("ours", "dovecot"):
        assert lat[name][0], f"{name}: no EXISTS seen"

    def ms(v):
        return f"{v * 1000:.1f}"

    o, d = lat["ours"][0], lat["dovecot"][0]
    lines = [f"# imap_idle benchmark, {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC",
             "", f"2 cores shared with the load generator (and other work on the machine).", "",
             "| figure | ours | Dovecot | ours/Dovecot |", "|---|---|---|---|"]
    for label, p in (("250 -> EXISTS p50 (ms)", 50), ("250 -> EXISTS p99 (ms)", 99)):
        a, b = percentile(o, p), percentile(d, p)
        lines.append(f"| {label}, {args.messages} msgs at {args.rate:g}/s | {ms(a)} | {ms(b)} | {a / b:.3f} |")
    lines.append(f"| messages whose EXISTS never came | {lat['ours'][1]} | {lat['dovecot'][1]} | |")
    co, cd = conns["ours"], conns["dovecot"]
    lines.append(f"| idle IMAPS connections (idling/failed) | {co['idling']}/{co['failed']} | "
                 f"{cd['idling']}/{cd['failed']} | |")
    lines.append(f"| RSS per idle IMAPS connection (KiB) | {co['rss_kib']:.1f} | {cd['rss_kib']:.1f} | "
                 f"{co['rss_kib'] / cd['rss_kib']:.3f} |")
    lines.append(f"| PSS per idle IMAPS connection (KiB) | {co['pss_kib']:.1f} | {cd['pss_kib']:.1f} | "
                 f"{co['pss_kib'] / cd['pss_kib']:.3f} |")
    lines.append(f"| setup time for the connections (s) | {co['setup_s']:.1f} | {cd['setup_s']:.1f} | "
                 f"{co['setup_s'] / cd['setup_s']:.3f} |")
    if big:
        lines.append(f"| ours alone: {args.our_conns} idle IMAPS (idling/failed; RSS, PSS KiB each) | "
                     f"{big['idling']}/{big['failed']}; {big['rss_kib']:.1f}, {big['pss_kib']:.1f} | | |")
    for name, c in (("ours", co), ("dovecot", cd)) + ((("ours-big", big),) if big else ()):
        if c["failed"]:
            lines.append(f"\n{name}: first failure: {c['first_failure']}")
    text = "\n".join(lines) + "\n"
    print(text)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"imap_idle-{datetime.date.today()}.md").write_text(text)
    import shutil
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
