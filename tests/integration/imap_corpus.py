"""A small mailbox of known messages for the FETCH and SEARCH integration tests: a plain
text message, a multipart reply to it with a binary attachment, and a quoted-printable
message with an RFC 2047 encoded subject. Loaded with imaplib APPEND (fixed internal
dates), so every expected answer below follows from the bytes here."""

import base64

from helpers import imap_login

ATTACHMENT = bytes(range(0, 40)) + b"\x00binary\x00tail"

PLAIN = (
    b"From: \"Alice Example\" <alice@example.test>\r\n"
    b"To: bob@example.test\r\n"
    b"Subject: Hello world\r\n"
    b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
    b"Message-ID: <m1@corpus.test>\r\n"
    b"\r\n"
    b"first body line\r\n"
    b"the lazy fox\r\n"
)

MULTIPART = (
    b"From: Bob <bob@example.test>\r\n"
    b"To: \"Alice Example\" <alice@example.test>\r\n"
    b"Cc: carol@example.test\r\n"
    b"Subject: Re: Hello world\r\n"
    b"Date: Tue, 2 Jan 2024 09:00:00 +0000\r\n"
    b"Message-ID: <m2@corpus.test>\r\n"
    b"In-Reply-To: <m1@corpus.test>\r\n"
    b"References: <m1@corpus.test>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n"
    b"\r\n"
    b"preamble\r\n"
    b"--XYZ\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"see the attachment\r\n"
    b"--XYZ\r\n"
    b"Content-Type: application/octet-stream; name=\"data.bin\"\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"Content-Disposition: attachment; filename=\"data.bin\"\r\n"
    b"\r\n" + base64.encodebytes(ATTACHMENT).replace(b"\n", b"\r\n") +
    b"--XYZ--\r\n"
)

ENCODED = (
    b"From: =?UTF-8?Q?J=C3=BCrgen?= <juergen@example.test>\r\n"
    b"To: alice@example.test\r\n"
    b"Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgQmVybGlu?=\r\n"
    b"Date: Sun, 3 Dec 2023 08:00:00 +0100\r\n"
    b"Message-ID: <m3@corpus.test>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Wir wohnen in der Hauptstra=C3=9Fe 5.\r\n"
    b"Ende\r\n"
)

# (message, internal date as imaplib wants it)
MESSAGES = [
    (PLAIN, '"05-Jan-2024 12:00:00 +0000"'),
    (MULTIPART, '"06-Jan-2024 12:00:00 +0000"'),
    (ENCODED, '"04-Dec-2023 12:00:00 +0000"'),
]


def load(port, user, password, mailbox="INBOX"):
    """Appends MESSAGES to `mailbox`; returns their UIDs in order."""
    m = imap_login(port, user, password)
    try:
        if mailbox != "INBOX":
            m.create(mailbox)
        for body, date in MESSAGES:
            typ, data = m.append(mailbox, None, date, body)
            assert typ == "OK", data
        typ, data = m.select(mailbox)
        assert typ == "OK" and int(data[0]) == len(MESSAGES), data
        typ, data = m.uid("SEARCH", None, "ALL")
        assert typ == "OK", data
        return [int(u) for u in data[0].split()]
    finally:
        m.logout()
