#!/usr/bin/python3
"""Benchmark: inbound mail on the MX port with SPF, DKIM and DMARC (issue 18) beside the
same load with the checks off, in one run.

A zone served by tests/dns/dns_server.py on loopback publishes, for two sender domains,
an SPF record that passes 127.0.0.1, an RSA 2048 DKIM key and a DMARC p=reject record:
  cached.test   TTL 300: after the first message smtpd's resolver (libunbound) answers
                from its cache, as for a busy sender;
  uncached.test TTL 0: every message's lookups (SPF TXT, DKIM key, _dmarc) go to the
                server, so what the checks cost in DNS round trips is seen.
Every message carries a valid dkimpy signature (rsa-sha256, relaxed/simple) whose result
is pass; each row checks that the last message delivered says spf=pass dkim=pass
dmarc=pass (or has no Authentication-Results at all with the checks off).

N sessions (default 50) each connect once, EHLO, then send their share of M messages
(default 2000, 4 KiB bodies): MAIL, RCPT and DATA in one write (PIPELINING), the body
after 354, waiting for the 250. The rate is accepted messages per second from the first
connect to the last 250 (queue fsync included); also the median time from the final dot
to its 250, which is where the DKIM and DMARC checks run (SPF starts at MAIL FROM).

Two suites (conftest.Suite: smtpd, queued, imapd, pop3d on their own data directories
and ports), one with [mailauth] spf, dkim_verify and dmarc on, one with them off, the
same log level (info) and limits; rounds alternate which goes first and each row keeps its
best round (other load on the machine only slows a run).

Usage: bench/mailauth_rate.py   (as root, like the tests; needs python3-dkim, python3-dnslib)
Environment: MAIL_BUILD_DIR (default build), BENCH_MESSAGES (2000), BENCH_SESSIONS (50),
BENCH_SIZE (4096), BENCH_REPEAT (2). Writes bench/results/mailauth_rate-YYYY-MM-DD.md.
"""

import datetime
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("MAIL_BUILD_DIR", str(ROOT / "build"))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

import helpers  # noqa: E402
from conftest import ALICE, Suite  # noqa: E402
from mailauth_env import (ZONE_HEAD, dkim_sign, dns_server, imap_find, our_results,  # noqa: E402
                          rsa_key, txt)

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "2000"))
SESSIONS = int(os.environ.get("BENCH_SESSIONS", "50"))
SIZE = int(os.environ.get("BENCH_SIZE", "4096"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "2"))
DOMAINS = {"cached.test": 300, "uncached.test": 0}


def zone(public_key):
    out = ZONE_HEAD
    for domain, ttl in DOMAINS.items():
        out += f"""{domain}. {ttl} IN TXT "v=spf1 ip4:127.0.0.0/8 -all"
sel1._domainkey.{domain}. {ttl} IN TXT {txt("v=DKIM1; k=rsa; p=" + public_key)}
_dmarc.{domain}. {ttl} IN TXT "v=DMARC1; p=reject"
"""
    return out


def signed_messages(key, domain, count, tag):
    """`count` different signed messages from bob@domain (dkimpy), one per session."""
    line = "x" * 76 + "\r\n"
    body = line * max(1, SIZE // len(line))
    out = []
    for i in range(count):
        msg = (f"From: <bob@{domain}>\r\nTo: <{ALICE}>\r\nSubject: mailauth bench {tag} {i}\r\n"
               f"Message-ID: <{tag}.{i}@{domain}>\r\nDate: Sun, 06 Dec 2026 00:00:00 +0000\r\n"
               f"\r\n{body}").encode()
        out.append(dkim_sign(msg, b"sel1", domain.encode(), key))
    return out


def read_reply(f):
    while True:
        line = f.readline()
        if not line:
            raise RuntimeError("connection closed")
        if line[3:4] != b"-":
            return int(line[:3]), line


def session(port, sender, msg, count, latencies, errors, start_gate):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        f = s.makefile("rb")
        read_reply(f)
        s.sendall(b"EHLO client.outside.test\r\n")
        read_reply(f)
        start_gate.wait()
        data = msg.replace(b"\r\n.", b"\r\n..") + b".\r\n"
        for _ in range(count):
            s.sendall(f"MAIL FROM:<{sender}>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\n".encode())
            codes = [read_reply(f)[0] for _ in range(3)]
            if codes != [250, 250, 354]:
                raise RuntimeError(f"envelope replies {codes}")
            t = time.monotonic()
            s.sendall(data)
            code, line = read_reply(f)
            latencies.append(time.monotonic() - t)
            if code != 250:
                raise RuntimeError(f"end of data: {line!r}")
        s.sendall(b"QUIT\r\n")
        s.close()
    except Exception as e:  # reported in the row
        errors.append(repr(e))


def run_load(suite, domain, messages):
    gate = threading.Barrier(SESSIONS + 1)
    latencies, errors = [], []
    per = [MESSAGES // SESSIONS + (1 if i < MESSAGES % SESSIONS else 0) for i in range(SESSIONS)]
    threads = [threading.Thread(target=session, args=(suite.ports["smtp"], f"bob@{domain}",
                                                      messages[i], per[i], latencies, errors,
                                                      gate)) for i in range(SESSIONS)]
    for t in threads:
        t.start()
    gate.wait()
    start = time.monotonic()
    for t in threads:
        t.join()
    took = time.monotonic() - start
    return {"rate": len(latencies) / took, "sent": len(latencies), "seconds": took,
            "median_ms": statistics.median(latencies) * 1000 if latencies else 0,
            "p90_ms": statistics.quantiles(latencies, n=10)[-1] * 1000 if len(latencies) > 9
            else 0, "errors": errors[:3]}


def last_results(suite, tag):
    _, raw = imap_find(suite, tag, deadline=60)
    if b"Authentication-Results:" not in raw:
        return "no Authentication-Results"
    results, _ = our_results(raw)
    return " ".join(f"{k}={v}" for k, v in sorted(results.items()))


def main():
    work = Path(tempfile.mkdtemp(prefix="mailauth-bench-"))
    key, public = rsa_key(work)
    (work / "bench.zone").write_text(zone(public))
    rows = {}
    with dns_server(work / "bench.zone") as dns_port:
        common = {"log": 'level = "info"',
                  "smtpd": "max_connections_per_ip = 500",
                  "dns": f'resolvers = ["127.0.0.1@{dns_port}"]\ntimeout = 2'}
        checks = {"on": "spf = true\ndkim_verify = true\ndmarc = true\ntimeout = 20",
                  "off": "spf = false\ndkim_verify = false\ndmarc = false"}
        suites = {}
        try:
            for name, keys in checks.items():
                s = Suite(work / name, sections={**common, "mailauth": keys})
                s.write_config()
                s.provision()
                s.start_all()
                suites[name] = s
            workloads = [("off", "cached.test"), ("on", "cached.test"), ("on", "uncached.test")]
            for rnd in range(REPEAT):
                order = workloads if rnd % 2 == 0 else workloads[::-1]
                for name, domain in order:
                    tag = helpers.token()
                    msgs = signed_messages(key, domain, SESSIONS, tag)
                    r = run_load(suites[name], domain, msgs)
                    print(f"  sent {r['sent']} in {r['seconds']:.1f} s {r['errors'] or ''}",
                          flush=True)
                    r["check"] = last_results(suites[name], tag)
                    print(f"round {rnd + 1}: checks {name:3} {domain:14} {r['rate']:7.1f} msg/s "
                          f"median {r['median_ms']:.1f} ms p90 {r['p90_ms']:.1f} ms "
                          f"{r['check']} {r['errors'] or ''}", flush=True)
                    best = rows.get((name, domain))
                    if best is None or r["rate"] > best["rate"]:
                        rows[(name, domain)] = r
        finally:
            for s in suites.values():
                s.stop_all()

    off = rows[("off", "cached.test")]["rate"]
    lines = [f"# mailauth_rate {datetime.date.today()}", "",
             f"{MESSAGES} messages of {SIZE} octets, {SESSIONS} sessions, best of {REPEAT} "
             f"rounds; MAIL_BUILD_DIR={os.environ['MAIL_BUILD_DIR']}; `nproc`={os.cpu_count()}", "",
             "| checks | sender DNS | msg/s | vs off | dot→250 median ms | p90 ms | last message |",
             "|---|---|---|---|---|---|---|"]
    labels = {"cached.test": "TTL 300 (cached)", "uncached.test": "TTL 0 (every lookup)"}
    for (name, domain), r in rows.items():
        lines.append(f"| {'SPF+DKIM+DMARC' if name == 'on' else 'off'} | {labels[domain]} | "
                     f"{r['rate']:.1f} | {r['rate'] / off:.2f} | {r['median_ms']:.1f} | "
                     f"{r['p90_ms']:.1f} | {r['check']}{' ' + str(r['errors']) if r['errors'] else ''} |")
    table = "\n".join(lines) + "\n"
    print(table)
    out = ROOT / "bench" / "results" / f"mailauth_rate-{datetime.date.today()}.md"
    out.write_text(table)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
