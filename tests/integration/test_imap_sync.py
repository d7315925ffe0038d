"""A syncing client keeps a Maildir and the server in step: mbsync (isync) syncs a few
hundred messages both ways over IMAPS, then the server changes under it (flags set by
another session, MOVE to another folder, EXPUNGE, a new delivery) while the Maildir
changes too (flags, deletions), and re-syncs until both sides agree message for message
and flag for flag."""

import re
import shutil
import subprocess

import pytest

import helpers

COUNT = 200


def need(tool):
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed (scripts/install-deps.sh installs it)")


def run(args, cwd, timeout=120):
    r = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{args[0]} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    assert "error" not in (r.stdout + r.stderr).lower(), f"{args[0]}:\n{r.stdout}\n{r.stderr}"
    return r


def maildir_state(folder):
    """{subject: maildir flag letters} of a Maildir folder."""
    out = {}
    for sub in ("new", "cur"):
        for f in (folder / sub).glob("*"):
            subject = re.search(rb"(?m)^Subject: (.*)$", f.read_bytes()).group(1).strip().decode()
            flags = f.name.split(":2,")[1] if ":2," in f.name else ""
            out[subject] = "".join(sorted(flags))
    return out


LETTERS = {"\\Seen": "S", "\\Flagged": "F", "\\Answered": "R", "\\Draft": "D"}


def server_state(m, mailbox):
    """{subject: maildir flag letters} of a server mailbox, as imaplib sees it."""
    typ, data = m.select(mailbox)
    assert typ == "OK", data
    if int(data[0]) == 0:
        return {}
    typ, data = m.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK", data
    out = {}
    for part in data:
        if not isinstance(part, tuple):
            continue
        flags = re.search(rb"FLAGS \(([^)]*)\)", part[0]).group(1).decode().split()
        subject = part[1].decode().split(":", 1)[1].strip()
        out[subject] = "".join(sorted(LETTERS[f] for f in flags if f in LETTERS))
    return out


def mail(subject):
    return (f"From: s@outside.test\r\nTo: x@{helpers.DOMAIN}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject}@outside.test>\r\n\r\nbody of {subject}\r\n").encode()


def test_mbsync_resync_after_changes_on_both_sides(suite, tmp_path):
    need("mbsync")
    suite.require("smtpd", "queued", "imapd")
    user = suite.new_user("sync")
    password = suite.passwords[user]
    m = helpers.imap_login(suite.ports["imap"], user, password)
    try:
        for i in range(COUNT):
            assert m.append("INBOX", None, None, mail(f"m{i:03d}"))[0] == "OK"
        assert m.create("Filed")[0] == "OK"
    finally:
        m.logout()

    maildir = tmp_path / "Mail"
    maildir.mkdir()
    rc = tmp_path / "mbsyncrc"
    rc.write_text(f"""IMAPAccount test
Host localhost
Port {suite.ports['imaps']}
User {user}
Pass {password}
SSLType IMAPS
CertificateFile {suite.cert_dir}/cert.pem
SystemCertificates no

IMAPStore remote
Account test

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel test
Far :remote:
Near :local:
Patterns INBOX Filed
Create Both
Expunge Both
SyncState *
""")
    run(["mbsync", "-c", str(rc), "test"], cwd=tmp_path)
    assert maildir_state(maildir / "INBOX") == {f"m{i:03d}": "" for i in range(COUNT)}

    # Server side, from another session: flags, a MOVE, an EXPUNGE, a delivery.
    m = helpers.imap_login(suite.ports["imap"], user, password)
    try:
        m.select("INBOX")
        assert m.store("1:10", "+FLAGS", "(\\Seen)")[0] == "OK"
        assert m.store("11", "+FLAGS", "(\\Flagged \\Answered)")[0] == "OK"
        typ, data = m._simple_command("MOVE", "21:25", "Filed")
        assert typ == "OK", data
        # MOVE expunged 21:25 (m020-m024): m025-m029 are now 21:25.
        assert m.store("21:25", "+FLAGS.SILENT", "(\\Deleted)")[0] == "OK"
        assert m.expunge()[0] == "OK"
    finally:
        m.logout()
    tag = "new-" + helpers.token()[:6]
    helpers.smtp_send(suite.ports["smtp"], "s@outside.test", [user], helpers.make_message(tag, to=user))
    helpers.imap_wait(suite.ports["imap"], user, password, tag)

    # Maildir side: \Flagged on one, two deleted.
    cur = maildir / "INBOX" / "cur"
    for f in list(cur.glob("*")) + list((maildir / "INBOX" / "new").glob("*")):
        subject = re.search(rb"(?m)^Subject: (.*)$", f.read_bytes()).group(1).strip().decode()
        if subject == "m100":
            f.rename(cur / (f.name.split(":2,")[0] + ":2,F"))
        elif subject in ("m101", "m102"):
            f.unlink()

    run(["mbsync", "-c", str(rc), "test"], cwd=tmp_path)
    m = helpers.imap_login(suite.ports["imap"], user, password)
    try:
        inbox = server_state(m, "INBOX")
        archive = server_state(m, "Filed")
    finally:
        m.logout()
    expected = {f"m{i:03d}": "" for i in range(COUNT) if not 20 <= i < 30 and i not in (101, 102)}
    for i in range(10):
        expected[f"m{i:03d}"] = "S"
    expected["m010"] = "FR"
    expected["m100"] = "F"
    expected[f"test {tag}"] = ""
    assert inbox == expected
    assert archive == {f"m{i:03d}": "" for i in range(20, 25)}
    assert maildir_state(maildir / "INBOX") == inbox
    assert maildir_state(maildir / "Filed") == archive

    # A third run changes nothing on either side.
    run(["mbsync", "-c", str(rc), "test"], cwd=tmp_path)
    m = helpers.imap_login(suite.ports["imap"], user, password)
    try:
        assert server_state(m, "INBOX") == inbox
        assert server_state(m, "Filed") == archive
    finally:
        m.logout()
    assert maildir_state(maildir / "INBOX") == inbox
