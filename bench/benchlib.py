"""What the comparison benchmarks (pop3_rate, submission_rate, login_rate,
imap_search_fetch) share: where the build and the peers harness are, starting our daemons
from a temporary directory and stopping them by PID, starting the peers only when they are
not running (and then stopping them), TLS client setup, and the results file.

Each benchmark keeps what it measures and how it reports it; this module only holds the
steps that were the same in each of them.
"""

import contextlib
import datetime
import os
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
