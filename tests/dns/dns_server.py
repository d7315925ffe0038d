#!/usr/bin/python3
"""A small authoritative DNS server for tests (python3-dnslib), on loopback.

    /usr/bin/python3 tests/dns/dns_server.py ZONEFILE... [--port N] [--address A]
        [--servfail NAME]... [--delay NAME=SECONDS]...

Serves the records of the zone files (RFC 1035 master format, as nsd, knot and bind read
them) over UDP and TCP, answering as an authority would: the records asked for; NOERROR
with no answer (NODATA) when the name exists with other types only; NXDOMAIN when it does
not exist (both with the zone's SOA). --servfail answers SERVFAIL for a name; --delay
answers a name only after that many seconds (a slow server, for timeouts). With --port 0
(the default) a free port is chosen. Prints "ready PORT PID" on stdout once both sockets
listen, then serves until SIGTERM or SIGINT.

Used by the resolver's unit tests (common/dns/resolver_test.cpp) and meant for the relay
and mail-authentication tests: give it your own zone file. Trusts its command line and
zone files (the test's own); answers any client on the address it binds.
"""

import argparse
import os
import signal
import socket
import sys
import threading
import time

from dnslib import QTYPE, RCODE, RR, DNSLabel
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class ZoneAuthority(BaseResolver):
    def __init__(self, zone_texts, servfail, delays):
        self.records = []
        for text in zone_texts:
            self.records += RR.fromZone(text)
        self.soas = [rr for rr in self.records if rr.rtype == QTYPE.SOA]
        self.names = {rr.rname for rr in self.records}
        self.servfail = {DNSLabel(n) for n in servfail}
        self.delays = {DNSLabel(n): s for n, s in delays.items()}

    def soa_for(self, qname):
        best = None
        for soa in self.soas:
            if qname.matchSuffix(soa.rname) and (best is None or len(soa.rname.label) > len(best.rname.label)):
                best = soa
        return best

    def resolve(self, request, handler):
        qname, qtype = request.q.qname, request.q.qtype
        if qname in self.delays:
            time.sleep(self.delays[qname])
        reply = request.reply()
        reply.header.aa = 1
        if qname in self.servfail:
            reply.header.aa = 0
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        for rr in self.records:
            if rr.rname == qname and (rr.rtype == qtype or qtype == QTYPE.ANY or rr.rtype == QTYPE.CNAME):
                reply.add_answer(rr)
        if not reply.rr:
            soa = self.soa_for(qname)
            if soa is not None:
                reply.add_auth(soa)
            if qname not in self.names:
                reply.header.rcode = RCODE.NXDOMAIN
        return reply


def free_port(address):
    """A port free for both UDP and TCP."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind((address, 0))
            port = u.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind((address, port))
                    return port
                except OSError:
                    continue
    raise RuntimeError("no free port")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("zones", nargs="+")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--address", default="127.0.0.1")
    ap.add_argument("--servfail", action="append", default=[])
    ap.add_argument("--delay", action="append", default=[], help="NAME=SECONDS")
    args = ap.parse_args()
    delays = {}
    for d in args.delay:
        name, _, seconds = d.partition("=")
        delays[name] = float(seconds)
    texts = [open(z).read() for z in args.zones]
    resolver = ZoneAuthority(texts, args.servfail, delays)
    port = args.port or free_port(args.address)
    logger = DNSLogger(log="-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False)
    servers = [DNSServer(resolver, port=port, address=args.address, logger=logger, tcp=tcp)
               for tcp in (False, True)]
    for s in servers:
        s.start_thread()
    print(f"ready {port} {os.getpid()}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    while not done.wait(0.5):
        pass
    for s in servers:
        s.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
