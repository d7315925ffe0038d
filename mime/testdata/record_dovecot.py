#!/usr/bin/env python3
"""Records Dovecot's FETCH ENVELOPE, BODY and BODYSTRUCTURE for every corpus message.

Usage: record_dovecot.py [HOST PORT USER PASSWORD]  (default: the reference peers of
../shared/peers, 127.0.0.1 12143 alice secret; start them with start.sh first).

APPENDs each corpus/*.eml (in name order) into a fresh mailbox "mimecorpus", fetches the
three items one at a time, and writes the exact bytes of each value (literals included)
to expected/<name>.<ITEM>. mime_dovecot_test compares our renderers with these files.
"""
import imaplib
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
MAILBOX = "mimecorpus"
ITEMS = ("ENVELOPE", "BODY", "BODYSTRUCTURE")


def raw_response(data):
    """imaplib splits a response at literals; join it back into the bytes on the wire."""
    out = b""
    for piece in data:
        if isinstance(piece, tuple):
            out += piece[0] + b"\r\n" + piece[1]
        else:
            out += piece
    return out


def main():
    host, port, user, password = (sys.argv[1:5] if len(sys.argv) >= 5
                                  else ("127.0.0.1", "12143", "alice", "secret"))
    imap = imaplib.IMAP4(host, int(port))
    imap.login(user, password)
    imap.delete(MAILBOX)  # fails harmlessly when it does not exist
    typ, _ = imap.create(MAILBOX)
    assert typ == "OK", "CREATE failed"
    files = sorted((HERE / "corpus").glob("*.eml"))
    for f in files:
        typ, resp = imap.append(MAILBOX, None, None, f.read_bytes())
        assert typ == "OK", (f.name, resp)
    imap.select(MAILBOX, readonly=True)
    out_dir = HERE / "expected"
    out_dir.mkdir(exist_ok=True)
    for seq, f in enumerate(files, start=1):
        for item in ITEMS:
            typ, data = imap.fetch(str(seq), "(%s)" % item)
            assert typ == "OK", (f.name, item, data)
            raw = raw_response(data)
            m = re.match(rb"^\d+ \(%s " % item.encode(), raw)
            assert m and raw.endswith(b")"), (f.name, item, raw[:80])
            value = raw[m.end():-1]
            (out_dir / ("%s.%s" % (f.stem, item))).write_bytes(value)
    imap.logout()
    print("recorded %d messages x %d items into %s" % (len(files), len(ITEMS), out_dir))


if __name__ == "__main__":
    main()
