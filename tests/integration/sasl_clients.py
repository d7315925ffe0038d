"""SASL clients for the integration tests, independent of the server's code:

- Scram: SCRAM-SHA-256 / -PLUS (RFC 5802, RFC 7677, RFC 9266) written here from the RFC
  with hashlib and hmac.
- Gsasl: GNU SASL's command-line client (package gsasl) in its stdin/stdout mode, a
  second, unrelated implementation; it takes the tls-exporter value for -PLUS.
- TlsPipe: a TLS 1.3 (or 1.2) connection through `openssl s_client`, which prints the
  RFC 9266 tls-exporter value (Python's ssl module cannot export keying material), for
  POP3, SMTP or IMAP.
- pop3_sasl(), smtp_sasl(), imap_sasl(): drive RFC 5034 AUTH, RFC 4954 AUTH and RFC 9051
  AUTHENTICATE over any line transport.
"""

import base64
import hashlib
import hmac
import os
import re
import select
import subprocess
import time


def b64(data):
    return base64.b64encode(data).decode()


class Scram:
    """One SCRAM-SHA-256 exchange, client side."""

    def __init__(self, user, password, channel_binding=None, cbind_flag=None):
        self.user = user
        self.password = password.encode()
        self.cbind = channel_binding  # tls-exporter bytes for -PLUS
        if cbind_flag is None:
            cbind_flag = "p=tls-exporter" if channel_binding is not None else "n"
        self.gs2 = cbind_flag + ",,"
        self.nonce = b64(os.urandom(18))
        name = user.replace("=", "=3D").replace(",", "=2C")
        self.bare = f"n={name},r={self.nonce}"
        self.server_signature = None

    def first(self):
        return (self.gs2 + self.bare).encode()

    def final(self, server_first):
        server_first = server_first.decode()
        attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
        assert attrs["r"].startswith(self.nonce), "server nonce does not extend ours"
        salt = base64.b64decode(attrs["s"])
        iterations = int(attrs["i"])
        salted = hashlib.pbkdf2_hmac("sha256", self.password, salt, iterations)
        client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        stored_key = hashlib.sha256(client_key).digest()
        cbind_input = self.gs2.encode() + (self.cbind if self.gs2.startswith("p=") else b"")
        without_proof = f"c={b64(cbind_input)},r={attrs['r']}"
        auth_message = f"{self.bare},{server_first},{without_proof}".encode()
        signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
        self.server_signature = hmac.new(server_key, auth_message, hashlib.sha256).digest()
        return f"{without_proof},p={b64(proof)}".encode()

    def verify(self, server_final):
        assert server_final.decode() == "v=" + b64(self.server_signature), \
            f"server signature does not verify: {server_final!r}"

    def responder(self):
        """A function from server challenge (bytes) to client response (bytes)."""
        state = {"step": 0}

        def respond(challenge):
            state["step"] += 1
            if state["step"] == 1 and challenge == b"":
                return self.first()
            if challenge.startswith(b"r="):
                return self.final(challenge)
            self.verify(challenge)
            return b""
        return respond


class Gsasl:
    """GNU SASL's client in stdio mode: reads base64 challenges, writes base64 responses."""

    def __init__(self, mechanism, user, password, tls_exporter=None):
        self.proc = subprocess.Popen(
            ["gsasl", "--client", "--mechanism", mechanism, "-a", user, "-p", password],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)
        # It asks for the tls-exporter binding (base64) and, when given none, for the
        # tls-unique one too; empty answers mean "no channel binding".
        self.proc.stdin.write(b64(tls_exporter).encode() + b"\n" if tls_exporter else b"\n\n")
        self.output = b""

    def _read_response(self, timeout=10):
        """The next base64 line after 'Output from client:'."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(rb"Output from client:\n([A-Za-z0-9+/=]*)\n", self.output)
            if m:
                self.output = self.output[m.end():]
                return base64.b64decode(m.group(1))
            left = deadline - time.monotonic()
            assert left > 0, f"gsasl gave no response: {self.output!r}"
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                assert chunk, f"gsasl exited: {self.output!r}"
                self.output += chunk

    def responder(self):
        state = {"first": True}

        def respond(challenge):
            if not state["first"] or challenge != b"":
                self.proc.stdin.write(b64(challenge).encode() + b"\n")
            state["first"] = False
            return self._read_response()
        return respond

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


class TlsPipe:
    """A line transport over `openssl s_client` (implicit TLS, or STLS with starttls=True),
    exposing the RFC 9266 tls-exporter value."""

    GREETINGS = {"pop3": b"+OK", "smtp": b"220 ", "imap": b"* OK"}

    def __init__(self, port, tls_version="-tls1_3", starttls=False, protocol="pop3"):
        args = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", tls_version,
                "-keymatexport", "EXPORTER-Channel-Binding", "-keymatexportlen", "32",
                "-ign_eof", "-nocommands"]
        if starttls:
            args += ["-starttls", protocol]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, bufsize=0)
        self.buf = b""
        self.exporter = None
        while True:  # the session summary comes before the server's first line
            line = self.readline()
            m = re.match(rb"\s*Keying material: ([0-9A-F]+)$", line)
            if m:
                self.exporter = bytes.fromhex(m.group(1).decode())
            if (not starttls and line.startswith(self.GREETINGS[protocol])) or \
                    (starttls and line == b"---" and self.exporter):
                self.greeting = line
                break
        self.protocol = None

    def readline(self, timeout=15):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            assert left > 0, f"no line from the server; got {self.buf!r}"
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    raise EOFError(self.buf)
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def send(self, text):
        self.proc.stdin.write(text.encode() + b"\r\n")

    def cmd(self, text):
        self.send(text)
        return self.readline()

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def pop3_sasl(cmd, mechanism, respond, initial_response=False):
    """RFC 5034 AUTH over a transport whose cmd(text) sends a line and returns the reply
    line (bytes). With initial_response, the first client message rides on AUTH. Returns
    the final reply line."""
    if initial_response:
        first = respond(b"")
        reply = cmd(f"AUTH {mechanism} {b64(first) if first else '='}")
    else:
        reply = cmd(f"AUTH {mechanism}")
    while reply.startswith(b"+ ") or reply == b"+":
        challenge = base64.b64decode(reply[2:])
        reply = cmd(b64(respond(challenge)))
    return reply


def smtp_sasl(cmd, mechanism, respond, initial_response=False):
    """RFC 4954 AUTH over a transport whose cmd(text) sends a line and returns the reply
    line (bytes, the last line of the reply). Challenges are "334 <base64>". Returns the
    final reply line."""
    if initial_response:
        first = respond(b"")
        reply = cmd(f"AUTH {mechanism} {b64(first) if first else '='}")
    else:
        reply = cmd(f"AUTH {mechanism}")
    while reply.startswith(b"334"):
        challenge = base64.b64decode(reply[4:])
        reply = cmd(b64(respond(challenge)))
    return reply


def imap_sasl(send, readline, tag, mechanism, respond, initial_response=False):
    """RFC 9051 6.2.2 AUTHENTICATE (SASL-IR, RFC 4959, with initial_response) over a
    transport; continuation requests are "+ <base64>". Returns the tagged reply line."""
    if initial_response:
        first = respond(b"")
        send(f"{tag} AUTHENTICATE {mechanism} {b64(first) if first else '='}")
    else:
        send(f"{tag} AUTHENTICATE {mechanism}")
    while True:
        line = readline()
        if line.startswith(b"+"):
            send(b64(respond(base64.b64decode(line[2:]))))
        elif line.startswith(tag.encode() + b" "):
            return line
