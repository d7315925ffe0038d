#!/usr/bin/python3
"""Benchmark: logins per second for clients that reconnect (connect, TLS, log in, log
out), ours against Dovecot from ../shared/peers in the same run, as ratios.

Rows (each a number of concurrent clients looping for a fixed time):
  pop3s_tls     connect + TLS handshake + greeting + QUIT, no login: the TLS cost alone
  pop3s_login   connect + TLS + USER/PASS + QUIT: TLS plus the password check
  imaps_tls     connect + TLS handshake + greeting + LOGOUT, no login
  imaps_login   connect + TLS + LOGIN + LOGOUT (issue 16's figure)
Besides the rates, the IMAPS cycles time their phases: connect + TLS handshake + greeting,
and LOGIN to its OK (the password check, seen apart from TLS); medians in ms.
Ours runs twice: with the verification cache (auth.cache_ttl = 60, the default: only the
first login of a client runs argon2id) and without it (cache_ttl = 0: argon2id, m=19 MiB,
t=2, on every login). Dovecot's peer checks a plaintext password file (no hashing at all).

Usage (as root when the peers must be started): bench/login_rate.py
Environment: MAIL_BUILD_DIR (default build-bench, else build), BENCH_CLIENTS (8),
BENCH_SECONDS (8 per measurement), BENCH_REPEAT (2 rounds; each cell keeps its best round,
since other load only slows a run), PEERS_DIR, PEERS_RUN, PEERS_POP3S_PORT (12995),
PEERS_IMAPS_PORT (12993), BENCH_PORT_BASE (23000).
Writes bench/results/login_rate-YYYY-MM-DD.md. Starts our pop3d/imapd on 23xxx ports
from a temporary directory and stops them by PID; starts the peers only if they are not
running, and then stops them at the end.
"""

import datetime
import os
import statistics
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEERS = Path(os.environ.get("PEERS_DIR", ROOT.parent / "shared" / "peers"))
BUILD = Path(os.environ.get("MAIL_BUILD_DIR", ROOT / "build-bench"))
if not (BUILD / "pop3d" / "pop3d").exists():
    BUILD = ROOT / "build"
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "2"))
PEER = {"pop3s": int(os.environ.get("PEERS_POP3S_PORT", "12995")),
        "imaps": int(os.environ.get("PEERS_IMAPS_PORT", "12993")),
        "user": "alice@example.test", "password": "secret"}
BASE = int(os.environ.get("BENCH_PORT_BASE", "23000"))  # another base when 23xxx is taken
OURS_PORTS = {"pop3": BASE + 110, "pop3s": BASE + 995, "imap": BASE + 143, "imaps": BASE + 993}
# One account per client: POP3 locks the maildrop (RFC 1939 4), so concurrent sessions
# of one account would be refused with [IN-USE].
USERS = [f"bench{i}@example.test" for i in range(CLIENTS)]
PASSWORD = "bench-pw"


def make_context():
    # One context for all connections: building one loads the system CA store (tens of ms),
    # which would make the client the bottleneck.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


CONTEXT = make_context()


def context():
    return CONTEXT


def read_line(f):
    line = f.readline()
    if not line:
        raise EOFError("connection closed")
    return line


def pop3s_cycle(port, user, password, login):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with context().wrap_socket(raw) as s:
            f = s.makefile("rb")
            assert read_line(f).startswith(b"+OK")
            if login:
                s.sendall(f"USER {user}\r\nPASS {password}\r\n".encode())
                assert read_line(f).startswith(b"+OK")
                reply = read_line(f)
                assert reply.startswith(b"+OK"), reply
            s.sendall(b"QUIT\r\n")
            read_line(f)


PHASES = {}  # (port, login) -> [(tls seconds, login seconds)]


def imaps_cycle(port, user, password, login=True):
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with context().wrap_socket(raw) as s:
            f = s.makefile("rb")
            assert read_line(f).startswith(b"* OK")
            t1 = time.monotonic()
            if login:
                s.sendall(f'a LOGIN "{user}" "{password}"\r\n'.encode())
                while not (line := read_line(f)).startswith(b"a "):
                    pass
                assert line.startswith(b"a OK"), line
            PHASES.setdefault((port, login), []).append((t1 - t0, time.monotonic() - t1))
            s.sendall(b"b LOGOUT\r\n")
            while not read_line(f).startswith(b"b "):
                pass


def measure(cycle, port, users, password, login):
    """Cycles per second over CLIENTS threads for SECONDS (client i logs in as users[i]);
    an error ends that client's loop and is reported."""
    done, errors = [0] * CLIENTS, []
    stop = time.monotonic() + SECONDS

    def worker(i):
        try:
            while time.monotonic() < stop:
                cycle(port, users[i % len(users)], password, login)
                done[i] += 1
        except Exception as e:  # noqa: BLE001 - reported in the table
            errors.append(repr(e))

    start = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    return sum(done) / elapsed, errors[:1]


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class Ours:
    def __init__(self, work, cache_ttl):
        self.work = Path(work)
        self.cache_ttl = cache_ttl
        self.procs = []

    def start(self):
        cfg = self.work / "config.toml"
        cfg.write_text(f"""[server]
data_dir = "{self.work}/data"
[tls]
cert_file = "{self.work}/tls/cert.pem"
key_file = "{self.work}/tls/key.pem"
[log]
level = "warn"
[imapd]
listen = "127.0.0.1:{OURS_PORTS['imap']}"
tls_listen = "127.0.0.1:{OURS_PORTS['imaps']}"
[pop3d]
listen = "127.0.0.1:{OURS_PORTS['pop3']}"
tls_listen = "127.0.0.1:{OURS_PORTS['pop3s']}"
[auth]
cache_ttl = {self.cache_ttl}
""")
        for name in ("pop3d", "imapd"):
            log = open(self.work / f"{name}-{self.cache_ttl}.log", "ab")
            self.procs.append(subprocess.Popen([str(BUILD / name / name), "--config", str(cfg)],
                                               stdout=log, stderr=subprocess.STDOUT))
        for port in OURS_PORTS.values():
            deadline = time.monotonic() + 15
            while not port_open(port):
                assert time.monotonic() < deadline, f"our daemons did not listen on {port}"
                time.sleep(0.05)

    def stop(self):
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []


PHASE_ROWS = {}  # (row, system) -> (median tls ms, median login ms) of its best round


def record_phases(key, port, login, rate, best):
    """Keeps the phase medians of the round that gave the cell its best rate."""
    samples = PHASES.get((port, login), [])
    if samples and rate >= best:
        PHASE_ROWS[key] = (statistics.median(t for t, _ in samples) * 1000,
                           statistics.median(x for _, x in samples) * 1000)


def loadavg():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def main():
    load_before = loadavg()
    for port in OURS_PORTS.values():
        if port_open(port):
            sys.exit(f"login_rate: port {port} is already in use")
    peers_started = False
    if not port_open(PEER["pop3s"]):
        subprocess.run([str(PEERS / "start.sh")], check=True, stdout=subprocess.DEVNULL)
        peers_started = True
    work = Path(tempfile.mkdtemp(prefix="login_rate."))
    rows = {}  # (row, system) -> best rate
    notes = []
    try:
        subprocess.run(["bash", str(ROOT / "scripts" / "gen-cert.sh"), str(work / "tls")], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ctl = [str(BUILD / "ctl" / "mailctl"), "--config", str(work / "config.toml")]
        for round_no in range(REPEAT):
            for ttl in (60, 0):
                ours = Ours(work, ttl)
                ours.start()
                try:
                    if round_no == 0 and ttl == 60:
                        subprocess.run(ctl + ["domain", "add", "example.test"], check=True)
                        for user in USERS:
                            subprocess.run(ctl + ["user", "add", user], input=PASSWORD + "\n",
                                           text=True, check=True, stdout=subprocess.DEVNULL)
                    system = "ours (cache)" if ttl else "ours (argon2id every login)"
                    for row, cycle, port, login in (
                            ("pop3s_tls", pop3s_cycle, OURS_PORTS["pop3s"], False),
                            ("pop3s_login", pop3s_cycle, OURS_PORTS["pop3s"], True),
                            ("imaps_tls", imaps_cycle, OURS_PORTS["imaps"], False),
                            ("imaps_login", imaps_cycle, OURS_PORTS["imaps"], True)):
                        if ttl == 0 and row.endswith("_tls"):
                            continue
                        PHASES.clear()
                        rate, err = measure(cycle, port, USERS, PASSWORD, login)
                        key = (row, system)
                        record_phases(key, port, login, rate, rows.get(key, 0))
                        rows[key] = max(rows.get(key, 0), rate)
                        notes += [f"{system} {row}: {e}" for e in err]
                finally:
                    ours.stop()
            for row, cycle, port, login in (("pop3s_tls", pop3s_cycle, PEER["pop3s"], False),
                                            ("pop3s_login", pop3s_cycle, PEER["pop3s"], True),
                                            ("imaps_tls", imaps_cycle, PEER["imaps"], False),
                                            ("imaps_login", imaps_cycle, PEER["imaps"], True)):
                PHASES.clear()
                rate, err = measure(cycle, port, [PEER["user"]], PEER["password"], login)
                key = (row, "dovecot")
                record_phases(key, port, login, rate, rows.get(key, 0))
                rows[key] = max(rows.get(key, 0), rate)
                notes += [f"dovecot {row}: {e}" for e in err]
    finally:
        if peers_started:
            subprocess.run([str(PEERS / "stop.sh")], stdout=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)

    def cell(row, system):
        return rows.get((row, system), 0.0)

    lines = [
        f"# Login rate, {datetime.date.today()} ({CLIENTS} clients, {SECONDS:.0f} s per cell, "
        f"best of {REPEAT}; load generator on the same {os.cpu_count()} cores; load average "
        f"before {load_before}, after {loadavg()})",
        "",
        "| workload | ours (cache) /s | ours (argon2id every login) /s | dovecot /s | ratio cache/dovecot | ratio argon2id/dovecot |",
        "|---|---|---|---|---|---|",
    ]
    for row in ("pop3s_tls", "pop3s_login", "imaps_tls", "imaps_login"):
        c, a, d = cell(row, "ours (cache)"), cell(row, "ours (argon2id every login)"), cell(row, "dovecot")
        ratio = lambda x: f"{x / d:.2f}" if d and x else "-"  # noqa: E731
        lines.append(f"| {row} | {c:.1f} | {a:.1f} | {d:.1f} | {ratio(c)} | {ratio(a)} |")
    lines += ["", "IMAPS phases under the same load (medians, ms): connect + TLS handshake + greeting | "
              "LOGIN to OK (the password check)", "",
              "| system | imaps_tls: TLS | imaps_login: TLS | imaps_login: LOGIN |", "|---|---|---|---|"]
    for system in ("ours (cache)", "ours (argon2id every login)", "dovecot"):
        tls_only = PHASE_ROWS.get(("imaps_tls", system))
        login = PHASE_ROWS.get(("imaps_login", system))
        fmt = lambda v: f"{v:.1f}" if v is not None else "-"  # noqa: E731
        lines.append(f"| {system} | {fmt(tls_only[0] if tls_only else None)} | "
                     f"{fmt(login[0] if login else None)} | {fmt(login[1] if login else None)} |")
    if notes:
        lines += ["", "Problems seen:"] + [f"- {n}" for n in notes]
    text = "\n".join(lines) + "\n"
    print(text)
    out = ROOT / "bench" / "results" / f"login_rate-{datetime.date.today()}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)


if __name__ == "__main__":
    main()
