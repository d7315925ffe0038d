#!/usr/bin/python3
"""Relay throughput to smtp-sink, ours against Postfix, and queue memory per message.

    bench/relay_throughput.sh        (as root; see bench/README.md, "relay_throughput")

Both systems take BENCH_MESSAGES messages of BENCH_SIZE octets addressed round-robin to
20 foreign domains (r01.relay.test ... r20.relay.test) from the same injector (Python
smtplib, BENCH_SESSIONS processes, one connection each, all messages over it) and relay
them to one Postfix smtp-sink on 127.0.0.1, which counts what it takes (-c). Measured per
system, in the same run, alternating which goes first:

- throughput: from the first MAIL FROM until the sink has taken every message
  (messages / seconds), with the injection time (every 250 received) and the tail after it;
- held queue: the sink is stopped, the messages are injected and deferred (connection
  refused); the RSS growth of queued (of Postfix: of all its processes) over the number of
  messages held is the queue memory per message; then the sink starts, the queue is flushed
  (`mailctl queue flush` / `postqueue -f`) and the drain time is taken until the sink has
  them all.

Routes. Postfix uses its normal DNS (glibc, port 53 only, which a test cannot point at a
private server without a network namespace), so its 20 domains go through a transport map
to smtp:[127.0.0.1]:SINK (no lookup). Ours is measured twice: "ours (dns)" looks up each
domain's MX at a zone-file DNS server on loopback (tests/dns/dns_server.py, through
[dns] resolvers and [relay] smtp_port, the production path) and "ours (transport)" uses
[relay.transport], the same route as Postfix. Both relay without TLS (smtp-sink offers none
that works), both fsync before their 250.

Trusts its own command line and the build; trusts the servers for nothing (every wait has
a deadline). Starts everything it uses (DNS server, smtp-sink, our queued+smtpd, a private
Postfix instance under the work directory) and stops exactly those, by PID.
"""

import argparse
import json
import multiprocessing as mp
import os
import pty
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMTP_SINK = "/usr/sbin/smtp-sink"
DOMAINS = [f"r{i:02d}.relay.test" for i in range(1, 21)]
SENDER = "bench@example.test"
PASSWORD = "bench-relay-pw"
ENV = os.environ


def log(*a):
    print(f"[{datetime.now().strftime('%H:%M:%S')}]", *a, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, name, deadline=20.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not listen on {port}")


def rss_kib(pid, field="VmRSS"):
    """A process's resident memory in KiB: VmRSS (all), RssAnon (heap, stacks) or RssFile
    (mapped files, e.g. the LMDB spool's pages)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children_named(parent, name):
    """PIDs of the children of `parent` whose command name is `name`."""
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                comm, rest = d.joinpath("stat").read_text().rsplit(")", 1)
                if int(rest.split()[1]) == parent and comm.split("(", 1)[1] == name:
                    found.append(int(d.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def stop_pid(proc, name, grace=20):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        log(f"{name} (pid {proc.pid}) ignored SIGTERM for {grace} s; SIGKILL")
        proc.kill()
        proc.wait()


# --- the far end ---------------------------------------------------------------------------
class Sink:
    """smtp-sink -c on a fixed port; `count` is its running message counter ("mesg=N")."""

    def __init__(self, port):
        self.port = port
        self.proc = None
        self.count = 0
        self.changed = threading.Condition()

    def start(self):
        args = [SMTP_SINK, "-c", f"127.0.0.1:{self.port}", "256"]
        if os.geteuid() == 0:
            args[1:1] = ["-u", "nobody"]
        self.count = 0
        # smtp-sink buffers its counter line unless stdout is a terminal: give it a pty.
        master, slave = pty.openpty()
        self.proc = subprocess.Popen(args, stdout=slave, stderr=subprocess.DEVNULL,
                                     stdin=subprocess.DEVNULL)
        os.close(slave)
        threading.Thread(target=self._read, args=(master,), daemon=True).start()
        wait_port(self.port, self.proc, "smtp-sink")

    def _read(self, fd):
        buf = b""
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the sink exited
                chunk = b""
            if not chunk:
                os.close(fd)
                return
            buf += chunk
            *records, buf = buf.split(b"\r")
            for rec in reversed(records):
                for field in rec.split():
                    if field.startswith(b"mesg="):
                        with self.changed:
                            self.count = int(field[5:])
                            self.changed.notify_all()
                        break
                else:
                    continue
                break

    def wait_for(self, n, deadline):
        """Monotonic time at which the counter reached n (None on timeout)."""
        end = time.monotonic() + deadline
        with self.changed:
            while self.count < n:
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.changed.wait(min(left, 0.5))
            return time.monotonic()

    def stop(self):
        stop_pid(self.proc, "smtp-sink", grace=5)
        self.proc = None


# --- the injector --------------------------------------------------------------------------
def make_message(i, size):
    dom = DOMAINS[i % len(DOMAINS)]
    head = (f"From: <{SENDER}>\r\nTo: <user{i % 7}@{dom}>\r\nSubject: relay bench {i}\r\n"
            f"Date: {datetime.now(timezone.utc).strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n"
            f"Message-ID: <relaybench.{os.getpid()}.{i}.{time.time_ns()}@example.test>\r\n\r\n")
    line = ("The quick brown fox jumps over the lazy dog 0123456789 relay benchmark." * 2)[:76]
    body = ""
    while len(head) + len(body) < size:
        body += line + "\r\n"
    return f"user{i % 7}@{dom}", (head + body)[:size - 2] + "\r\n"


def _inject_worker(port, auth, indices, size, start, results):
    try:
        s = smtplib.SMTP("127.0.0.1", port, timeout=120)
        s.ehlo("client.example.org")
        if auth:
            s.login(SENDER, PASSWORD)
        msgs = [make_message(i, size) for i in indices]
        start.wait()
        for rcpt, msg in msgs:
            refused = s.sendmail(SENDER, [rcpt], msg.encode())
            if refused:
                raise RuntimeError(f"refused {refused}")
        s.quit()
        results.put(("ok", len(msgs), time.monotonic()))
    except Exception as e:  # reported as the row's problem
        results.put(("error", repr(e), time.monotonic()))


def inject(port, auth, count, sessions, size, timeout):
    """Sends `count` messages over `sessions` connections; returns (t_start, t_end, errors).
    Every process connects (and authenticates) before the clock starts."""
    start, results = mp.Event(), mp.Queue()
    procs = [mp.Process(target=_inject_worker,
                        args=(port, auth, range(k, count, sessions), size, start, results))
             for k in range(sessions)]
    for p in procs:
        p.start()
    time.sleep(1.0 + 0.05 * sessions)  # connected, logged in, messages built
    t0 = time.monotonic()
    start.set()
    errors, t_end = [], t0
    for _ in procs:
        try:
            kind, what, t = results.get(timeout=timeout)
        except Exception:
            errors.append("injector timed out")
            break
        t_end = max(t_end, t)
        if kind != "ok":
            errors.append(what)
    for p in procs:
        p.join(timeout=5)
        if p.is_alive():
            p.kill()
    return t0, t_end, errors


# --- the systems ---------------------------------------------------------------------------
class Ours:
    def __init__(self, work, build, sink_port, dns_port, route):
        self.name = f"ours ({route})"
        self.dir = work / f"ours-{route}"
        self.build = build
        self.port = free_port()
        self.procs = {}
        self.dir.mkdir()
        (self.dir / "data").mkdir()
        if route == "dns":
            relay = f'smtp_port = {sink_port}\n'
        else:
            relay = ("[relay.transport]\n" + "".join(
                f'"{d}" = "127.0.0.1:{sink_port}"\n' for d in DOMAINS))
        self.config = self.dir / "config.toml"
        self.config.write_text(f"""# relay_throughput benchmark ({route} route; generated).
# Defaults everywhere except ports, paths, no TLS to the sink, and no inbound checks.
[server]
hostname = "mail.example.test"
data_dir = "{self.dir}/data"
user = ""
allow_root = true

[smtpd]
listen = "127.0.0.1:{free_port()}"
submission_listen = "127.0.0.1:{self.port}"
submissions_listen = ""
allow_plaintext_auth_on_loopback = true

[imapd]
listen = "127.0.0.1:{free_port()}"
tls_listen = ""

[pop3d]
listen = "127.0.0.1:{free_port()}"
tls_listen = ""

[mailauth]
spf = false
dkim_verify = false
dmarc = false

[dns]
resolvers = ["127.0.0.1@{dns_port}"]

[relay]
tls_policy = "none"
{relay}""")
        self.mailctl("domain", "add", "example.test")
        self.mailctl("user", "add", SENDER, input=PASSWORD + "\n")

    def mailctl(self, *args, input=None):
        return subprocess.run([str(self.build / "ctl/mailctl"), "--config", str(self.config), *args],
                              input=input, text=True, capture_output=True, check=True, timeout=60)

    def start(self):
        for name in ("queued", "smtpd"):
            logf = open(self.dir / f"{name}.log", "ab")
            self.procs[name] = subprocess.Popen(
                [str(self.build / name / name), "--config", str(self.config)],
                stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            if name == "queued":
                sock = self.dir / "data/queued.sock"
                end = time.monotonic() + 20
                while not sock.exists():
                    if self.procs[name].poll() is not None or time.monotonic() > end:
                        raise RuntimeError(f"queued did not start (log {logf.name})")
                    time.sleep(0.05)
        wait_port(self.port, self.procs["smtpd"], "smtpd")

    def stop(self):
        for name in ("smtpd", "queued"):
            stop_pid(self.procs.pop(name, None), name)

    def alive(self):
        return all(p.poll() is None for p in self.procs.values())

    def rss_kib(self, field="VmRSS"):
        return rss_kib(self.procs["queued"].pid, field)

    def queued_count(self):
        return len(json.loads(self.mailctl("queue", "list", "--json").stdout))

    def flush(self):
        self.mailctl("queue", "flush")

    auth = True


class Postfix:
    """A private Postfix instance under the work directory (as ../shared/peers/setup.sh
    writes one): SMTP on a loopback port, mynetworks may relay, the 20 domains to the sink
    by a transport map, everything else the package's defaults."""

    name = "postfix"
    auth = False

    def __init__(self, work, sink_port):
        self.dir = work / "postfix"
        conf, meta, queue = self.dir / "conf", self.dir / "conf/meta", self.dir / "queue"
        data = self.dir / "data"
        for d in (meta, queue, data):
            d.mkdir(parents=True)
        for f in ("postfix-files", "dynamicmaps.cf", "postfix-files.d", "dynamicmaps.cf.d"):
            src = Path("/etc/postfix") / f
            if src.is_dir():
                shutil.copytree(src, meta / f)
            elif src.exists():
                shutil.copy(src, meta / f)
        os.chmod(self.dir, 0o755)
        shutil.chown(data, "postfix", "postfix")
        self.conf = conf
        self.port = free_port()
        self.logfile = self.dir / "postfix.log"
        (conf / "transport").write_text(
            "".join(f"{d} smtp:[127.0.0.1]:{sink_port}\n" for d in DOMAINS))
        (conf / "main.cf").write_text(f"""# relay_throughput benchmark (generated)
compatibility_level = 3.6
meta_directory = {meta}
queue_directory = {queue}
data_directory = {data}
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = {self.logfile}
maillog_file_prefixes = {self.dir}
syslog_name = postfix-relaybench
myhostname = mail.example.test
mydomain = example.test
myorigin = $mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
relayhost =
biff = no
append_dot_mydomain = no
smtpd_peername_lookup = no
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
# The 20 destination domains go to smtp-sink without DNS (see the module docstring).
transport_maps = texthash:{conf}/transport
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtp_tls_security_level = none
# Up to 50 connections to the sink, as ours ([relay] concurrency = 50): Postfix counts
# the concurrency per next hop and the 20 domains share one.
smtp_destination_concurrency_limit = 50
""")
        (conf / "master.cf").write_text(f"""# relay_throughput benchmark (generated)
127.0.0.1:{self.port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
""")
        self.master = None

    def postfix(self, *args):
        return subprocess.run(["postfix", "-c", str(self.conf), *args], capture_output=True,
                              text=True, timeout=60)

    def start(self):
        r = self.postfix("start")
        if r.returncode:
            raise RuntimeError(f"postfix start failed: {r.stdout}{r.stderr}")
        pidfile = self.dir / "queue/pid/master.pid"
        end = time.monotonic() + 20
        while not (pidfile.exists() and pidfile.read_text().strip()):
            if time.monotonic() > end:
                raise RuntimeError("postfix master.pid missing")
            time.sleep(0.1)
        self.master = int(pidfile.read_text().strip())
        wait_port(self.port, None, "postfix smtpd")

    def stop(self):
        if self.master is None:
            return
        try:
            os.kill(self.master, signal.SIGTERM)
        except ProcessLookupError:
            pass
        end = time.monotonic() + 20
        while Path(f"/proc/{self.master}").exists() and time.monotonic() < end:
            time.sleep(0.1)
        if Path(f"/proc/{self.master}").exists():
            os.kill(self.master, signal.SIGKILL)
        self.master = None

    def alive(self):
        return self.master is not None and Path(f"/proc/{self.master}").exists()

    def rss_kib(self, field="VmRSS"):
        """qmgr's: the process that keeps the queue's state in memory (smtpd and smtp
        processes come and go with connections; their RSS is not queue memory)."""
        return sum(rss_kib(pid, field) for pid in children_named(self.master, "qmgr"))

    def queued_count(self):
        r = subprocess.run(["postqueue", "-c", str(self.conf), "-j"], capture_output=True,
                           text=True, timeout=60)
        return sum(1 for line in r.stdout.splitlines() if line.strip())

    def flush(self):
        subprocess.run(["postqueue", "-c", str(self.conf), "-f"], check=True, timeout=60)


# --- measurements --------------------------------------------------------------------------
def measure_throughput(system, sink, args):
    base = sink.count
    t0, t_inj, errors = inject(system.port, system.auth, args.messages, args.sessions,
                               args.size, args.timeout)
    t_done = sink.wait_for(base + args.messages, max(1.0, args.timeout - (time.monotonic() - t0)))
    time.sleep(0.5)
    got = sink.count - base
    note = "; ".join(str(e) for e in errors[:3])
    if t_done is None:
        note += f"{'; ' if note else ''}sink took {got} of {args.messages} within {args.timeout} s"
    elif got != args.messages:
        note += f"{'; ' if note else ''}sink took {got} (duplicates?)"
    if not system.alive():
        note += "; daemon died"
    total = (t_done - t0) if t_done else None
    return {"system": system.name, "kind": "throughput", "messages": args.messages,
            "inject_s": round(t_inj - t0, 3), "total_s": round(total, 3) if total else None,
            "msg_s": round(args.messages / total, 1) if total else None,
            "tail_s": round(t_done - t_inj, 3) if t_done else None, "sink": got, "note": note}


def wait_held(system, n, deadline):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if system.queued_count() >= n:
            return True
        time.sleep(0.5)
    return False


def measure_held(system, sink, args):
    """Sink stopped: inject, let every message be tried and deferred, read the RSS growth;
    then start the sink, flush, and time the drain."""
    sink.stop()
    time.sleep(1.0)
    rss0, anon0 = system.rss_kib(), system.rss_kib("RssAnon")
    t0, t_inj, errors = inject(system.port, system.auth, args.held, args.sessions, args.size,
                               args.timeout)
    note = "; ".join(str(e) for e in errors[:3])
    if not wait_held(system, args.held, 60):
        note += "; not all messages seen in the queue"
    # Every message has been tried once (connection refused) and deferred when the RSS is
    # read: wait for the attempts to settle (the first attempt follows the injection).
    time.sleep(args.settle)
    held = system.queued_count()
    rss1, anon1 = system.rss_kib(), system.rss_kib("RssAnon")
    sink.start()
    t_flush = time.monotonic()
    system.flush()
    t_done = sink.wait_for(held, args.timeout)
    if t_done is None:
        note += f"{'; ' if note else ''}drain: sink took {sink.count} of {held}"
    time.sleep(0.5)
    return {"system": system.name, "kind": "held", "messages": args.held, "held": held,
            "rss_before_kib": rss0, "rss_held_kib": rss1,
            "bytes_per_msg": round((rss1 - rss0) * 1024 / held) if held else None,
            "anon_before_kib": anon0, "anon_held_kib": anon1,
            "anon_bytes_per_msg": round((anon1 - anon0) * 1024 / held) if held else None,
            "drain_s": round(t_done - t_flush, 3) if t_done else None,
            "drain_msg_s": round(held / (t_done - t_flush), 1) if t_done else None,
            "sink": sink.count, "note": note}


def main():
    # SIGTERM (e.g. from timeout) unwinds like Ctrl-C, so that everything started is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=ENV.get("MAIL_BUILD_DIR", str(ROOT / "build")))
    ap.add_argument("--messages", type=int, default=int(ENV.get("BENCH_MESSAGES", 3000)))
    ap.add_argument("--held", type=int, default=int(ENV.get("BENCH_HELD", 2000)))
    ap.add_argument("--size", type=int, default=int(ENV.get("BENCH_SIZE", 4096)))
    ap.add_argument("--sessions", type=int, default=int(ENV.get("BENCH_SESSIONS", 10)))
    ap.add_argument("--rounds", type=int, default=int(ENV.get("BENCH_REPEAT", 2)))
    ap.add_argument("--timeout", type=float, default=float(ENV.get("BENCH_TIMEOUT", 120)))
    ap.add_argument("--settle", type=float, default=float(ENV.get("BENCH_SETTLE", 5)))
    ap.add_argument("--results", default=str(ROOT / "bench/results"))
    args = ap.parse_args()
    build = Path(args.build).resolve()
    for b in ("smtpd/smtpd", "queued/queued", "ctl/mailctl"):
        if not (build / b).exists():
            sys.exit(f"relay_throughput: {build / b} not built")
    for tool in (SMTP_SINK, "/usr/sbin/postfix", "/usr/sbin/postqueue"):
        if not Path(tool).exists():
            sys.exit(f"relay_throughput: {tool} missing (apt-get install postfix)")

    work = Path(tempfile.mkdtemp(prefix="relaybench-", dir=ENV.get("BENCH_WORK_PARENT", "/tmp")))
    os.chmod(work, 0o755)
    zone = work / "relay.zone"
    zone.write_text("$ORIGIN relay.test.\n$TTL 300\n"
                    "@ IN SOA ns.relay.test. hostmaster.relay.test. 1 3600 600 86400 60\n"
                    "ns IN A 127.0.0.1\n" + "".join(
                        f"{d.split('.')[0]} IN MX 10 mx.{d.split('.')[0]}\n"
                        f"mx.{d.split('.')[0]} IN A 127.0.0.1\n" for d in DOMAINS))
    dns = subprocess.Popen(["/usr/bin/python3", str(ROOT / "tests/dns/dns_server.py"), str(zone)],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    sink = Sink(free_port())
    systems, rows, ok = [], [], False
    try:
        ready = dns.stdout.readline().split()
        if not ready or ready[0] != "ready":
            raise RuntimeError(f"dns_server.py did not start: {ready}")
        dns_port = int(ready[1])
        sink.start()
        systems = [Ours(work, build, sink.port, dns_port, "dns"), Postfix(work, sink.port),
                   Ours(work, build, sink.port, dns_port, "transport")]
        for s in systems:
            s.start()
        log(f"sink 127.0.0.1:{sink.port}, dns 127.0.0.1:{dns_port}, work {work}; " + ", ".join(
            f"{s.name} on {s.port}" for s in systems))
        # Warm-up (not measured): first-use costs (process start, page cache, map growth,
        # Postfix's smtp processes and concurrency ramp) must not land on the first row.
        for s in systems:
            r = measure_throughput(s, sink, argparse.Namespace(**{**vars(args), "messages": 100}))
            log(f"warm-up {s.name}: {r['total_s']} s {r['note']}")
        load_before = Path("/proc/loadavg").read_text().split()[:3]
        for rnd in range(args.rounds):
            order = systems if rnd % 2 == 0 else systems[::-1]
            for s in order:
                subprocess.run(["sync"])
                time.sleep(1)
                r = measure_throughput(s, sink, args)
                r["round"] = rnd + 1
                rows.append(r)
                log(json.dumps(r))
            for s in [x for x in order if x.name != "ours (transport)"]:
                r = measure_held(s, sink, args)
                r["round"] = rnd + 1
                rows.append(r)
                log(json.dumps(r))
        load_after = Path("/proc/loadavg").read_text().split()[:3]
        ok = True
    finally:
        for s in systems:
            try:
                s.stop()
            except Exception as e:
                log(f"stopping {s.name}: {e}")
        sink.stop()
        stop_pid(dns, "dns_server.py", grace=5)
        if ok and not ENV.get("BENCH_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"kept {work} (logs)")
    write_report(args, build, rows, load_before, load_after)


def best(rows, system, kind, key, high=True):
    vals = [r[key] for r in rows if r["system"] == system and r["kind"] == kind and r[key]]
    if not vals:
        return None
    return max(vals) if high else min(vals)


def write_report(args, build, rows, load_before, load_after):
    today = date.today().isoformat()
    out = Path(args.results) / f"relay_throughput-{today}.md"
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    pf = best(rows, "postfix", "throughput", "msg_s")
    now = datetime.now(timezone.utc).strftime("%H:%M")
    lines = [f"## Run at {now} UTC", "",
             f"{args.messages} messages of {args.size} octets, one recipient each, round-robin "
             f"over 20 domains, injected over {args.sessions} SMTP connections (all messages "
             "over each) and relayed to one `smtp-sink -c` on 127.0.0.1. msg/s = messages / "
             "seconds from the first MAIL FROM until the sink has taken the last message; "
             "ratio > 1 means ours is faster. Rounds: "
             f"{args.rounds} (each cell: that system's best round).", "",
             "| system | route | injected in s | all at sink in s | msg/s | tail after last 250 s | ratio ours/postfix |",
             "|---|---|---|---|---|---|---|"]
    routes = {"ours (dns)": "MX lookup at a loopback DNS server",
              "ours (transport)": "[relay.transport] -> 127.0.0.1:sink",
              "postfix": "transport_maps -> smtp:[127.0.0.1]:sink"}
    for name in ("ours (dns)", "ours (transport)", "postfix"):
        rs = [r for r in rows if r["system"] == name and r["kind"] == "throughput" and r["msg_s"]]
        if not rs:
            lines.append(f"| {name} | {routes[name]} | - | - | - | - | - |")
            continue
        r = max(rs, key=lambda r: r["msg_s"])
        ratio = f"{r['msg_s'] / pf:.2f}" if pf and name != "postfix" else "-"
        lines.append(f"| {name} | {routes[name]} | {r['inject_s']} | {r['total_s']} | "
                     f"{r['msg_s']} | {r['tail_s']} | {ratio} |")
    lines += ["", f"Queue held while the sink is down ({args.held} messages, each tried once "
              "and deferred; connection refused), then `smtp-sink` started and the queue "
              "flushed:", "",
              "| system (process, round) | held | RSS before -> held KiB | RSS bytes per held message | of which anonymous (heap) | drain s | drain msg/s |",
              "|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["kind"] == "held":
            who = "queued" if r["system"].startswith("ours") else "qmgr"
            lines.append(f"| {r['system']} ({who}, {r['round']}) | {r['held']} | "
                         f"{r['rss_before_kib']} -> {r['rss_held_kib']} | {r['bytes_per_msg']} | "
                         f"{r['anon_bytes_per_msg']} | {r['drain_s']} | {r['drain_msg_s']} |")
    pd, od = best(rows, "postfix", "held", "drain_msg_s"), best(rows, "ours (dns)", "held", "drain_msg_s")
    if pd and od:
        lines += ["", f"Drain (relay alone, the queue already full): ours {od} msg/s, Postfix {pd} "
                  f"msg/s, **ratio ours/postfix {od / pd:.2f}** (best rounds)."]
    problems = [f"- {r['system']} {r['kind']} round {r['round']}: {r['note']}" for r in rows if r["note"]]
    lines += ["", "Problems seen: " + ("none" if not problems else ""), *problems, "",
              "All rows (JSON):", "", "```", *[json.dumps(r) for r in rows], "```", "",
              f"Machine: {os.cpu_count()} cores "
              f"({_cpu_model()}), {os.uname().release}; the injector, smtp-sink and the DNS "
              "server share the cores with the servers under test. Load average before/after: "
              f"{' '.join(load_before)} / {' '.join(load_after)}.",
              f"Postfix {_postfix_version()}; ours: binaries in {build} (repository HEAD {head} "
              "at run time)."]
    Path(args.results).mkdir(parents=True, exist_ok=True)
    # One file per day; each run adds its own section (runs of one day side by side).
    if not out.exists():
        out.write_text(f"# Relay throughput to smtp-sink: ours vs Postfix ({today})\n\n"
                       f"Written by bench/relay_throughput.sh; how to read it: bench/README.md.\n"
                       f"{SETUP}\n")
    with out.open("a") as f:
        f.write("\n" + "\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\nwritten: {out}")


SETUP = """
What each side does (the same in every run):

- Injection: the same Python smtplib injector for both; each connection connects (ours:
  and logs in with AUTH PLAIN on the submission port, plaintext allowed on loopback) before
  the clock starts, then sends its messages one after another. Postfix takes them on an
  MX-style port without AUTH (`mynetworks = 127.0.0.0/8` may relay). Both fsync the queued
  message before the 250.
- Routing: Postfix routes the 20 domains with `transport_maps` to `smtp:[127.0.0.1]:SINK`
  (no DNS: Postfix resolves through glibc, which only asks port 53, and the benchmark does
  not change the machine's resolver). Ours is measured twice: "ours (dns)" asks a
  zone-file DNS server on loopback (`tests/dns/dns_server.py`; `[dns] resolvers`) for each
  domain's MX (`mx.rNN.relay.test`, A 127.0.0.1) and connects to `[relay] smtp_port`: the
  production path; "ours (transport)" uses `[relay.transport]` to 127.0.0.1:SINK, the same
  route as Postfix. The ratio is given for both.
- Relay: no TLS on either side (`tls_policy = "none"`, `smtp_tls_security_level = none`).
  Ours: defaults (`[relay] concurrency = 50` batches in flight, 20 connections per
  destination domain, 100 messages per connection, idle connections cached 2 s). Postfix:
  defaults except `smtp_destination_concurrency_limit = 50` (its limit is per next hop, and
  the 20 domains share one next hop here; 50 matches our overall limit); connection cache
  on demand, slow start from 5 connections, `in_flow_delay = 1s`.
- Held queue: `smtp-sink` is stopped, the messages are injected, every one is tried once
  (connection refused) and deferred; RSS of our `queued` (Postfix: its `qmgr`, which holds
  the queue's state in memory; deferred messages are files and not in qmgr's memory) is
  read before and after; the growth over the messages held is the queue memory per message,
  "anonymous" is the part that is heap (RssAnon) rather than mapped spool pages (RssFile).
  Then the sink starts, `mailctl queue flush` / `postqueue -f`, and the drain time runs until
  the sink has every message.
"""


def _cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "?"


def _postfix_version():
    return subprocess.run(["postconf", "-dh", "mail_version"], capture_output=True,
                          text=True).stdout.strip()


if __name__ == "__main__":
    main()
