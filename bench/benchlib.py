"""What the comparison benchmarks (pop3_rate, submission_rate, login_rate,
imap_search_fetch, imap_mailbox, imap_large_mailbox) share: where the build and the peers
harness are, starting our daemons from a temporary directory and stopping them by PID,
starting the peers only when they are not running (and then stopping them), TLS client
setup, the results file, a raw-socket IMAP client (ImapClient) that times the servers
rather than Python's response parsing, loading the same generated messages into ours
(MULTIAPPEND) and into Dovecot (a user of our own), and a process's (or process tree's)
memory.

Each benchmark keeps what it measures and how it reports it; this module only holds the
steps that were the same in each of them.
"""

import contextlib
import datetime
import imaplib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEERS = Path(os.environ.get("PEERS_DIR", ROOT.parent / "shared" / "peers"))
PEERS_RUN = Path(os.environ.get("PEERS_RUN", Path(os.environ.get("TMPDIR", "/tmp")) / "peers"))


def build_dir(daemon):
    """MAIL_BUILD_DIR (default build-bench, an optimised build) when it holds `daemon`,
    else the ordinary build."""
    build = Path(os.environ.get("MAIL_BUILD_DIR", ROOT / "build-bench"))
    return build if (build / daemon / daemon).exists() else ROOT / "build"


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def require_free_ports(bench, ports):
    """Exits when one of our listeners' ports is taken (another run, another engineer)."""
    for port in ports:
        if port_open(port):
            sys.exit(f"{bench}: port {port} is already in use")


def loadavg():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def tls_client_context():
    """A client context that accepts our self-signed test certificate. Make one and use it
    for all connections: building one loads the system CA store (tens of ms), which would
    make the client the bottleneck."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


@contextlib.contextmanager
def peers(port):
    """The peers harness (Postfix, Dovecot): started when nothing listens on `port`, and
    then stopped at the end; left alone when already running (others may be using it)."""
    started = False
    if not port_open(port):
        subprocess.run([str(PEERS / "start.sh")], check=True, stdout=subprocess.DEVNULL)
        started = True
    try:
        yield
    finally:
        if started:
            subprocess.run([str(PEERS / "stop.sh")], stdout=subprocess.DEVNULL)


def work_dir(prefix, parent=None):
    """A fresh temporary directory for our daemons' data, config and logs. Searchable by
    all (mkdtemp makes it 0700): run as root, the daemons drop to their own user and
    refuse a data_dir that user cannot reach."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    path.chmod(0o755)
    return path


def gen_cert(directory):
    subprocess.run(["bash", str(ROOT / "scripts" / "gen-cert.sh"), str(directory)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def mailctl(build, config, *args, password=None):
    """Runs mailctl; `password` is typed at its prompt (user add)."""
    subprocess.run([str(build / "ctl" / "mailctl"), "--config", str(config), *args],
                   input=None if password is None else password + "\n", text=True, check=True,
                   stdout=subprocess.DEVNULL)


def start_daemon(build, name, config, log_path):
    """One of our daemons, its output appended to `log_path`."""
    with open(log_path, "ab") as log:
        return subprocess.Popen([str(build / name / name), "--config", str(config)], stdout=log,
                                stderr=subprocess.STDOUT)


def wait_listening(ports, procs=(), seconds=15):
    """Returns once something listens on each port; fails after `seconds`, or at once when
    one of `procs` exited (its log says why)."""
    deadline = time.monotonic() + seconds
    for port in ports:
        while not port_open(port):
            for p in procs:
                assert p.poll() is None, f"{p.args[0]} exited (status {p.returncode})"
            assert time.monotonic() < deadline, f"our daemons did not listen on {port}"
            time.sleep(0.05)


def stop_daemons(procs, seconds=30):
    """SIGTERM to each, then waits; killed when one has not exited after `seconds`."""
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def write_result(bench, text):
    """Prints the report and writes it to bench/results/<bench>-YYYY-MM-DD.md."""
    print(text)
    out = ROOT / "bench" / "results" / f"{bench}-{datetime.date.today()}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)


def tls_connect(port, context, timeout=60):
    """A TLS connection to 127.0.0.1:`port`, handshake done (wrap_socket on a connected
    socket does it at once)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        return context.wrap_socket(raw)
    except BaseException:
        raw.close()
        raise


def ratio(ours, theirs):
    """ours/theirs with two decimals; "-" when either was not measured (0 or None)."""
    return f"{ours / theirs:.2f}" if ours and theirs else "-"


# --- IMAP over a raw socket -------------------------------------------------------------

LITERAL_AT_END = re.compile(rb"\{(\d+)\+?\}\r\n\Z")


class ImapReply:
    """What a command got back: the tagged status (OK, NO, BAD), the untagged responses
    counted (a response whose literals continue it counts once), the octets received, and
    the response lines without their literals' contents."""

    def __init__(self, status, untagged, octets, lines):
        self.status, self.untagged, self.octets, self.lines = status, untagged, octets, lines

    def untagged_number(self, name):
        """The number of the last untagged `* N NAME` (EXISTS, RECENT), or None."""
        found = None
        for line in self.lines:
            parts = line.split()
            if len(parts) >= 3 and parts[0] == b"*" and parts[2].upper() == name.encode():
                found = int(parts[1])
        return found

    def search_hits(self):
        """The numbers of the untagged SEARCH responses."""
        return [n for line in self.lines if line.startswith(b"* SEARCH") for n in line.split()[2:]]


class ImapClient:
    """A minimal IMAP client over a raw socket, to time servers rather than the client:
    a command is sent, then response lines are read up to its tagged completion, literals
    skipped by their {n} counts unparsed, untagged responses counted. imaplib parses every
    response in Python, which adds the same large cost to both servers and hides their
    difference."""

    def __init__(self, port, user, password, timeout=600, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.file = self.sock.makefile("rb", buffering=1 << 16)
        self.n = 0
        greeting = self.file.readline()
        assert greeting.startswith(b"* OK"), greeting
        self.ok(f'LOGIN "{user}" "{password}"')

    def send(self, text):
        """Sends one command line; returns its tag."""
        self.n += 1
        tag = b"b%d" % self.n
        self.sock.sendall(tag + b" " + text.encode() + b"\r\n")
        return tag

    def read_until(self, tag):
        """Reads to the tagged line of `tag`; returns an ImapReply."""
        lines, untagged, octets = [], 0, 0
        readline, read = self.file.readline, self.file.read
        prefix = tag + b" "
        while True:
            line = readline()
            if not line:
                raise EOFError(f"connection closed; last lines {lines[-2:]!r}")
            octets += len(line)
            if line.startswith(prefix):
                lines.append(line)
                return ImapReply(line.split(maxsplit=2)[1].decode(), untagged, octets, lines)
            if line.startswith(b"* "):
                untagged += 1
            lines.append(line)
            literal = LITERAL_AT_END.search(line) if line.endswith(b"}\r\n") else None
            while literal:  # the response goes on after the literal's octets
                n = int(literal.group(1))
                got = len(read(n))
                if got != n:
                    raise EOFError("connection closed in a literal")
                octets += n
                line = readline()
                octets += len(line)
                lines.append(line)
                literal = LITERAL_AT_END.search(line) if line.endswith(b"}\r\n") else None

    def command(self, text):
        return self.read_until(self.send(text))

    def ok(self, text):
        reply = self.command(text)
        if reply.status != "OK":
            raise RuntimeError(f"{text!r}: {reply.lines[-1]!r}")
        return reply

    def timed(self, text):
        """(seconds from sending `text` to its tagged OK, the reply)."""
        start = time.perf_counter()
        reply = self.command(text)
        elapsed = time.perf_counter() - start
        if reply.status != "OK":
            raise RuntimeError(f"{text!r}: {reply.lines[-1]!r}")
        return elapsed, reply

    def timed_each(self, template, numbers, window=64):
        """Sends template.format(n) for every n, `window` commands in flight (the way
        mbsync fetches new messages, one UID FETCH each); returns (seconds to the last
        tagged OK, an ImapReply summing the untagged responses and octets)."""
        untagged = octets = 0
        start = time.perf_counter()
        for i in range(0, len(numbers), window):
            tags = [self.send(template.format(n)) for n in numbers[i:i + window]]
            for tag in tags:
                reply = self.read_until(tag)
                if reply.status != "OK":
                    raise RuntimeError(f"{template!r}: {reply.lines[-1]!r}")
                untagged += reply.untagged
                octets += reply.octets
        return time.perf_counter() - start, ImapReply("OK", untagged, octets, [])

    def multiappend(self, mailbox, messages, batch_octets=16 << 20, batch_messages=500):
        """APPENDs (flags, internaldate, data) tuples in MULTIAPPEND commands (RFC 3502) of
        at most `batch_octets` of message data and `batch_messages` messages, with
        non-synchronizing literals (LITERAL+, RFC 7888): one round trip per batch. Our
        imapd.max_command_size (64 KiB) bounds the command's text between the literals,
        about 50 octets per message: hence the message count. Returns the number
        appended."""
        count, batch, size = 0, [], 0

        def flush():
            if not batch:
                return
            parts = [b"%s APPEND \"%s\"" % (b"b%d" % (self.n + 1), mailbox.encode())]
            for flags, date, data in batch:
                parts.append(b" (%s) \"%s\" {%d+}\r\n" % (flags.encode(), date.encode(), len(data)))
                parts.append(data)
            parts.append(b"\r\n")
            self.n += 1
            self.sock.sendall(b"".join(parts))
            reply = self.read_until(b"b%d" % self.n)
            if reply.status != "OK":
                raise RuntimeError(f"APPEND: {reply.lines[-1]!r}")

        for message in messages:
            if batch and (size + len(message[2]) > batch_octets or len(batch) >= batch_messages):
                flush()
                batch, size = [], 0
            batch.append(message)
            size += len(message[2])
            count += 1
        flush()
        return count

    def close(self):
        try:
            self.command("LOGOUT")
        except OSError:
            pass
        self.sock.close()


def generated_messages(out, count, size, to, rare_word=None, seed=1):
    """Writes gen-messages' files into `out` (once: kept when the same set is there) and
    returns them as (flags, INTERNALDATE, data) tuples for ImapClient.multiappend."""
    if not (out / "flags.tsv").exists():
        cmd = [str(PEERS / "gen-messages"), "--count", str(count), "--size", size, "--to", to,
               "--seed", str(seed), "--out", str(out)]
        if rare_word:
            cmd += ["--rare-word", rare_word]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    flags = dict(line.split("\t", 1) for line in (out / "flags.tsv").read_text().splitlines())
    messages = []
    for f in sorted(out.glob("*.eml")):
        date = imaplib.Time2Internaldate(f.stat().st_mtime).strip('"')
        messages.append((flags.get(f.name, "").strip(), date, f.read_bytes()))
    return messages


# --- Dovecot from the peers, with a user of our own ------------------------------------

def dovecot_user(user, password):
    """Adds `user` to the peers' Dovecot passwd-file when missing (Dovecot re-reads it when it
    changes) and returns its Maildir. Use a user of your own: others use alice and bob."""
    users = PEERS_RUN / "conf" / "dovecot" / "users"
    home = PEERS_RUN / "mail" / "example.test" / user
    if not re.search(rf"^{re.escape(user)}:", users.read_text(), re.M):
        with users.open("a") as f:
            f.write(f"{user}:{{PLAIN}}{password}:8:8::{home}::\n")
    return home / "Maildir"


def dovecot_load(user, count, size, rare_word=None, seed=1):
    """Empties `user`'s home and fills its INBOX with gen-messages' messages written straight
    into the Maildir, then indexes them (what ../shared/peers/load.sh does): the state
    Dovecot is in after delivering them. Same seed, size, recipient and rare word as
    generated_messages: the same messages. Returns the seconds taken."""
    maildir = PEERS_RUN / "mail" / "example.test" / user / "Maildir"
    start = time.monotonic()
    shutil.rmtree(maildir.parent, ignore_errors=True)
    cmd = [str(PEERS / "gen-messages"), "--maildir", str(maildir), "--owner", "mail",
           "--to", f"{user}@example.test", "--count", str(count), "--size", size, "--seed", str(seed)]
    if rare_word:
        cmd += ["--rare-word", rare_word]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["chown", "-R", "mail:mail", str(maildir.parent)], check=True)
    subprocess.run(["doveadm", "-c", str(PEERS_RUN / "conf" / "dovecot" / "dovecot.conf"), "index",
                    "-u", user, "INBOX"], check=True)
    return time.monotonic() - start


# --- process memory ---------------------------------------------------------------------

def process_memory(pid):
    """{"rss": VmRSS, "anon": RssAnon, "file": RssFile} of one process, in KiB, from
    /proc/PID/status."""
    fields = {"VmRSS:": "rss", "RssAnon:": "anon", "RssFile:": "file"}
    out = {}
    for line in open(f"/proc/{pid}/status"):
        parts = line.split()
        if parts and parts[0] in fields:
            out[fields[parts[0]]] = int(parts[1])
    return out


def pids_serving(client_ports):
    """The processes holding the server end of loopback TCP connections from the given
    client ports (e.g. Dovecot's imap process of each of our sessions)."""
    inodes = set()
    for line in open("/proc/net/tcp").readlines()[1:]:
        fields = line.split()
        remote_port = int(fields[2].split(":")[1], 16)
        if remote_port in client_ports:
            inodes.add(f"socket:[{fields[9]}]")
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{entry}/fd"):
                if os.readlink(f"/proc/{entry}/fd/{fd}") in inodes:
                    found.add(int(entry))
                    break
        except OSError:
            continue
    return found


def memory_of(pids):
    """process_memory summed over `pids`, plus "pss" (Pss from smaps_rollup: shared pages
    divided among the processes sharing them)."""
    total = {"rss": 0, "anon": 0, "file": 0, "pss": 0}
    for p in pids:
        try:
            for k, v in process_memory(p).items():
                total[k] += v
            for line in open(f"/proc/{p}/smaps_rollup"):
                if line.startswith("Pss:"):
                    total["pss"] += int(line.split()[1])
        except OSError:
            pass  # exited meanwhile
    return total


class OurImapd:
    """Our imapd from a fresh data directory in `work`, on `port`, with `accounts`
    ({address: password}) in domain example.test; stopped by PID."""

    def __init__(self, work, port, accounts, extra_config=""):
        self.work, self.port, self.accounts = Path(work), port, accounts
        self.extra_config = extra_config
        self.cfg = self.work / "config.toml"
        self.proc = None
        self.build = build_dir("imapd")

    def setup(self):
        self.cfg.write_text(f"""[server]
data_dir = "{self.work}/data"
[log]
level = "warn"
[imapd]
listen = "127.0.0.1:{self.port}"
allow_plaintext_auth_on_loopback = true
{self.extra_config}""")
        mailctl(self.build, self.cfg, "domain", "add", "example.test")
        for address, password in self.accounts.items():
            mailctl(self.build, self.cfg, "user", "add", address, password=password)

    def start(self):
        self.proc = start_daemon(self.build, "imapd", self.cfg, self.work / "imapd.log")
        wait_listening((self.port,), (self.proc,))

    def stop(self):
        if self.proc:
            stop_daemons((self.proc,), seconds=15)
            self.proc = None
