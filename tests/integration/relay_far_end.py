#!/usr/bin/env python3
"""A scriptable SMTP far end for the relay fault tests (test_relay_faults.py): a plain
ESMTP receiver (PIPELINING, 8BITMIME, SIZE; no STARTTLS) that misbehaves on purpose on its
first connections and writes what happened as JSON lines, one event a line, to --log.

  relay_far_end.py --port P --log FILE [--stall greeting|data|dot] [--stall-connections N]
                   [--read-delay S] [--rcvbuf OCTETS]

--stall picks how the first N connections (default 1) misbehave; later ones behave:
  greeting  accept the TCP connection and never send the 220 greeting;
  data      send 354 to DATA, then stop reading (the sender's writes block once the socket
            buffers are full: with a small --rcvbuf and a message of a few MB);
  dot       read the whole message, then never answer the final dot.
--read-delay sleeps this long after each read of message data (a slow receiver, so that a
test can SIGKILL this process while a large message streams in).

Every event has "t" (time.time()) and "pid". Events: "listening", "connect" (conn, stall), "data_start", "data_bytes" (every 256 KiB),
"stalled" (where), "accepted" (the 250 to the final dot was sent: conn, mail_from, rcpts,
subject, size), "unanswered" (the message arrived, no reply was given), "closed".
The log is written unbuffered with O_APPEND, so a SIGKILL loses no event already logged.
"""

import argparse
import json
import os
import re
import socket
import threading
import time

PROGRESS = 256 * 1024
SUBJECT = re.compile(rb"^Subject: ?(.*?)\r?$", re.MULTILINE | re.IGNORECASE)


class Log:
    def __init__(self, path):
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.lock = threading.Lock()

    def __call__(self, event, **fields):
        line = json.dumps({"t": time.time(), "pid": os.getpid(), "event": event, **fields})
        line += "\n"
        with self.lock:
            os.write(self.fd, line.encode())


class Peer:
    """One SMTP session (RFC 5321 4.1), replies in order, so pipelined commands work."""

    def __init__(self, sock, number, stall, args, log):
        self.sock, self.n, self.stall, self.args, self.log = sock, number, stall, args, log
        self.buf = bytearray()

    def send(self, text):
        self.sock.sendall(text.encode() + b"\r\n")

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk
        return len(chunk)

    def line(self):
        while (end := self.buf.find(b"\r\n")) < 0:
            self.fill()
        out = bytes(self.buf[:end])
        del self.buf[:end + 2]
        return out.decode("utf-8", "replace")

    def hold(self, where, read):
        """Misbehaves: never answers again. With `read`, drains input until the sender
        gives up (EOF); without, stops reading (the sender's writes fill the buffers)."""
        self.log("stalled", conn=self.n, where=where)
        if not read:
            while True:
                time.sleep(3600)
        while True:
            self.buf.clear()
            self.fill()

    def message(self):
        """Reads message data up to the final dot (RFC 5321 4.1.1.4); returns it unstuffed."""
        data = self.buf
        self.buf = bytearray()
        if data.startswith(b".\r\n"):
            self.buf = data[3:]
            return b""
        data[0:0] = b"\r\n"  # so that the end is always "\r\n.\r\n"
        scanned, reported = 0, 0
        while (end := data.find(b"\r\n.\r\n", max(0, scanned - 4))) < 0:
            scanned = len(data)
            sock_data = self.sock.recv(65536)
            if not sock_data:
                raise EOFError
            data += sock_data
            if len(data) - reported >= PROGRESS:
                reported = len(data)
                self.log("data_bytes", conn=self.n, octets=reported)
            if self.args.read_delay:
                time.sleep(self.args.read_delay)
        self.buf = data[end + 5:]
        body = bytes(data[2:end + 2])
        return body.replace(b"\r\n..", b"\r\n.")

    def run(self):
        self.log("connect", conn=self.n, stall=self.stall)
        if self.stall == "greeting":
            self.hold("greeting", read=True)
        self.send("220 far.test ESMTP relay_far_end.py")
        mail_from, rcpts = None, []
        while True:
            line = self.line()
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.send("250-far.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 104857600")
            elif verb == "HELO":
                self.send("250 far.test")
            elif verb == "MAIL":
                mail_from, rcpts = line[10:].split(" ")[0].strip("<>"), []
                self.send("250 2.1.0 Ok")
            elif verb == "RCPT":
                rcpts.append(line[8:].split(" ")[0].strip("<>").lower())
                self.send("250 2.1.5 Ok")
            elif verb == "DATA":
                if not rcpts:
                    self.send("503 5.5.1 Error: need RCPT command")
                    continue
                self.send("354 End data with <CR><LF>.<CR><LF>")
                self.log("data_start", conn=self.n, rcpts=rcpts)
                if self.stall == "data":
                    self.hold("data", read=False)
                body = self.message()
                head = body.split(b"\r\n\r\n", 1)[0]
                m = SUBJECT.search(head)
                fields = dict(conn=self.n, mail_from=mail_from, rcpts=rcpts, size=len(body),
                              subject=m.group(1).decode("utf-8", "replace") if m else "")
                if self.stall == "dot":
                    self.log("unanswered", **fields)
                    self.hold("dot", read=True)
                self.send(f"250 2.0.0 Ok: queued as far{self.n}x{len(rcpts)}")
                self.log("accepted", **fields)
                mail_from, rcpts = None, []
            elif verb in ("RSET", "NOOP"):
                mail_from, rcpts = (None, []) if verb == "RSET" else (mail_from, rcpts)
                self.send("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.send("221 2.0.0 Bye")
                return
            else:
                self.send("502 5.5.2 Error: command not recognized")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--log", required=True)
    ap.add_argument("--stall", choices=["greeting", "data", "dot"])
    ap.add_argument("--stall-connections", type=int, default=1)
    ap.add_argument("--read-delay", type=float, default=0.0)
    ap.add_argument("--rcvbuf", type=int, default=0)
    args = ap.parse_args()
    log = Log(args.log)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.rcvbuf:  # inherited by accepted sockets; fixed size, no autotuning
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args.rcvbuf)
    listener.bind((args.host, args.port))
    listener.listen(64)
    log("listening", port=args.port, stall=args.stall)
    count = 0
    while True:
        sock, _ = listener.accept()
        count += 1
        stall = args.stall if count <= args.stall_connections else None

        def serve(sock=sock, number=count, stall=stall):
            try:
                Peer(sock, number, stall, args, log).run()
            except (EOFError, OSError):
                pass
            finally:
                log("closed", conn=number)
                sock.close()

        threading.Thread(target=serve, daemon=True).start()


if __name__ == "__main__":
    main()
